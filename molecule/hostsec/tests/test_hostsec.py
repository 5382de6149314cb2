# -*- coding: utf-8 -*-
# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ufw, fail2ban and logrotate on a target host, seen from an app host, from an
outsider in no trusted group, and from the controller (the admin network).

The target's SSH is rate-limited for the controller too (6 new connections in
30 s): tests that open SSH connections from the controller space them out.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', '..', 'shared'))
from labtest import host_fixture, lab_host, run_playbook, ssh, ssh_argv  # noqa: E402  pylint: disable=wrong-import-position

CONVERGE = os.path.join(os.path.dirname(__file__), '..', 'converge.yml')
TARGET, APP, OUTSIDER, ADMIN = '10.213.15.10', '10.213.15.20', '10.213.15.30', '10.213.15.1'
PUBLIC = {22, 80, 443}
FOR_APP = PUBLIC | {5432, 6379, 26379, 9100, 9121, 9187}   # app is also the monitoring network here
BANTIME = 20

# Runs on a source host: which of the given TCP ports of the target accept a connection.
SCAN = r'''
import socket, sys, concurrent.futures as cf
def probe(port):
    s = socket.socket(); s.settimeout(2)
    try:
        s.connect((sys.argv[1], port)); return port
    except OSError:
        return None
    finally:
        s.close()
with cf.ThreadPoolExecutor(32) as ex:
    print(sorted(p for p in ex.map(probe, [int(p) for p in sys.argv[2].split()]) if p))
'''


fixture_target = host_fixture('target', 'gw-mol-sec-target')
fixture_app = host_fixture('app', 'gw-mol-sec-app')
fixture_outsider = host_fixture('outsider', 'gw-mol-sec-outsider')


def playbook(*args, extra_vars=None, extra_inventory=None, limit='gw-mol-sec-target', timeout=600):
    """Run converge.yml (with further ansible-playbook arguments) against the scenario; return (rc, output, changed count)."""
    return run_playbook(CONVERGE, extra_vars, limit=limit, timeout=timeout, args=args, extra_inventory=extra_inventory)


def listening_ports(target):
    out = target.check_output("ss -H -tln | awk '{print $4}'")
    return sorted(set(int(line.rsplit(':', 1)[1]) for line in out.splitlines() if line.startswith(('0.0.0.0:', '*:'))))


def reachable(source, ports):
    return set(json.loads(source.check_output('python3 -c %s %s %s', SCAN, TARGET, ' '.join(str(p) for p in ports))))


def ignored(target, jail='sshd'):
    """The addresses and networks the running fail2ban never bans in a jail."""
    with target.sudo():
        out = target.check_output('fail2ban-client get %s ignoreip', jail)
    return set(re.findall(r'^[|`]- (\S+)$', out, re.MULTILINE))


def tuples(target):
    with target.sudo():
        return sorted(target.check_output("grep -h '^### tuple' /etc/ufw/user.rules /etc/ufw/user6.rules").splitlines())


def banned(target, jail):
    with target.sudo():
        out = target.check_output('fail2ban-client status %s', jail)
    return re.search(r'Banned IP list:\s*(.*)', out).group(1).split()


def ban_end(target, jail, address):
    """(ban length in seconds, end of the ban as epoch seconds) that fail2ban reports for ``address``."""
    with target.sudo():
        out = target.check_output('fail2ban-client get %s banip --with-time', jail)
    # "<address> \t<time of the ticket> + <bantime> = <end of ban>", in the target's local time.
    line = re.search(r'^%s\s+\S+ \S+ \+ (\d+) = (\S+ \S+)$' % re.escape(address), out, re.MULTILINE)
    assert line, out
    return int(line.group(1)), int(target.check_output('date -d %s +%%s', line.group(2)))


def wait_for(predicate, timeout, step=1.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


# --- ufw -------------------------------------------------------------------

def test_firewall_is_active_default_deny_ipv4_and_ipv6(target):
    with target.sudo():
        status = target.check_output('ufw status verbose')
        v6 = target.check_output('ip6tables -S ufw6-user-input')
        v6_policy = target.check_output('ip6tables -S INPUT')
        forward_policy = target.check_output('iptables -S FORWARD')
    assert 'Status: active' in status
    # The host routes nothing (base's net.ipv4.conf.all.forwarding=0, given to
    # the container by the lab): ufw reports routing as disabled, and its
    # routed policy still drops in the FORWARD chain.
    assert 'Default: deny (incoming), allow (outgoing), disabled (routed)' in status
    assert '-P FORWARD DROP' in forward_policy.splitlines()
    assert '-A ufw6-user-input -p tcp -m tcp --dport 443 -j ACCEPT' in v6
    assert '5432' not in v6          # IPv4-only sources give no IPv6 rule
    assert '-P INPUT DROP' in v6_policy


def test_ufw_start_leaves_the_kernel_settings_to_base(target):
    # ufw-init runs `sysctl -p "$IPT_SYSCTL"` at each start, after
    # systemd-sysctl; on a VM its file would set log_martians back to 0. A
    # container cannot show the write (its /proc/sys is read-only), so this
    # reads the setting the way ufw-init does: by sourcing the file.
    with target.sudo():
        value = target.check_output('sh -c \'. /etc/default/ufw; printf "[%s]" "$IPT_SYSCTL"\'')
    assert value == '[]', value


def test_outsider_reaches_only_the_published_ports(target, outsider):
    ports = listening_ports(target)
    assert {5432, 6379, 26379, 8080, 9100} <= set(ports), ports   # the stand-in listeners run
    assert reachable(outsider, ports) == PUBLIC


def test_app_host_reaches_database_redis_and_exporter_ports(target, app):
    ports = listening_ports(target)
    assert reachable(app, ports) == FOR_APP   # not 8080: nothing publishes it


def test_group_membership_opens_and_closes_exactly_its_ports_and_the_role_owns_the_rules(target, outsider):
    # A host that joins a group of the stack (here app; in the replication scenario a database host
    # joining postgres) is trusted by the firewall and fail2ban of the hosts already in place.
    ports = listening_ports(target)
    before = tuples(target)
    assert OUTSIDER not in ignored(target)
    rc, out, dummy = playbook(extra_inventory={'all': {'children': {'app': {'hosts': {'gw-mol-sec-outsider': None}}}}})
    assert rc == 0, out
    assert OUTSIDER in ignored(target)
    opened = sorted(set(tuples(target)) - set(before))
    assert [re.sub(r' comment=\S+', '', t) for t in opened] == sorted(
        '### tuple ### allow tcp %d 0.0.0.0/0 any %s in' % (port, OUTSIDER) for port in (5432, 6379, 26379))
    assert not set(before) - set(tuples(target))
    assert reachable(outsider, ports) == PUBLIC | {5432, 6379, 26379}

    # Out of the group again; meanwhile someone opened 8080 by hand, and fail2ban banned an address.
    with target.sudo():
        target.check_output('ufw allow 8080/tcp')
        target.check_output("ufw prepend reject from 192.0.2.99 to any comment 'by Fail2Ban after 3 attempts against sshd'")
    rc, out, dummy = playbook()
    assert rc == 0, out
    ban = '### tuple ### reject any any 0.0.0.0/0 any 192.0.2.99 in comment=%s' % 'by Fail2Ban after 3 attempts against sshd'.encode().hex()
    assert tuples(target) == sorted(before + [ban])   # 8080 and the outsider's ports gone, the ban kept
    assert reachable(outsider, ports) == PUBLIC
    assert OUTSIDER not in ignored(target)
    with target.sudo():
        target.check_output('ufw delete reject from 192.0.2.99 to any')
    assert tuples(target) == before


def test_reapplying_over_a_reset_firewall_keeps_the_live_ssh_session(target):
    """The worst case: ufw was reset (inactive, no rules) under a live session; the role
    enables it again over SSH and neither its own connection nor the session drops."""
    with target.sudo():
        target.check_output('ufw --force reset')
    session = subprocess.Popen(ssh_argv(TARGET, 'debian', 'while sleep 0.5; do echo tick; done',
                                        ['-o', 'ServerAliveInterval=2', '-o', 'ServerAliveCountMax=3']),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(3)
        assert session.poll() is None, session.stderr.read()
        rc, out, changed = playbook()
        assert rc == 0, out
        assert changed > 0
        time.sleep(8)   # beyond the keepalive window: a dropped session would have ended
        assert session.poll() is None, 'the live SSH session dropped: %s' % session.stderr.read()
    finally:
        session.terminate()
        ticks = session.communicate(timeout=10)[0].count('tick')
    assert ticks > 20
    with target.sudo():
        assert 'Status: active' in target.check_output('ufw status')


def test_rules_that_would_lock_out_the_controller_fail_before_any_change(target):
    before = tuples(target)
    rc, out, changed = playbook(extra_vars={'ufw_admin_cidrs': ['192.0.2.0/24'], 'ufw_ssh_public': False})
    assert rc != 0
    assert 'Ansible connects from %s to port 22' % ADMIN in out
    assert 'Enabling the firewall would lock this run out' in out
    assert changed == 0
    assert tuples(target) == before


# Only the validation stages run (tags): they come first in each role.
@pytest.mark.parametrize('extra_vars, named', [
    ({'ufw_admin_cidrs': ['10.213.15.1/24']}, 'ufw_admin_cidrs'),
    ({'ufw_admin_cidrs': [], 'ufw_ssh_public': False}, 'would let nobody reach SSH'),
    ({'ufw_extra_rules': [{'port': '80,443', 'from': '10.0.0.0/8'}]}, 'ufw_extra_rules[0]: a port range or list needs proto'),
    ({'fail2ban_jails': [{'name': 'app', 'logpath': '/var/log/x.log'}]},
     "fail2ban_jails[app]: a jail's logpath is a list of absolute paths without wildcards"),
    ({'logrotate_rules': [{'name': 'x', 'paths': ['/var/log/x.log'], 'create': {'mode': 640, 'owner': 'a', 'group': 'b'}}]},
     'logrotate_rules[x]: create has a quoted mode ("0640"), an owner and a group'),
])
def test_bad_input_is_refused_naming_the_variable(extra_vars, named):
    rc, out, changed = playbook('--tags', 'ufw_validate,fail2ban_validate,logrotate_validate', extra_vars=extra_vars)
    assert rc != 0
    assert named in ' '.join(out.split()), out[-3000:]
    assert changed == 0


def test_check_mode_on_a_converged_host_reports_no_change():
    rc, out, changed = playbook('--check', '--diff', limit='all')
    assert rc == 0, out
    assert changed == 0, out


# --- fail2ban --------------------------------------------------------------

def test_every_jail_is_loaded_and_sshd_reads_the_journal(target, app):
    with target.sudo():
        status = target.check_output('fail2ban-client status')
        sshd = target.check_output('fail2ban-client status sshd')
        limit_req = target.check_output('fail2ban-client status nginx-limit-req')
    assert re.search(r'Jail list:\s*nginx-http-auth, nginx-limit-req, recidive, sshd$', status, re.M), status
    assert 'Journal matches:' in sshd
    assert '/var/log/nginx/error.log' in limit_req
    with target.sudo():
        for jail in ('sshd', 'nginx-http-auth', 'nginx-limit-req', 'recidive'):
            assert target.check_output('fail2ban-client get %s actions', jail).splitlines()[-1] == 'ufw'
    with app.sudo():
        assert re.search(r'Jail list:\s*recidive, sshd$', app.check_output('fail2ban-client status'), re.M)


def test_missing_log_source_fails_clearly(target):
    with target.sudo():
        before = target.check_output('sha256sum /etc/fail2ban/jail.local')
    jails = [{'name': 'sshd', 'backend': 'systemd', 'port': 'ssh'},
             {'name': 'nginx-botsearch', 'groups': ['web'], 'logpath': ['/var/log/nginx/missing.log']}]
    rc, out, dummy = playbook('--tags', 'fail2ban_validate,fail2ban_sources', extra_vars={'fail2ban_jails': jails})
    assert rc != 0
    assert 'nginx-botsearch read /var/log/nginx/missing.log, which does not exist' in out
    with target.sudo():
        assert target.check_output('sha256sum /etc/fail2ban/jail.local') == before


def test_failed_ssh_logins_from_the_outsider_get_it_banned_until_bantime_passes(target, outsider):
    for dummy in range(3):   # maxretry
        # "|| true": testinfra takes ssh's own exit status 255 for a failed connection.
        outsider.run('ssh -o BatchMode=yes -o ConnectTimeout=5 -o StrictHostKeyChecking=no '
                     '-o UserKnownHostsFile=/dev/null nosuchuser@%s true || true' % TARGET)
    # fail2ban reads the journal; under load the ban can take a while to appear.
    assert wait_for(lambda: OUTSIDER in banned(target, 'sshd'), 60), 'the outsider was not banned'
    length, end = ban_end(target, 'sshd', OUTSIDER)
    assert length >= BANTIME
    # Banned through ufw: every port refuses it now, the app host still gets through.
    with target.sudo():
        assert re.search(r'REJECT(?: IN)?\s+%s\s+# by Fail2Ban' % re.escape(OUTSIDER), target.check_output('ufw status'))
    assert wait_for(lambda: reachable(outsider, [22, 80, 443]) == set(), 15), 'the ban did not close the ports'

    assert reachable(lab_host('gw-mol-sec-app'), [22, 80]) == {22, 80}
    # The ban lifts after bantime, not before the end fail2ban reported (probes 2 s apart; the time
    # taken is when the successful probe started).
    deadline, lifted_at = time.time() + BANTIME + 60, None
    while lifted_at is None and time.time() < deadline:
        probe_start = time.time()
        if reachable(outsider, [22]) == {22}:
            lifted_at = probe_start
        else:
            time.sleep(2)
    assert lifted_at, 'the ban did not lift'
    assert lifted_at >= end - 2, 'lifted %.1f s before the end of the ban' % (end - lifted_at)
    assert OUTSIDER not in banned(target, 'sshd')


def test_the_admin_network_is_never_banned(target):
    for dummy in range(4):   # more than maxretry, spaced below ufw's SSH rate limit
        subprocess.run(ssh_argv(TARGET, 'nosuchuser', 'true'), capture_output=True, timeout=30, check=False)
        time.sleep(8)

    def ignored():
        with target.sudo():
            return int(target.check_output('grep -c "Ignore %s by ip" /var/log/fail2ban.log || true' % ADMIN))
    # As long as the bans above may take to appear: fail2ban reads the journal, slowly under load.
    assert wait_for(lambda: ignored() >= 3, 60), 'fail2ban did not see (and ignore) the failures from the admin network'
    assert ADMIN not in banned(target, 'sshd')
    assert ssh(TARGET, 'debian', 'true').returncode == 0


def test_requests_past_nginx_rate_limit_get_the_outsider_banned(target, outsider):
    script = ("import urllib.request, urllib.error\n"
              "for dummy in range(15):\n"
              "    try: urllib.request.urlopen('http://%s/', timeout=3).read()\n"
              "    except (urllib.error.URLError, OSError): pass\n" % TARGET)
    outsider.run('python3 -c %s', script)
    assert wait_for(lambda: OUTSIDER in banned(target, 'nginx-limit-req'), 60), 'nginx-limit-req did not ban the outsider'
    assert wait_for(lambda: reachable(outsider, [80, 443]) == set(), 15), 'the ban did not close the ports'


# --- logrotate -------------------------------------------------------------

def test_forced_rotation_rotates_the_app_log_and_the_app_keeps_writing(app):
    with app.sudo():
        assert 'rotate 31' in app.check_output('cat /etc/logrotate.d/groundwork-app')   # a month, as journald
        app.check_output('logrotate --force /etc/logrotate.conf')
        rotated = app.check_output('cat /var/log/app/app.log.1').splitlines()
        time.sleep(2)
        current = app.check_output('cat /var/log/app/app.log')
    assert rotated and rotated[-1].startswith('line ')
    last_rotated = int(rotated[-1].split()[1])
    lines = [line for line in current.replace('\0', '').splitlines() if line]
    assert lines, 'nothing written to the new log'
    assert int(lines[-1].split()[1]) > last_rotated
    assert '\0' not in current   # appended after truncation, no hole at the old offset


def test_logrotate_configuration_is_valid_with_the_nginx_rule(target):
    with target.sudo():
        assert 'groundwork.stack.logrotate' in target.check_output('cat /etc/logrotate.d/nginx')
        result = target.run('logrotate -d /etc/logrotate.conf')
    assert result.rc == 0, result.stderr
    assert 'error:' not in result.stderr
