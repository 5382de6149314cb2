# -*- coding: utf-8 -*-
# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Redis primary, replica and Sentinels converged by groundwork.stack.redis, with TLS.

Every client connection below is TLS (the CA the role installs) unless a test
says otherwise: gw-mol-redis-1 serves plaintext and TLS, gw-mol-redis-2 and the
Sentinels TLS only; replication and Sentinel talk TLS to the TLS ports.

Tests run in file order: the durability drill and the Sentinel failover
stop servers, so they come last.
"""

from __future__ import annotations

import os
import sys
import time

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', '..', 'shared'))
from labtest import assert_reported, host_fixture, lab_host, run_playbook  # noqa: E402  pylint: disable=wrong-import-position

CONVERGE = os.path.join(os.path.dirname(__file__), '..', 'converge.yml')
PRIMARY_IP = '10.213.12.11'
REPLICA_IP = '10.213.12.12'
TLS_PORT = 6380
SENTINEL_TLS_PORT = 26380
CA = '/etc/ssl/groundwork-redis/ca.crt'
SECRETS = {
    'admin': 'molecule-admin-Secret-1',
    'app': 'molecule-app-Secret-1',
    'sentinel': 'molecule-sentinel-Secret-1',
}

# Writes drill:1, drill:2, ... into db 1 as fast as replies come back and
# prints how many writes Redis acknowledged before the connection broke.
WRITER = r'''
import socket, sys
pw = sys.stdin.readline().strip()
s = socket.socket(socket.AF_UNIX)  # the host serves TLS only over TCP
s.connect("/run/redis/redis-server.sock")
f = s.makefile("rb")
def cmd(*a):
    s.sendall(b"".join([b"*%d\r\n" % len(a)] + [b"$%d\r\n%s\r\n" % (len(x), x) for x in (p.encode() for p in a)]))
    line = f.readline()
    if not line.startswith((b"+", b":")):
        raise SystemExit("unexpected reply %r" % line)
import time
for _ in range(300):  # a server still loading its data set answers -LOADING
    try:
        cmd("AUTH", "admin", pw); cmd("SELECT", "1"); cmd("FLUSHDB")
        break
    except SystemExit:
        time.sleep(0.1)
else:
    raise SystemExit("server not ready")
open("/tmp/drill.started", "w").close()
acked = 0
try:
    while True:
        cmd("SET", "drill:%d" % (acked + 1), "x")
        acked += 1
except (OSError, SystemExit):
    pass
print(acked)
'''


fixture_client = host_fixture('client', 'gw-mol-redis-3')


def cli(host, *args, user=None, address=PRIMARY_IP, port=TLS_PORT, tls=('--tls', '--cacert', CA)):
    """Run redis-cli on ``host`` (TLS, trusting the collection CA, unless ``tls`` says otherwise).

    The password goes through REDISCLI_AUTH, not argv.
    """
    prefix = ''
    if user:
        prefix = 'REDISCLI_AUTH=%s ' % SECRETS[user]
        args = ('--user', user) + args if user != 'sentinel' else args
    args = tuple(tls) + args
    cmd = prefix + 'redis-cli --no-auth-warning --raw -h %s -p %s' + ' %s' * len(args)
    return host.run(cmd, address, str(port), *args)


def sentinel_primary(client):
    out = cli(client, 'SENTINEL', 'get-master-addr-by-name', 'groundwork', user='sentinel', address='127.0.0.1',
              port=SENTINEL_TLS_PORT)
    return out.stdout.split()[0] if out.rc == 0 and out.stdout.strip() else ''


def wait_for(predicate, timeout=40, step=1.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


@pytest.mark.parametrize('port, tls', [(TLS_PORT, ('--tls', '--cacert', CA)), (6379, ())])
def test_unauthenticated_commands_are_refused(client, port, tls):
    result = cli(client, 'GET', 'app:x', port=port, tls=tls)
    assert 'NOAUTH' in result.stdout + result.stderr


def test_wrong_password_is_refused(client):
    result = client.run('REDISCLI_AUTH=wrong redis-cli --no-auth-warning --tls --cacert %s -h %s -p %s --user app PING',
                        CA, PRIMARY_IP, str(TLS_PORT))
    assert 'WRONGPASS' in result.stdout + result.stderr


@pytest.mark.parametrize('address', [PRIMARY_IP, REPLICA_IP])
def test_tls_client_trusting_the_ca_connects_and_authenticates(client, address):
    # PONG only after AUTH succeeded: the default user is off (NOAUTH otherwise).
    result = cli(client, 'PING', user='app', address=address)
    assert result.rc == 0 and result.stdout.strip() == 'PONG', result.stdout + result.stderr
    # The server's listeners: TLS on the TLS port everywhere, plaintext TCP only on the primary.
    info = cli(client, 'INFO', 'server', user='admin', address=address).stdout
    listeners = [line.strip() for line in info.splitlines() if line.startswith('listener')]
    assert any('name=tls' in line and 'port=%d' % TLS_PORT in line for line in listeners), listeners
    assert any('name=tcp' in line for line in listeners) == (address == PRIMARY_IP), listeners
    assert cli(client, 'CONFIG', 'GET', 'tls-port', user='admin', address=address).stdout.split() == ['tls-port', str(TLS_PORT)]


def test_a_certificate_due_for_renewal_is_signed_anew(client):
    """With a renewal window longer than the certificate's life (pki_cert_renew_days), the next converge signs
    the replica's certificate anew (the signing module alone keeps a matching certificate whatever its dates),
    restarts Redis with it, and clients still verify it against the CA."""
    replica = lab_host('gw-mol-redis-2', sudo=True)
    serial = 'openssl x509 -noout -serial -enddate -in /etc/ssl/groundwork-redis/redis.crt'
    before = replica.check_output(serial)
    rc, output, changed = run_playbook(CONVERGE, {'pki_cert_renew_days': 10000}, limit='gw-mol-redis-2')
    assert rc == 0 and changed > 0, output[-3000:]
    after = replica.check_output(serial)
    assert after.splitlines()[0] != before.splitlines()[0], (before, after)
    assert 'RUNNING HANDLER [groundwork.stack.redis : Restart redis]' in output
    assert wait_for(lambda: cli(client, 'PING', user='app', address=REPLICA_IP).stdout.strip() == 'PONG', 30)


@pytest.mark.parametrize('address', [PRIMARY_IP, REPLICA_IP])
def test_plaintext_to_the_tls_port_fails(client, address):
    result = cli(client, 'PING', user='app', address=address, tls=())
    assert 'PONG' not in result.stdout, result.stdout + result.stderr


@pytest.mark.parametrize('address, port', [(PRIMARY_IP, TLS_PORT), (REPLICA_IP, TLS_PORT), ('127.0.0.1', SENTINEL_TLS_PORT)])
def test_client_not_trusting_the_ca_fails_verification(client, address, port):
    # --tls without --cacert: the system's trust store, which does not hold the collection CA.
    result = cli(client, 'PING', user='app', address=address, port=port, tls=('--tls',))
    assert 'PONG' not in result.stdout
    assert 'certificate verify failed' in result.stdout + result.stderr, result.stdout + result.stderr


@pytest.mark.parametrize('address, port', [(REPLICA_IP, 6379), ('127.0.0.1', 26379)])
def test_tls_only_hosts_serve_no_plaintext_port(client, address, port):
    result = cli(client, 'PING', address=address, port=port, tls=())
    assert 'Connection refused' in result.stdout + result.stderr, result.stdout + result.stderr


@pytest.mark.parametrize('args, allowed', [
    (('SET', 'app:greeting', 'hello'), True),
    (('GET', 'app:greeting'), True),
    (('SET', 'other:key', 'x'), False),
    (('GET', 'other:key'), False),
    (('FLUSHALL',), False),
    (('CONFIG', 'GET', 'maxmemory'), False),
    (('KEYS', '*'), False),
    (('PUBLISH', 'other', 'x'), False),
])
def test_app_user_is_limited_by_its_acl(client, args, allowed):
    result = cli(client, *args, user='app')
    denied = 'NOPERM' in result.stdout + result.stderr
    assert denied != allowed, result.stdout + result.stderr


@pytest.mark.parametrize('args, expected', [
    (('DEBUG', 'SLEEP', '0'), 'DEBUG command not allowed'),
    (('MODULE', 'LOAD', '/usr/lib/redis/x.so'), 'MODULE command not allowed'),
])
def test_debug_and_module_commands_are_off_even_for_admin(client, args, expected):
    result = cli(client, *args, user='admin')
    assert expected in result.stdout + result.stderr


def test_settings_are_the_roles(client):
    def get(name):
        return cli(client, 'CONFIG', 'GET', name, user='admin').stdout.splitlines()[1]
    assert get('appendonly') == 'yes'
    assert get('appendfsync') == 'everysec'
    assert get('maxmemory-policy') == 'noeviction'
    assert int(get('maxmemory')) > 0
    assert get('save') == '3600 1 300 100 60 10000'


# Each run breaks several rules at once: the argument spec's rules (type,
# choices) in one run, the role's own checks (tasks/validate.yml) in another
# (the spec stops the role before them), a variable broken two ways in
# separate runs. Every variable named must be in the failure report
# (labtest.failures). Same inputs as before 2026-12-06, in fewer runs.
@pytest.mark.parametrize('extra_vars, named', [
    ({'redis_maxmemory_policy': 'evict-all'}, ['redis_maxmemory_policy']),
    ({'redis_maxmemory': 'lots', 'redis_tls_cert_file': '/etc/ssl/certs/redis.pem',
      'redis_acl_users': [{'name': 'app', 'password': 'x', 'rules': 'nopass ~* +@all'}]},
     ['redis_maxmemory:', 'redis_tls_key_file', 'redis_acl_users[app]']),
    ({'redis_acl_users': [{'name': 'app', 'password': 'x', 'rules': '~* >other +@all'}]}, ['redis_acl_users[app]']),
])
def test_bad_input_fails_before_any_change(extra_vars, named):
    rc, output, changed = run_playbook(CONVERGE, extra_vars=extra_vars)
    assert rc != 0
    assert_reported(output, named)
    assert changed == 0


@pytest.mark.parametrize('name, address', [('gw-mol-redis-1', PRIMARY_IP), ('gw-mol-redis-2', REPLICA_IP)])
def test_listens_on_its_own_address_and_loopback_only(name, address):
    # bind is the host's lab address plus loopback: no wildcard listener, so
    # an address added to the host later is not served.
    host = lab_host(name)
    with host.sudo():
        sockets = host.check_output('ss -Hltnp')
    ours = [line.split()[3] for line in sockets.splitlines() if '"redis-server"' in line]
    assert ours, sockets
    addresses = {listen.rsplit(':', 1)[0].strip('[]') for listen in ours}
    assert address in addresses and addresses <= {address, '127.0.0.1', '::1'}, ours
    # The lab address answers a client on another host (TLS port).
    assert cli(lab_host('gw-mol-redis-3'), 'PING', user='app', address=address).stdout.strip() == 'PONG'


def test_replica_follows_its_primary_over_tls(client):
    assert cli(client, 'SET', 'app:replicated', 'yes', user='app').stdout.strip() == 'OK'
    assert wait_for(lambda: cli(client, 'GET', 'app:replicated', user='app', address=REPLICA_IP).stdout.strip() == 'yes', 10)
    info = cli(client, 'INFO', 'replication', user='admin', address=REPLICA_IP).stdout
    # The primary's TLS port, which speaks nothing but TLS.
    assert 'role:slave' in info and 'master_link_status:up' in info and 'master_port:%d' % TLS_PORT in info, info
    assert cli(client, 'CONFIG', 'GET', 'tls-replication', user='admin', address=REPLICA_IP).stdout.split() == ['tls-replication', 'yes']
    refused = cli(client, 'SET', 'app:on-replica', 'no', user='app', address=REPLICA_IP)
    assert 'READONLY' in refused.stdout + refused.stderr


def test_keys_survive_a_restart(client):
    primary = lab_host('gw-mol-redis-1')
    assert cli(client, 'SET', 'app:durable', 'kept', user='app').stdout.strip() == 'OK'
    with primary.sudo():
        primary.run_test('systemctl restart redis-server')
    assert wait_for(lambda: cli(client, 'GET', 'app:durable', user='app').stdout.strip() == 'kept', 15)


def test_sentinel_failover_promotes_the_replica(client):
    primary, replica = lab_host('gw-mol-redis-1'), lab_host('gw-mol-redis-2')
    assert sentinel_primary(client) == PRIMARY_IP
    with primary.sudo():
        primary.run_test('systemctl stop redis-server')
    assert wait_for(lambda: sentinel_primary(client) == REPLICA_IP, 60), 'Sentinel did not fail over'
    assert wait_for(lambda: 'role:master' in cli(client, 'INFO', 'replication', user='admin', address=REPLICA_IP).stdout, 20)
    assert cli(client, 'GET', 'app:durable', user='app', address=REPLICA_IP).stdout.strip() == 'kept'
    # The old primary comes back and Sentinel turns it into a replica.
    with primary.sudo():
        primary.run_test('systemctl start redis-server')
    assert wait_for(lambda: 'master_host:%s' % REPLICA_IP in cli(client, 'INFO', 'replication', user='admin').stdout, 60)
    # A re-run of the role keeps Sentinel's topology without restarting
    # either server, and a second one changes nothing. The first one runs at
    # -vvv, which prints every remote command line and task environment: no
    # password may appear in it (the Sentinel query sends its on stdin).
    pids = [h.check_output('systemctl show -P MainPID redis-server') for h in (primary, replica)]
    rc, first = run_playbook(CONVERGE, timeout=1200, args=('-vvv',))[:2]
    assert rc == 0, first[-3000:]
    # The task that sends the Sentinel password ran (its arguments are
    # no_log, so only its name shows).
    assert 'TASK [groundwork.stack.redis : Ask the local Sentinel which host is the primary]' in first
    leaked = [user for user, secret in SECRETS.items() if secret in first]
    assert not leaked, 'passwords printed at -vvv: %s' % leaked
    assert 'RUNNING HANDLER [groundwork.stack.redis : Restart redis]' not in first
    rc, output, changed = run_playbook(CONVERGE, timeout=1200)
    assert rc == 0 and changed == 0, output[-3000:]
    assert [h.check_output('systemctl show -P MainPID redis-server') for h in (primary, replica)] == pids
    assert sentinel_primary(client) == REPLICA_IP
    assert 'role:master' in cli(client, 'INFO', 'replication', user='admin', address=REPLICA_IP).stdout
    with replica.sudo():
        conf = replica.check_output('cat /etc/redis/redis.conf')
    assert '\nreplicaof ' not in conf


def test_durability_drill_loses_at_most_a_second_or_two_of_writes(client):
    """kill -9 the primary under continuous writes; count acknowledged writes lost (AOF everysec).

    Redis write()s the AOF before it replies, so a killed process loses
    nothing that was acknowledged: the page cache still has it. The second
    of writes everysec can lose is at stake on a kernel crash or power loss,
    which a container cannot show.
    """
    host = lab_host('gw-mol-redis-2')  # the primary after the failover
    assert sentinel_primary(client) == REPLICA_IP
    # No replica to promote: Sentinel must not fail over while the primary restarts.
    other = lab_host('gw-mol-redis-1')
    with other.sudo():
        other.run_test('systemctl stop redis-server')
    assert wait_for(lambda: 'loading:0' in cli(client, 'INFO', 'persistence', user='admin', address=REPLICA_IP).stdout, 30)
    with host.sudo():
        host.run_test('rm -f /tmp/drill.started /tmp/drill.out')
        host.run_test("printf '%%s\\n' %s | nohup python3 -c %s > /tmp/drill.out 2>&1 &", SECRETS['admin'], WRITER)
        assert wait_for(lambda: host.file('/tmp/drill.started').exists, 10, 0.2)
        time.sleep(3)
        pid = host.check_output('systemctl show -P MainPID redis-server')
        host.run_test('kill -9 %s', pid)
        assert wait_for(lambda: host.check_output('cat /tmp/drill.out').strip().isdigit(), 10, 0.2)
        acked = int(host.check_output('cat /tmp/drill.out'))
    # systemd restarts it (Restart=always); it replays the AOF (slowly on a loaded machine).
    assert wait_for(lambda: 'loading:0' in cli(client, 'INFO', 'persistence', user='admin', address=REPLICA_IP).stdout, 120)
    kept = int(cli(client, '-n', '1', 'DBSIZE', user='admin', address=REPLICA_IP).stdout.strip())
    # The write in flight when the process died may be kept without having been acknowledged.
    assert kept <= acked + 1
    lost = max(acked - kept, 0)
    rate = acked / 3.0
    print('\ndurability drill: %d writes acknowledged in ~3 s, %d kept after kill -9, %d lost (%.2f s of writes)'
          % (acked, kept, lost, lost / rate if rate else 0))
    assert acked > 1000
    assert lost <= 2 * rate
