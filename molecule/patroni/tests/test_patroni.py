# -*- coding: utf-8 -*-
# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""PostgreSQL under Patroni (groundwork.stack.patroni), drills run in order from the controller.

1. One leader and two replicas streaming over TLS; tuning from the host, the shared settings from etcd.
2. A shared setting changed in the inventory reaches etcd through the REST API once (check mode sends nothing).
3. The REST API: health checks without a client certificate, write endpoints only with the password.
4. Roles and databases of the postgresql role's data are made on the leader; HAProxy on the app host sends
   its read-write port to the leader and its read-only port to the replicas, checked by TLS.
5. The etcd member on the leader's host lost, under continuous writes: no leader change, writes go on, and the
   member rejoins when it comes back.
6. Leader host lost (its container killed) under continuous writes from the app host through its PgBouncer
   (HAProxy's read-write port behind it), with an unchanged DSN: with the fast profile in etcd, a new leader
   takes writes in under 30 s (the lost leader's lock lives for its TTL, 20 s, Patroni's minimum), and no
   acknowledged write is lost (quorum commit, ANY 1).
   playbooks/topology.yml then names the new leader (the lost one unreachable).
7. The old leader comes back and rejoins as a replica, with no manual step.
8. Leader partitioned from etcd and the replicas (a blackhole route to each of the other members in its network
   namespace), the app host still reaching it, under continuous writes: it demotes itself within the TTL, the
   majority elects a new leader that takes writes through the same DSN, no write is acknowledged by the old
   leader after the partition nor by two leaders at once, and once the partition heals the old leader rejoins
   on the new timeline holding the same rows.
9. switchover.yml (Patroni's switchover) under continuous writes: nothing acknowledged is lost. failover.yml
   after drill 6 forces nothing, since Patroni has failed over already, and says so.
10. A setting that takes a restart rolls through the members under writes (the last drill).
rebuild_host.yml in this mode is drilled in molecule/patroni_backup, with pgBackRest.
"""

from __future__ import annotations

import json
import os
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', '..', 'shared'))
from labtest import assert_reported, lab_host, podman, run_playbook, wait_until  # noqa: E402  pylint: disable=wrong-import-position

CONVERGE = os.path.join(os.path.dirname(__file__), '..', 'converge.yml')
TOPOLOGY_PROBE = os.path.join(os.path.dirname(__file__), '..', 'topology-probe.yml')
PLAYBOOKS = os.path.join(os.path.dirname(__file__), '..', '..', '..', 'playbooks')
MEMBERS = {'gw-mol-ha-db1': '10.213.23.11', 'gw-mol-ha-db2': '10.213.23.12', 'gw-mol-ha-db3': '10.213.23.13'}
CA = os.path.join(os.environ.get('MOLECULE_EPHEMERAL_DIRECTORY', ''), 'pki', 'groundwork-ca.crt')
APP = 'gw-mol-ha-app'
REST_PASSWORD = 'molecule-rest-Secret-1'
APP_PASSWORD = 'molecule-app-Secret-1'
# The writer runs on the app host as the OS user `drill`, through the app's PgBouncer on loopback: one DSN,
# whichever member leads (PgBouncer -> HAProxy's read-write port -> the leader, TLS verify-full, scram).
DSN = 'host=127.0.0.1 port=6432 dbname=app user=app connect_timeout=2'
# HAProxy's ports from the app host, TLS checked against the collection CA.
HAPROXY_DSN = ('host=127.0.0.1 port=%d dbname=app user=app sslmode=verify-full '
               'sslrootcert=/etc/haproxy/groundwork-ca.crt connect_timeout=2')
WRITER = r'''#!/bin/bash
# Drill writer: one INSERT per connection; logs each id the server acknowledged, with the time and the
# server that took it (its address, or "local" through the socket).
i=1
while [ ! -e /run/drill/stop ]; do
  if server=$(psql "$1" -X -q -A -t -c "INSERT INTO drill (id) VALUES ($i) RETURNING coalesce(host(inet_server_addr()), 'local')" 2>>/run/drill/err); then
    echo "$i $(date +%s.%N) $server" >> /run/drill/acked
  fi
  i=$((i + 1))
  sleep 0.05
done
touch /run/drill/done
'''


def rest(address, path, method='GET', auth=None):
    """A REST API call from the controller, checking the server against the collection CA."""
    request = urllib.request.Request('https://%s:8008%s' % (address, path), method=method)
    if auth:
        import base64  # pylint: disable=import-outside-toplevel
        request.add_header('Authorization', 'Basic ' + base64.b64encode(auth.encode()).decode())
    context = ssl.create_default_context(cafile=CA)
    try:
        with urllib.request.urlopen(request, context=context, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def cluster(skip=(), first=None):
    """The cluster as the first member that answers sees it (``first`` asked before the others: a member just
    back from a partition may still answer with what it saw before it)."""
    for name in sorted(MEMBERS, key=lambda member: member != first):
        address = MEMBERS[name]
        if name in skip:
            continue
        try:
            status, body = rest(address, '/cluster')
        except OSError:
            continue
        if status == 200:
            return json.loads(body)['members']
    raise AssertionError('no member answered /cluster')


def leader(skip=(), first=None):
    leaders = [m['name'] for m in cluster(skip, first) if m['role'] == 'leader' and m['state'] == 'running']
    return leaders[0] if len(leaders) == 1 else None


def healthy(skip=(), first=None):
    members = cluster(skip, first)
    return (len([m for m in members if m['role'] == 'leader' and m['state'] == 'running']) == 1
            and all(m['state'] == 'streaming' for m in members if m['role'] != 'leader')
            and len(members) == len(MEMBERS) - len(skip))


def psql(name, sql, dbname='postgres'):
    return lab_host(name, sudo=True).check_output('runuser -u postgres -- psql -X -A -t -d %s -c %s', dbname, sql)


def app_psql(port, sql):
    """A query from the app host through one of HAProxy's ports (psql from PgBouncer's package set)."""
    return lab_host(APP, sudo=True).check_output('env PGPASSWORD=%s psql %s -X -A -t -c %s', APP_PASSWORD,
                                                 HAPROXY_DSN % port, sql)


def test_one_leader_and_two_replicas_streaming_over_tls():
    assert wait_until(healthy, timeout=90), cluster()
    primary = leader()
    rows = psql(primary, 'SELECT r.application_name, s.ssl FROM pg_stat_replication r '
                         'JOIN pg_stat_ssl s USING (pid) ORDER BY 1').splitlines()
    assert sorted(rows) == sorted('%s|t' % n for n in MEMBERS if n != primary), rows
    # ANY 1 of the replicas confirms each commit (Patroni's quorum mode from postgresql_synchronous_mode).
    assert psql(primary, 'SHOW synchronous_standby_names').startswith('ANY 1 ('), psql(primary, 'SHOW synchronous_standby_names')


def test_tuning_from_the_host_and_shared_settings_from_etcd():
    for name in MEMBERS:
        # postgresql_max_connections 50, in etcd (bootstrap.dcs); shared_buffers from a 256MB budget.
        assert psql(name, 'SHOW max_connections') == '50', name
        assert psql(name, 'SHOW shared_buffers') == '64MB', name
        assert psql(name, 'SHOW data_checksums') == 'on', name
        assert psql(name, 'SHOW ssl') == 'on', name


def shared(name):
    """One setting of the dynamic configuration, as etcd holds it (the REST API's /config)."""
    return json.loads(rest(MEMBERS[leader()], '/config')[1])[name]


def test_a_shared_setting_changed_in_the_inventory_reaches_etcd_once():
    assert shared('maximum_lag_on_failover') == 1048576
    changed_lag = {'patroni_maximum_lag_on_failover': '2097152'}
    # Check mode names the change and sends nothing.
    rc, output, changed = run_playbook(CONVERGE, extra_vars=changed_lag, limit='postgres',
                                       args=['--tags', 'patroni_dcs', '--check', '--diff'])
    assert rc == 0 and changed == 1 and 'maximum_lag_on_failover: 2097152' in output, output[-3000:]
    assert shared('maximum_lag_on_failover') == 1048576
    # A converge sends it once (one PATCH, from one member); the members read it from etcd.
    rc, output, changed = run_playbook(CONVERGE, extra_vars=changed_lag, limit='postgres', args=['--tags', 'patroni_dcs'])
    assert rc == 0 and changed == 1, output[-3000:]
    assert shared('maximum_lag_on_failover') == 2097152
    # Back to the inventory's value; everything else in etcd as it was.
    rc, output, changed = run_playbook(CONVERGE, limit='postgres', args=['--tags', 'patroni_dcs'])
    assert rc == 0 and changed == 1, output[-3000:]
    config = json.loads(rest(MEMBERS[leader()], '/config')[1])
    assert config['maximum_lag_on_failover'] == 1048576 and (config['ttl'], config['loop_wait']) == (20, 2), config


# A REST call from a member with its Patroni certificate (a client of the collection CA): prints the status.
MEMBER_POST = """import base64, ssl, sys, urllib.error, urllib.request
ctx = ssl.create_default_context(cafile='/etc/patroni/tls/ca.crt')
ctx.load_cert_chain('/etc/patroni/tls/patroni.crt', '/etc/patroni/tls/patroni.key')
request = urllib.request.Request(sys.argv[1], method='POST')
if sys.argv[2]:
    request.add_header('Authorization', 'Basic ' + base64.b64encode(sys.argv[2].encode()).decode())
try:
    print(urllib.request.urlopen(request, context=ctx, timeout=5).status)
except urllib.error.HTTPError as error:
    print(error.code)
"""


def test_rest_api_checks_are_open_and_writes_need_a_certificate_and_the_password():
    primary = leader()
    assert rest(MEMBERS[primary], '/primary')[0] == 200
    replica = next(n for n in MEMBERS if n != primary)
    # Health checks (what HAProxy asks) need no client certificate.
    assert rest(MEMBERS[replica], '/primary')[0] == 503
    assert rest(MEMBERS[replica], '/replica')[0] == 200
    url = 'https://%s:8008/reload' % MEMBERS[replica]
    # A write endpoint without a client certificate: refused, even with the password.
    assert rest(MEMBERS[replica], '/reload', method='POST', auth='patroni:' + REST_PASSWORD)[0] == 403
    # With a certificate from the collection CA: the password decides.
    host = lab_host(primary, sudo=True)
    for auth, expected in (('', '401'), ('patroni:wrong', '401'), ('patroni:' + REST_PASSWORD, '202')):
        assert host.check_output('python3 -c %s %s %s', MEMBER_POST, url, auth) == expected, auth


def test_roles_and_databases_are_made_on_the_leader_and_replicated():
    primary = leader()
    for name in MEMBERS:
        assert psql(name, "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'app'") == 'app', name
    assert psql(primary, "SELECT rolpassword LIKE 'SCRAM-SHA-256$%' FROM pg_authid WHERE rolname = 'app'") == 't'


def test_haproxy_sends_the_rw_port_to_the_leader_and_the_ro_port_to_replicas():
    primary = leader()
    assert app_psql(5000, 'SELECT pg_is_in_recovery(), host(inet_server_addr())') == 'f|%s' % MEMBERS[primary]
    # Round robin over the two replicas: four connections reach both, none the leader.
    seen = {app_psql(5001, 'SELECT pg_is_in_recovery(), host(inet_server_addr())') for _try in range(4)}
    assert seen == {'t|%s' % ip for n, ip in MEMBERS.items() if n != primary}, seen
    # The checks go to Patroni's REST API with TLS: HAProxy marks exactly the leader up on the rw port.
    stats = lab_host(APP).check_output('python3 -c %s', STATS)
    rows = [line.split(',') for line in stats.splitlines() if line.startswith('postgres_rw,')]
    up = sorted(row[1] for row in rows if row[1] not in ('FRONTEND', 'BACKEND') and row[17] == 'UP')
    assert up == [primary], stats
    # PgBouncer's one DSN reaches the leader through it.
    via_pgbouncer = lab_host(APP, sudo=True).check_output('env PGPASSWORD=%s psql %s -X -A -t -c %s', APP_PASSWORD, DSN,
                                                          'SELECT host(inet_server_addr())')
    assert via_pgbouncer == MEMBERS[primary]


STATS = "import urllib.request; print(urllib.request.urlopen('http://127.0.0.1:8405/stats;csv', timeout=5).read().decode())"


@pytest.mark.parametrize('extra_vars, named', [
    ({'haproxy_rw_port': '5001'}, 'haproxy_rw_port'),
    ({'haproxy_listen_addresses': ['10.213.23.300']}, 'haproxy_listen_addresses'),
    ({'haproxy_check_interval': 'often'}, 'haproxy_check_interval'),
    ({'pgbouncer_upstream_route': 'vip'}, 'pgbouncer_upstream_route'),
])
def test_bad_input_on_the_app_host_stops_the_play_naming_the_variable(extra_vars, named):
    rc, output, changed = run_playbook(CONVERGE, extra_vars=extra_vars, limit=APP)
    assert rc != 0 and changed == 0, output[-3000:]
    assert_reported(output, [named])


def start_writer():
    """The drill writer on the app host, through PgBouncer, into a new table drill; returns the app host."""
    psql(leader(), 'DROP TABLE IF EXISTS drill; CREATE TABLE drill (id int PRIMARY KEY); ALTER TABLE drill OWNER TO app',
         dbname='app')
    host = lab_host(APP, sudo=True)
    host.run_test('id drill >/dev/null 2>&1 || useradd --system drill')
    host.run_test('rm -rf /run/drill && install -d -o drill -m 0755 /run/drill')
    host.run_test('printf %%s %s > /run/drill/writer && chmod 0755 /run/drill/writer', WRITER)
    host.run_test('runuser -u drill -- env PGPASSWORD=%s setsid nohup /run/drill/writer %s >/dev/null 2>&1 < /dev/null &',
                  APP_PASSWORD, DSN)
    assert wait_until(lambda: int(host.check_output('cat /run/drill/acked | wc -l')) > 20, timeout=30), \
        host.run('tail -3 /run/drill/err').stdout
    return host


def stop_writer(host):
    host.run_test('touch /run/drill/stop')
    # The writer's last INSERT may still be on its way (it commits after the reads that follow otherwise).
    assert wait_until(lambda: host.file('/run/drill/done').exists, timeout=30)


def acked(host):
    """(id, time, server) of each write the writer saw acknowledged."""
    return [(int(i), float(ts), server) for i, ts, server in
            (line.split() for line in host.check_output('cat /run/drill/acked').splitlines())]


ETCDCTL = ('etcdctl --endpoints=https://127.0.0.1:2379 --cacert=/etc/etcd/tls/ca.crt --cert=/etc/etcd/tls/etcd.crt '
           '--key=/etc/etcd/tls/etcd.key')


def test_an_etcd_member_lost_changes_no_leader_and_writes_go_on():
    assert wait_until(healthy, timeout=90), cluster()
    primary = leader()
    host = start_writer()
    # The etcd member on the leader's own host: Patroni's etcd client there has to move to another member.
    member = lab_host(primary, sudo=True)
    stopped_at = time.time()
    member.run_test('systemctl stop etcd')
    try:
        # For a whole TTL (20 s) and then some: the leader keeps its lock and PostgreSQL keeps taking writes.
        while time.time() - stopped_at < 25:
            assert leader() == primary, cluster()
            time.sleep(1)
    finally:
        member.run_test('systemctl start etcd')
    stop_writer(host)
    during = [t for _i, t, _server in acked(host) if t > stopped_at]
    gaps = [b - a for a, b in zip([stopped_at] + during, during)]
    stored = {int(v) for v in psql(primary, 'SELECT id FROM drill', dbname='app').split()}
    print('\nDRILL etcd member lost: %d writes acknowledged in the 25 s, longest gap %.1f s, %d lost'
          % (len(during), max(gaps), len({i for i, _t, _s in acked(host)} - stored)))
    assert len(during) > 25 and max(gaps) < 10, (len(during), max(gaps))
    assert not {i for i, _t, _s in acked(host)} - stored
    # The member comes back into the cluster by itself.
    assert wait_until(lambda: member.run(ETCDCTL + ' endpoint health').rc == 0, timeout=30)
    assert wait_until(healthy, timeout=60), cluster()


def test_leader_lost_new_leader_takes_writes_in_under_30_s_and_nothing_acknowledged_is_lost():
    assert wait_until(healthy, timeout=90), cluster()
    old = leader()
    host = start_writer()
    killed_at = time.time()
    podman('kill', old)
    try:
        assert wait_until(lambda: leader(skip=(old,)) not in (None, old), timeout=60), cluster(skip=(old,))
        new = leader(skip=(old,))

        def acked_by_the_new_leader():
            # Writes the new leader took: those the killed one took while the signal was on its way are not.
            return [t for _i, t, server in acked(host) if server != MEMBERS[old]]
        assert wait_until(lambda: len([t for t in acked_by_the_new_leader() if t > killed_at]) > 20, timeout=60)
        stop_writer(host)
        rto = min(t for t in acked_by_the_new_leader() if t > killed_at) - killed_at
        acknowledged = {i for i, _t, _s in acked(host)}
        stored = {int(v) for v in psql(new, 'SELECT id FROM drill', dbname='app').split()}
        print('\nDRILL leader lost: %s killed, %s leads; first write %.1f s after the kill; %d writes '
              'acknowledged, %d stored, %d lost' % (old, new, rto, len(acknowledged), len(stored),
                                                    len(acknowledged - stored)))
        assert not acknowledged - stored, sorted(acknowledged - stored)[:20]
        # The fast profile is what etcd holds: the lock of a lost host lives for the TTL (20 s, Patroni's
        # floor: patroni/validator.py) from its last renewal (loop_wait 2 s before the loss at most).
        config = json.loads(rest(MEMBERS[new], '/config')[1])
        assert (config['ttl'], config['loop_wait'], config['retry_timeout']) == (20, 2, 5), config
        # Then the promotion, HAProxy's next check of the new leader (1 s) and PgBouncer's next server
        # login (server_login_retry 2 s after a failed one). 30 s would be the default profile's TTL alone;
        # measured figures are in docs/patroni.md.
        assert rto < 30, rto
        # failover.yml in this mode forces nothing while a leader runs, and says so; its first play,
        # playbooks/topology.yml (site.yml's and every day-2 playbook's), names the new leader, asked of the
        # members that answer, the lost one among them unreachable (one run: molecule/patroni/topology-probe.yml).
        rc, output, changed = run_playbook(TOPOLOGY_PROBE)
        assert rc == 0 and changed == 0, output[-3000:]
        assert 'PRIMARY=%s GROUPS=%s' % (new, new) in output, output[-3000:]
        # (The YAML callback folds long messages: compared with the whitespace squeezed.)
        assert ('%s leads: Patroni has failed over already or had no need to; nothing forced' % new
                in ' '.join(output.split())), output[-3000:]
    finally:
        host.run('touch /run/drill/stop')
        podman('start', old)
    # 7. The old leader rejoins as a replica of the new one by itself (pg_rewind if its WAL diverged).
    assert wait_until(lambda: healthy(first=new), timeout=120), cluster(first=new)
    rejoined = next(m for m in cluster(first=new) if m['name'] == old)
    assert rejoined['role'] != 'leader' and rejoined['state'] == 'streaming', rejoined
    # It holds what the leader holds: every write stored before, none lost by the rewind.
    count = 'SELECT count(*) FROM drill'
    assert psql(old, count, dbname='app') == psql(leader(), count, dbname='app') == str(len(stored))


def _writes_since(host, leader_name, started):
    """After a planned change under the writer: the ids acknowledged, the ids stored on the leader, and the
    longest pause between two acknowledged writes since ``started``."""
    writes = acked(host)
    stored = {int(v) for v in psql(leader_name, 'SELECT id FROM drill', dbname='app').split()}
    times = [t for _i, t, _s in writes if t > started]
    return {i for i, _t, _s in writes}, stored, max(b - a for a, b in zip(times, times[1:]))


def test_switchover_playbook_hands_over_under_writes_and_nothing_acknowledged_is_lost():
    """switchover.yml in this mode: Patroni's switchover to the member named, under continuous writes through
    PgBouncer; every acknowledged write is on the new leader, and the old one streams from it."""
    assert wait_until(healthy, timeout=120), cluster()
    old = leader()
    target = next(name for name in sorted(MEMBERS) if name != old)
    host = start_writer()
    started = time.time()
    rc, output, _changed = run_playbook(os.path.join(PLAYBOOKS, 'switchover.yml'),
                                        extra_vars={'switchover_target': target})
    took = time.time() - started
    assert rc == 0, output[-3000:]
    assert 'switch over from %s to %s' % (old, target) in ' '.join(output.split()), output[-3000:]
    assert wait_until(lambda: len([t for _i, t, server in acked(host) if server == MEMBERS[target]]) > 10, timeout=60)
    stop_writer(host)
    acknowledged, stored, gap = _writes_since(host, target, started)
    print('\nDRILL switchover.yml: %s -> %s, playbook %.1f s, longest pause between two acknowledged writes '
          '%.1f s; %d acknowledged, %d lost' % (old, target, took, gap, len(acknowledged), len(acknowledged - stored)))
    assert not acknowledged - stored, sorted(acknowledged - stored)[:20]
    # Writes pause while the leader hands over and PgBouncer's next server connection reaches the new one
    # through HAProxy (about 5 s measured; 17.5 s while PgBouncer waited its default 15 s on a connection
    # HAProxy had handed to the stepped-down leader: pgbouncer_server_connect_timeout).
    assert gap < 10, gap
    members = {m['name']: m for m in cluster(first=target)}
    assert members[target]['role'] == 'leader' and members[old]['state'] == 'streaming', members


def _local_role(name):
    """pg_is_in_recovery() of the member's PostgreSQL on its own socket: 'f' (primary), 't', or '' (refused)."""
    try:
        return podman('exec', name, 'runuser', '-u', 'postgres', '--', 'psql', '-X', '-A', '-t', '-c',
                      'SELECT pg_is_in_recovery()').stdout.strip()
    except subprocess.CalledProcessError:
        return ''


def _blackhole(name, addresses, action):
    """Add or delete a blackhole route to each address in the network namespace of the container ``name``, all in
    one ``ip -batch`` so the routes take effect together. Returns the time the last one is in place: the moment
    of the cut, measured after the fact (``podman inspect`` alone can take a second on a loaded machine)."""
    pid = podman('inspect', '-f', '{{.State.Pid}}', name).stdout.strip()
    batch = ''.join('route %s blackhole %s/32\n' % (action, address) for address in addresses)
    subprocess.run(['nsenter', '--net', '-t', pid, 'ip', '-force', '-batch', '-'], input=batch, text=True,
                   check=action == 'add', capture_output=True, timeout=30)
    return time.time()


def test_leader_partitioned_demotes_itself_and_no_write_is_acknowledged_by_two_leaders():
    assert wait_until(healthy, timeout=120), cluster()
    old = leader()
    # Cut off from the other members: their etcd members (its own is then a minority of one) and their
    # PostgreSQL. The app host (HAProxy, PgBouncer, the writer) and the controller still reach it.
    peers = [address for name, address in MEMBERS.items() if name != old]
    host = start_writer()
    cut_at = _blackhole(old, peers, 'add')
    new = None
    try:
        # It cannot renew its lock in etcd: it demotes itself, and its PostgreSQL stops being a read-write
        # primary (asked on its own socket: shutting down, then in recovery).
        assert wait_until(lambda: _local_role(old) != 'f', timeout=40, step=0.5)
        demoted = time.time() - cut_at
        # The majority elects a new leader once the old lock's TTL has run out; it takes writes through the
        # same DSN (PgBouncer -> HAProxy's read-write port).
        assert wait_until(lambda: leader(skip=(old,)) not in (None, old), timeout=60), cluster(skip=(old,))
        new = leader(skip=(old,))
        assert wait_until(lambda: len([t for _i, t, server in acked(host)
                                       if server == MEMBERS[new] and t > cut_at]) > 10, timeout=60)
    finally:
        _blackhole(old, peers, 'del')
        stop_writer(host)
    writes = acked(host)
    by_old = [t for _i, t, server in writes if server == MEMBERS[old]]
    by_new = [t for _i, t, server in writes if server == MEMBERS[new] and t > cut_at]
    # Quorum commit (ANY 1): a commit on the cut-off leader waits for a replica that cannot answer, so it
    # acknowledges nothing after the cut (the writer logs an acknowledgement a moment after the server sent
    # it: 1 s of slack for the writes on their way at the cut).
    late = [t - cut_at for t in by_old if t > cut_at + 1]
    print('\nDRILL leader partitioned: %s cut off, demoted %.1f s after the cut (TTL 20 s); %s leads, first '
          'write %.1f s after the cut; %d writes acknowledged by the old leader after the cut'
          % (old, demoted, new, min(by_new) - cut_at, len(late)))
    assert demoted < 20, demoted
    assert not late, late
    # No write acknowledged by two leaders: every acknowledgement of the old one precedes the new one's first.
    assert max(by_old) < min(by_new), (max(by_old) - cut_at, min(by_new) - cut_at)
    # Healed, the old leader rejoins as a replica of the new one on its timeline, with the same rows, and
    # every acknowledged write is there.
    assert wait_until(lambda: healthy(first=new), timeout=120), cluster(first=new)
    members = {m['name']: m for m in cluster(first=new)}
    assert members[old]['role'] != 'leader' and members[old]['state'] == 'streaming', members[old]
    # The old leader's own view has caught up too.
    assert wait_until(lambda: leader(first=old) == new, timeout=30), cluster(first=old)
    assert members[old]['timeline'] == members[new]['timeline'], members
    acknowledged = {i for i, _t, _s in writes}
    stored = {int(v) for v in psql(new, 'SELECT id FROM drill', dbname='app').split()}
    assert not acknowledged - stored, sorted(acknowledged - stored)[:20]
    count = 'SELECT count(*) FROM drill'
    assert wait_until(lambda: psql(old, count, dbname='app') == str(len(stored)), timeout=30)


def test_a_setting_that_takes_a_restart_rolls_through_the_members_under_writes():
    """The rolling restart (tasks/restart.yml): max_connections, a shared setting that takes a restart, changed
    in the inventory. Each member restarts in turn, the replicas first, the leader last after a switchover, under
    continuous writes through PgBouncer: nothing acknowledged is lost, and every member runs the new value with
    nothing pending. (The last drill: the inventory's own value is not restored.)"""
    assert wait_until(healthy, timeout=120), cluster()
    old = leader()
    host = start_writer()
    started = time.time()
    rc, output, _changed = run_playbook(CONVERGE, extra_vars={'postgresql_max_connections': 60}, limit='postgres',
                                        args=['--tags', 'patroni_dcs,patroni_restart'])
    took = time.time() - started
    assert rc == 0, output[-3000:]
    new = leader()
    assert wait_until(lambda: len([t for _i, t, server in acked(host) if t > started + took]) > 10, timeout=60)
    stop_writer(host)
    acknowledged, stored, gap = _writes_since(host, new, started)
    print('\nDRILL rolling restart: max_connections 50 -> 60, playbook %.1f s, leader %s -> %s, longest pause '
          'between two acknowledged writes %.1f s; %d acknowledged, %d lost'
          % (took, old, new, gap, len(acknowledged), len(acknowledged - stored)))
    assert not acknowledged - stored, sorted(acknowledged - stored)[:20]
    assert new != old, 'the leader restarted in place instead of after a switchover'
    assert all(psql(name, 'SHOW max_connections') == '60' for name in MEMBERS)
    assert not [m['name'] for m in cluster(first=new) if m.get('pending_restart')], cluster(first=new)
    # Only the switchover pauses writes (a restarting replica leaves the other to confirm commits).
    assert gap < 10, gap
