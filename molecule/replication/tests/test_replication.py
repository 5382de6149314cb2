# -*- coding: utf-8 -*-
# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Replication drills, run in order from the controller.

0. converge built db1 and db2 only; db3 is added to postgres_replica and site.yml re-run: db3 becomes a
   streaming replica, PostgreSQL on db1 and db2 is not restarted, and the other hosts change only the rules
   and settings that name the new host.
1. Writes on the primary appear on the replicas; replication_info reports lag near zero.
2. Failover under continuous synchronous writes with the primary container killed: no acknowledged write lost.
3. The old primary comes back and rebuild_host.yml makes it a replica of the new primary; a second run changes nothing.
4. A replica's data directory is wiped; rebuild_host.yml clones it again; its data matches the primary.
5. Switchover and back under continuous writes: no acknowledged write lost.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time

import pytest
import yaml

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', '..', 'shared'))
from labtest import ROOT, lab_host, podman, run_playbook as lab_playbook  # noqa: E402  pylint: disable=wrong-import-position

HERE = os.path.dirname(os.path.abspath(__file__))
PLAYBOOKS = os.path.join(ROOT, 'playbooks')
PROBE = os.path.join(HERE, '..', 'probe.yml')
DBS = {'gw-mol-repl-db1': '10.213.14.11', 'gw-mol-repl-db2': '10.213.14.12', 'gw-mol-repl-db3': '10.213.14.13'}
NETWORK, SUBNET = 'gw-mol-repl', '10.213.14.0/24'
APP = 'gw-mol-repl-app'
APP_PASSWORD = 'molecule-app-Secret-1'
CA = '/usr/local/share/groundwork-ca.crt'
# libpq follows the primary by itself: it tries the hosts in turn and keeps the one that accepts writes.
MULTI_HOST_DSN = ('host=%s port=5432 dbname=app user=app sslmode=verify-full sslrootcert=%s '
                  'target_session_attrs=read-write connect_timeout=2 tcp_user_timeout=3000 '
                  'keepalives_idle=1 keepalives_interval=1 keepalives_count=2' % (','.join(DBS.values()), CA))

# converge leaves db3 out of the database groups; drill 0 adds it through a second inventory source,
# which every later playbook run of the verifier uses too.
JOINER = 'gw-mol-repl-db3'
JOIN_INVENTORY = {'postgres': {'hosts': {JOINER: None}}, 'postgres_replica': {'hosts': {JOINER: None}}}
LOG_DIR = os.environ.get('MOLECULE_EPHEMERAL_DIRECTORY', tempfile.gettempdir())
# What a re-run of site.yml may change on the hosts already in place when a replica joins: pg_hba rules,
# synchronous_standby_names and slot that name the new host, pgBackRest's list of database hosts and its
# SSH trust on the repository host (when backups are on), and the reloads these need. Nothing else; above
# all no restart of PostgreSQL. The scenario skips the firewall, fail2ban and the other host layers
# (molecule.yml); that a joining host is trusted by them on the other hosts is checked in hostsec.
JOIN_CHANGES_ALLOWED = (
    'groundwork.stack.postgresql : Write the client authentication rules',
    'groundwork.stack.postgresql : Write the tuning, security and logging settings',
    'groundwork.stack.postgresql : Ensure a physical replication slot per replica',
    'groundwork.stack.postgresql : Reload postgresql',
    'groundwork.stack.pgbackrest : ',
)

WRITER = r'''#!/bin/bash
# Drill writer: one INSERT per connection, logs the ids the server acknowledged.
i=$1
while [ ! -e /run/drill-writer.stop ]; do
  if psql "%s" -X -q -c "INSERT INTO drill (id) VALUES ($i)" >/dev/null 2>>/run/drill-writer.err; then
    echo "$i" >> /run/drill-writer.acked
  fi
  i=$((i + 1))
  sleep 0.05
done
''' % MULTI_HOST_DSN


def run_playbook(playbook_path, extra_vars=None, timeout=900):
    """Run a playbook against the scenario's inventory plus db3's join; return (rc, output, changed count)."""
    return lab_playbook(playbook_path, extra_vars, timeout=timeout, extra_inventory=JOIN_INVENTORY)


def changed_tasks(output):
    """(host, task) of every change a playbook run reported (default callback output)."""
    task, out = None, set()
    for line in re.sub(r'\x1b\[[0-9;]*m', '', output).splitlines():
        header = re.match(r'^(?:TASK|RUNNING HANDLER) \[(.*)\] \*', line)
        if header:
            task = header.group(1)
            continue
        change = re.match(r'^changed: \[([^\]]+)\]', line)
        if change and task:
            out.add((change.group(1).split(' -> ')[0], task))
    return out


def playbook(name, timeout=900, **extra_vars):
    started = time.time()
    rc, output, changed = run_playbook(os.path.join(PLAYBOOKS, name), extra_vars or None, timeout=timeout)
    return rc, output, changed, time.time() - started


def probe():
    """postgresql_replication_info of every reachable database host."""
    fd, path = tempfile.mkstemp(prefix='gw-repl-probe-', suffix='.json')
    os.close(fd)
    try:
        rc, output, dummy = run_playbook(PROBE, {'probe_out': path})
        assert rc == 0, output[-3000:]
        with open(path) as f:
            return json.load(f)
    finally:
        os.unlink(path)


def local_sql(name, sql, dbname='app'):
    db = lab_host(name)
    with db.sudo('postgres'):
        return db.check_output('psql -X -A -t -q -d %s -c %s', dbname, sql)


def primary_of(states):
    primaries = [name for name, state in states.items() if state['role'] == 'primary']
    assert len(primaries) == 1, states
    return primaries[0]


def wait_for(predicate, timeout=60, interval=1.0, what='condition'):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError('timed out after %ds waiting for %s' % (timeout, what))


def acked(app):
    out = app.run('cat /run/drill-writer.acked 2>/dev/null').stdout
    return [int(line) for line in out.split()]


def start_writer(app, first_id):
    app.run('rm -f /run/drill-writer.stop /run/drill-writer.acked /run/drill-writer.err')
    result = app.run('systemd-run --unit=drill-writer --collect --setenv=HOME=/root /usr/local/bin/drill-writer %s', str(first_id))
    assert result.rc == 0, result.stderr


def stop_writer(app):
    app.run('touch /run/drill-writer.stop')
    wait_for(lambda: app.run('systemctl is-active --quiet drill-writer').rc != 0, timeout=30, what='the writer to stop')
    return acked(app)


def ids_on(name):
    return set(int(v) for v in local_sql(name, 'SELECT id FROM drill').split())


def data_fingerprint(name):
    return local_sql(name, "SELECT count(*) || ':' || md5(coalesce(string_agg(id::text, ',' ORDER BY id), '')) FROM drill")


def wait_replayed(primary, replica):
    """Wait until the replica has replayed the primary's current WAL position."""
    lsn = local_sql(primary, 'SELECT pg_current_wal_lsn()', dbname='postgres')
    wait_for(lambda: local_sql(replica, "SELECT pg_last_wal_replay_lsn() >= '%s'::pg_lsn" % lsn, dbname='postgres') == 't',
             timeout=60, what='%s to replay %s' % (replica, lsn))


@pytest.fixture(name='app', scope='module')
def fixture_app():
    app = lab_host(APP, sudo=True)
    pgpass = '*:*:app:app:%s\n' % APP_PASSWORD
    app.check_output('install -m 0600 /dev/null /root/.pgpass && printf %s > /root/.pgpass', pgpass)
    app.check_output('printf %s > /usr/local/bin/drill-writer && chmod 0755 /usr/local/bin/drill-writer', WRITER)
    return app


def started_at(name):
    return local_sql(name, 'SELECT pg_postmaster_start_time()', dbname='postgres')


def test_drill0_adding_a_replica_touches_nothing_else():
    db3 = lab_host(JOINER)
    assert db3.run('test -e /var/lib/postgresql/17/main/PG_VERSION').rc != 0
    before = {name: started_at(name) for name in ('gw-mol-repl-db1', 'gw-mol-repl-db2')}
    # db3 has no data directory: the clone runs as a job, its progress read from pg_basebackup's log
    # (a report every second here, so that even this small clone shows some).
    rc, output, dummy, seconds = playbook('site.yml', timeout=1800, postgresql_clone_progress_interval=1)
    assert rc == 0, output[-4000:]
    assert '%s: pg_basebackup clone from gw-mol-repl-db1 finished after' % JOINER in output, output[-4000:]
    shown = [float(p) for p in re.findall(r'%s: pg_basebackup clone from \S+, running for \S+, ([0-9.]+)%% done' % JOINER, output)]
    assert shown == sorted(shown), shown
    with db3.sudo():
        clone_log = db3.check_output('cat /var/log/postgresql/groundwork-clone.log')
    # --progress wrote to the log: the final report of the whole copy.
    assert re.search(r'^\s*\d+/\d+ kB \(100%\), 1/1 tablespace', clone_log, re.M), clone_log[-2000:]
    states = probe()
    assert states[JOINER]['role'] == 'standby', states
    assert states[JOINER]['upstream']['status'] == 'streaming'
    assert states[JOINER]['upstream']['host'] == DBS['gw-mol-repl-db1']
    assert {name: started_at(name) for name in before} == before
    changes = changed_tasks(output)
    assert any(h == JOINER for h, dummy in changes)
    others = sorted((h, t) for h, t in changes if h != JOINER)
    unexpected = [(h, t) for h, t in others if not t.startswith(JOIN_CHANGES_ALLOWED)]
    assert not unexpected, unexpected
    print('\nsite.yml with db3 added took %.1f s; changes on the other hosts: %s' % (seconds, others))


def test_drill1_writes_replicate_and_lag_is_near_zero():
    states = probe()
    primary = primary_of(states)
    assert primary == 'gw-mol-repl-db1'
    local_sql(primary, 'CREATE TABLE IF NOT EXISTS drill (id int PRIMARY KEY, at timestamptz NOT NULL DEFAULT now()); '
                       'ALTER TABLE drill OWNER TO app; INSERT INTO drill (id) VALUES (0) ON CONFLICT DO NOTHING')
    for replica in DBS:
        if replica == primary:
            continue
        wait_for(lambda r=replica: local_sql(r, 'SELECT count(*) FROM drill WHERE id = 0') == '1', timeout=30,
                 what='the write on %s' % replica)

    def lag_near_zero():
        states = probe()
        lags = [r['lag_bytes'] for r in states[primary]['replicas']]
        return states if lags and all(lag is not None and lag < 65536 for lag in lags) else None
    states = wait_for(lag_near_zero, timeout=60, what='lag near zero')
    replicas = states[primary]['replicas']
    assert sorted(r['application_name'] for r in replicas) == ['gw_mol_repl_db2', 'gw_mol_repl_db3']
    assert all(r['state'] == 'streaming' and r['sync_state'] == 'quorum' for r in replicas), replicas
    assert sorted(s['slot_name'] for s in states[primary]['slots'] if s['active']) == ['gw_mol_repl_db2', 'gw_mol_repl_db3']
    for name, state in states.items():
        if name != primary:
            assert state['role'] == 'standby'
            assert state['upstream']['status'] == 'streaming'
            assert state['upstream']['host'] == DBS[primary]
            assert state['system_identifier'] == states[primary]['system_identifier']
    print('\nlag (bytes) per replica: %s' % {r['application_name']: r['lag_bytes'] for r in replicas})


def test_replication_settings_and_rules(app):
    for name in DBS:
        assert local_sql(name, 'SHOW wal_log_hints', dbname='postgres') == 'on'
        assert local_sql(name, 'SHOW max_slot_wal_keep_size', dbname='postgres') == '4GB'
        assert local_sql(name, 'SHOW wal_level', dbname='postgres') == 'replica'
    # Replication connections are accepted from the other database hosts only.
    result = app.run('psql %s -X -c IDENTIFY_SYSTEM',
                     'host=%s user=replicator replication=true sslmode=verify-full sslrootcert=%s' % (DBS['gw-mol-repl-db1'], CA))
    assert result.rc != 0
    assert 'no pg_hba.conf entry for replication connection' in result.stderr, result.stderr


def assert_topology_record(primary, previous, playbook_name):
    """The controller's topology record names the new primary, the one before it and the playbook."""
    record = os.path.join(os.path.dirname(os.environ['MOLECULE_INVENTORY_FILE']), '.postgresql-topology.yml')
    with open(record) as f:
        data = yaml.safe_load(f)
    assert {k: data.get(k) for k in ('primary', 'previous_primary', 'changed_by')} == {
        'primary': primary, 'previous_primary': previous, 'changed_by': playbook_name}, data
    # The timeline of the WAL the primary writes now (pg_control's checkpoint may still show the one before).
    timeline = local_sql(primary, "SELECT ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int",
                         dbname='postgres')
    assert int(data['timeline']) == int(timeline), (data, timeline)


def test_drill2_failover_under_synchronous_writes_loses_nothing(app):
    start_writer(app, 1)
    wait_for(lambda: len(acked(app)) >= 30, timeout=60, what='30 acknowledged writes')
    before_kill = len(acked(app))
    podman('kill', 'gw-mol-repl-db1')
    # Task timings of the failover (profile_tasks, set for every scenario) go to failover.log in the
    # scenario's ephemeral directory.
    rc, output, dummy, seconds = playbook('failover.yml')
    with open(os.path.join(LOG_DIR, 'failover.log'), 'w') as f:
        f.write(output)
    assert rc == 0, output[-4000:]
    after_failover = len(acked(app))
    wait_for(lambda: len(acked(app)) >= after_failover + 20, timeout=60, what='writes on the new primary')
    ids = stop_writer(app)
    states = probe()
    primary = primary_of(states)
    assert primary in ('gw-mol-repl-db2', 'gw-mol-repl-db3')
    present = ids_on(primary)
    lost = sorted(set(ids) - present)
    print('\nfailover.yml took %.1f s; %d writes acknowledged (%d before the kill), %d rows on %s, lost: %s'
          % (seconds, len(ids), before_kill, len(present), primary, lost))
    assert not lost
    other = [name for name in states if name not in (primary, 'gw-mol-repl-db1')][0]
    assert states[other]['upstream']['status'] == 'streaming'
    assert states[other]['upstream']['host'] == DBS[primary]
    assert_topology_record(primary, 'gw-mol-repl-db1', 'failover.yml')


def test_drill3_old_primary_rejoins_as_a_replica():
    subprocess.run([os.path.join(ROOT, 'lab', 'hosts.sh'), 'create', 'gw-mol-repl-db1', DBS['gw-mol-repl-db1'], NETWORK, SUBNET],
                   check=True, capture_output=True, timeout=180)
    # Not fenced (it was unreachable): it came back as a primary on the old timeline.

    def in_recovery():
        try:
            return local_sql('gw-mol-repl-db1', 'SELECT pg_is_in_recovery()', dbname='postgres')
        except AssertionError:
            return None
    assert wait_for(in_recovery, timeout=60, what='the old primary to start') == 'f'
    rc, output, changed, seconds = playbook('rebuild_host.yml', rebuild_host='gw-mol-repl-db1')
    assert rc == 0, output[-4000:]
    assert changed > 0
    states = probe()
    primary = primary_of(states)
    assert states['gw-mol-repl-db1']['role'] == 'standby'
    assert states['gw-mol-repl-db1']['upstream']['status'] == 'streaming'
    assert states['gw-mol-repl-db1']['upstream']['host'] == DBS[primary]
    local_sql(primary, 'INSERT INTO drill (id) VALUES (-1)')
    wait_replayed(primary, 'gw-mol-repl-db1')
    assert data_fingerprint('gw-mol-repl-db1') == data_fingerprint(primary)
    rc, output, changed, dummy = playbook('rebuild_host.yml', rebuild_host='gw-mol-repl-db1')
    assert rc == 0, output[-4000:]
    assert changed == 0, output[-4000:]
    print('\nrejoin with rebuild_host.yml took %.1f s' % seconds)


def test_drill4_wiped_replica_is_rebuilt():
    states = probe()
    primary = primary_of(states)
    victim = [name for name in DBS if name not in (primary, 'gw-mol-repl-db1')][0]
    db = lab_host(victim)
    with db.sudo():
        db.check_output('systemctl stop postgresql@17-main && rm -rf /var/lib/postgresql/17/main')
    rc, output, changed, seconds = playbook('rebuild_host.yml', rebuild_host=victim)
    assert rc == 0, output[-4000:]
    assert changed > 0
    states = probe()
    assert states[victim]['role'] == 'standby' and states[victim]['upstream']['status'] == 'streaming'
    wait_replayed(primary, victim)
    assert data_fingerprint(victim) == data_fingerprint(primary)
    print('\nrebuild of a wiped replica took %.1f s' % seconds)


def test_switchover_refuses_the_primary_as_target():
    primary = primary_of(probe())
    rc, output, changed, dummy = playbook('switchover.yml', switchover_target=primary)
    assert rc != 0
    assert 'Name the replica to promote' in output
    assert changed == 0


def test_drill5_switchover_and_back_loses_nothing(app):
    first = primary_of(probe())
    start_writer(app, 100000)
    wait_for(lambda: len(acked(app)) >= 20, timeout=60, what='20 acknowledged writes')
    timings = []
    for target, previous in (('gw-mol-repl-db1', first), (first, 'gw-mol-repl-db1')):
        rc, output, dummy, seconds = playbook('switchover.yml', switchover_target=target)
        assert rc == 0, output[-4000:]
        timings.append(seconds)
        states = probe()
        assert primary_of(states) == target
        assert_topology_record(target, previous, 'switchover.yml')
        for name, state in states.items():
            if name != target:
                assert state['upstream']['status'] == 'streaming', (name, state)
                assert state['upstream']['host'] == DBS[target]
        count = len(acked(app))
        wait_for(lambda c=count: len(acked(app)) >= c + 10, timeout=60, what='writes on %s' % target)
    ids = stop_writer(app)
    present = ids_on(first)
    lost = sorted(set(ids) - present)
    print('\nswitchover to db1 and back took %.1f s and %.1f s; %d writes acknowledged, lost: %s'
          % (timings[0], timings[1], len(ids), lost))
    assert not lost
