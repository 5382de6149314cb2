# -*- coding: utf-8 -*-
# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The etcd cluster of the Patroni mode (groundwork.stack.etcd), run in order from the controller.

1. Three members run, all started, with one leader and one raft term.
2. A client needs a certificate from the collection CA: without one, or in plain HTTP, it is refused.
3. One member (not the leader) is killed: the leader stays, writes go on; the member comes back and has them.
4. A member whose data is gone joins again by a converge alone, as a new member (etcdctl member add, state
   existing), whether it was removed first or is still listed (a rebuilt host: its old entry is removed);
   the members that run are not restarted, it serves the cluster's data, and a second converge changes
   nothing.
5. Bad input stops the play before any change, naming the variable.
"""

from __future__ import annotations

import json
import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', '..', 'shared'))
from labtest import assert_reported, lab_host, podman, run_playbook, wait_until  # noqa: E402  pylint: disable=wrong-import-position

CONVERGE = os.path.join(os.path.dirname(__file__), '..', 'converge.yml')
MEMBERS = {'gw-mol-etcd-1': '10.213.25.11', 'gw-mol-etcd-2': '10.213.25.12', 'gw-mol-etcd-3': '10.213.25.13'}
TLS = '/etc/etcd/tls'
CERTS = '--cacert=%s/ca.crt --cert=%s/etcd.crt --key=%s/etcd.key' % (TLS, TLS, TLS)
# etcdctl on a member, as its administrator (the member's own certificate), through its loopback listener.
CTL = 'etcdctl --endpoints=https://127.0.0.1:2379 ' + CERTS
# The same, asking every member.
CTL_CLUSTER = 'etcdctl --endpoints=%s %s' % (','.join('https://%s:2379' % ip for ip in MEMBERS.values()), CERTS)
# A TLS client on a member: GET a URL, with or without the member's certificate; prints the body.
FETCH = '''import ssl, sys, urllib.request
ctx = ssl.create_default_context(cafile='%s/ca.crt')
if sys.argv[2] == 'cert':
    ctx.load_cert_chain('%s/etcd.crt', '%s/etcd.key')
print(urllib.request.urlopen(sys.argv[1], context=ctx, timeout=5).read().decode())
''' % (TLS, TLS, TLS)


def ctl(name, args):
    return lab_host(name, sudo=True).check_output(CTL + ' ' + args)


def status(name):
    """The status of each member that answers, asked from one member (etcdctl exits non-zero when one of
    the endpoints does not answer, and still prints the others)."""
    result = lab_host(name, sudo=True).run(CTL_CLUSTER + ' endpoint status --write-out=json --dial-timeout=2s')
    return {entry['Endpoint']: entry['Status'] for entry in json.loads(result.stdout or '[]')}


def test_three_members_run_with_one_leader():
    members = json.loads(ctl('gw-mol-etcd-1', 'member list --write-out=json'))['members']
    assert sorted(m['name'] for m in members) == sorted(MEMBERS), members
    seen = status('gw-mol-etcd-2')
    assert len(seen) == 3, seen
    leaders = {s['leader'] for s in seen.values()}
    terms = {s['raftTerm'] for s in seen.values()}
    assert len(leaders) == 1 and len(terms) == 1, seen


def test_a_client_needs_a_certificate_from_the_ca():
    host = lab_host('gw-mol-etcd-2', sudo=True)
    url = 'https://%s:2379/version' % MEMBERS['gw-mol-etcd-1']
    with_cert = host.run('python3 -c %s %s cert', FETCH, url)
    assert with_cert.rc == 0 and json.loads(with_cert.stdout)['etcdserver'].startswith('3.5'), with_cert.stderr
    # The server's certificate checks out, but the handshake needs the client's.
    without = host.run('python3 -c %s %s none', FETCH, url)
    assert without.rc != 0 and 'etcdserver' not in without.stdout, without.stdout
    assert 'CERTIFICATE_REQUIRED' in without.stderr or 'certificate required' in without.stderr, without.stderr
    # Plain HTTP on the client port gets no answer from etcd either.
    plain = host.run('python3 -c %s %s none', FETCH, url.replace('https:', 'http:'))
    assert plain.rc != 0 and 'etcdserver' not in plain.stdout, plain.stdout


def test_writes_go_on_with_a_member_lost_and_it_catches_up():
    seen = status('gw-mol-etcd-1')
    leader_id = next(iter(seen.values()))['leader']
    by_id = {s['header']['member_id']: endpoint for endpoint, s in seen.items()}
    leader_ip = by_id[leader_id].split('//')[1].split(':')[0]
    victim = next(n for n, ip in MEMBERS.items() if ip != leader_ip)
    writer = next(n for n, ip in MEMBERS.items() if n != victim)
    podman('kill', victim)
    try:
        for i in range(20):
            ctl(writer, 'put /drill/key-%02d value-%02d' % (i, i))
        after = status(writer)
        assert len(after) == 2, after       # the lost member's endpoint does not answer
        assert {s['leader'] for s in after.values()} == {leader_id}, after
    finally:
        podman('start', victim)
    # The member comes back by itself (etcd is enabled) and has every write.
    assert wait_until(lambda: ctl(victim, 'get --consistency=s /drill/key-19 --print-value-only').strip() == 'value-19',
                      timeout=90)
    assert wait_until(lambda: len(status(writer)) == 3, timeout=30)


@pytest.mark.parametrize('removed_first', [True, False], ids=['removed-and-wiped', 'host-rebuilt'])
def test_a_member_whose_data_is_gone_joins_again_by_a_converge_alone(removed_first):
    """removed-and-wiped: taken out of the cluster (etcdctl member remove) and its data deleted, as an operator
    retiring it would. host-rebuilt: its data gone while the cluster still lists it, as after a disk or a whole
    host is replaced (rebuild_host.yml runs this play): the old entry is removed and the member added anew."""
    victim, ids = 'gw-mol-etcd-3', {}
    members = json.loads(ctl('gw-mol-etcd-1', 'member list --write-out=json --hex'))['members']
    old_id = next(m['ID'] for m in members if m['name'] == victim)
    if removed_first:
        # etcd refuses to remove a member until every member has been connected for a few seconds (its
        # strict reconfiguration check), as after the previous drill's restart.
        assert wait_until(lambda: 'removed from cluster' in ctl('gw-mol-etcd-1', 'member remove %s' % old_id),
                          timeout=60)
    host = lab_host(victim, sudo=True)
    host.run_test('systemctl stop etcd')
    host.run_test('rm -rf /var/lib/etcd/groundwork /etc/etcd/bootstrap.env')
    for name in ('gw-mol-etcd-1', 'gw-mol-etcd-2'):
        ids[name] = lab_host(name).check_output('systemctl show -p MainPID --value etcd')
    # The etcd play alone (its tasks carry the role's tag): the drill is the member's, not Patroni's.
    rc, output, _changed = run_playbook(CONVERGE, args=['--tags', 'etcd'])
    assert rc == 0, output[-3000:]
    members = json.loads(ctl('gw-mol-etcd-1', 'member list --write-out=json --hex'))['members']
    assert sorted(m['name'] for m in members) == sorted(MEMBERS), members
    # A new member (a new ID), started: the old entry is gone, not reused.
    assert next(m['ID'] for m in members if m['name'] == victim) != old_id, members
    assert 'ETCD_INITIAL_CLUSTER_STATE="existing"' in host.check_output('cat /etc/etcd/bootstrap.env')
    for name, pid in ids.items():
        assert lab_host(name).check_output('systemctl show -p MainPID --value etcd') == pid, name
    assert wait_until(lambda: len(status(victim)) == 3, timeout=30)
    # It serves what the cluster held before it was lost (written by the previous drill).
    assert wait_until(lambda: ctl(victim, 'get --consistency=s /drill/key-19 --print-value-only').strip() == 'value-19',
                      timeout=30)
    rc, output, changed = run_playbook(CONVERGE, args=['--tags', 'etcd'])
    assert rc == 0 and changed == 0, output[-3000:]


@pytest.mark.parametrize('extra_vars, named', [
    ({'etcd_election_timeout': '300'}, 'etcd_election_timeout'),
    ({'etcd_heartbeat_interval': 'fast'}, 'etcd_heartbeat_interval'),
    ({'etcd_client_port': '2380'}, 'etcd_client_port'),
    ({'etcd_group': 'nosuchgroup'}, 'etcd_group'),
])
def test_bad_input_stops_the_play_naming_the_variable(extra_vars, named):
    # The etcd members only: the app host's plays do not read etcd's input.
    rc, output, changed = run_playbook(CONVERGE, extra_vars=extra_vars, limit='dcs')
    assert rc != 0 and changed == 0, output[-3000:]
    assert_reported(output, [named])
