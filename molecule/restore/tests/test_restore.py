# -*- coding: utf-8 -*-
# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/restore.yml onto hosts that had nothing, from an SSH repository and from a local one.

The tests run in file order and build on each other: rows are written around a full backup of the
primary, restored to a point in time (and to an LSN) onto a fresh host; then the fresh host gets a
repository of its own (local path) that is checked, backed up and restored.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time

import pytest
import yaml

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', '..', 'shared'))
# pylint: disable=wrong-import-position
from backuptest import (DATA_DIR, SERVICE, STATUS, archive_now, as_repo_user, backup_journal,  # noqa: E402
                        create_drill_table, full_backup_by_the_timer_unit, insert, read_as_nobody, rows, sql)
from labtest import host_fixture, run_playbook  # noqa: E402

HERE = os.path.dirname(__file__)
RESTORE = os.path.join(HERE, '..', '..', '..', 'playbooks', 'restore.yml')
LOCAL = os.path.join(HERE, '..', 'local.yml')
AWAIT = os.path.join(HERE, '..', 'await.yml')

# Seconds a playbook run may take: a restore onto a fresh host creates a cluster and runs the roles, which
# takes minutes when the machine is loaded by parallel scenarios.
PLAYBOOK_TIMEOUT = 1800

# What the tests learn along the way (the noted time and LSN).
STATE = {}


fixture_db = host_fixture('db', 'gw-mol-rs-db')
fixture_repo = host_fixture('repo', 'gw-mol-rs-repo')
fixture_new = host_fixture('new', 'gw-mol-rs-new')


def local_inventory():
    """An inventory of the fresh host alone as the primary (no `backup` group: a local repository).

    gw-mol-rs-db is in it too, in no group, as a host a local repository cannot be restored onto.
    """
    source = os.environ['MOLECULE_INVENTORY_FILE']
    with open(source, encoding='utf-8') as handle:
        hosts = yaml.safe_load(handle)['all']['hosts']
    root = os.path.join(os.environ['MOLECULE_EPHEMERAL_DIRECTORY'], 'local-repo')
    os.makedirs(root, exist_ok=True)
    inventory = {'all': {
        'hosts': {'gw-mol-rs-db': dict(hosts['gw-mol-rs-db'])},
        'children': {'postgres': {'children': {'postgres_primary': {'hosts': {'gw-mol-rs-new': dict(hosts['gw-mol-rs-new'])}}}}},
    }}
    path = os.path.join(root, 'hosts.yml')
    with open(path, 'w', encoding='utf-8') as handle:
        yaml.safe_dump(inventory, handle)
    group_vars = os.path.join(root, 'group_vars')
    if not os.path.exists(group_vars):
        os.symlink(os.path.join(os.path.dirname(source), 'group_vars'), group_vars)
    return path


def run_local(playbook, extra_vars=None):
    """run_playbook() against the local-repository inventory; (rc, output, changed count)."""
    return run_playbook(playbook, extra_vars, timeout=PLAYBOOK_TIMEOUT, inventories=[local_inventory()])


def test_full_backup_of_a_primary_without_replicas(db, repo):
    result = as_repo_user(repo, 'pgbackrest --stanza=main check')
    assert result.rc == 0, result.stdout + result.stderr
    create_drill_table(db)
    insert(db, 1, 100)
    backup = full_backup_by_the_timer_unit(repo)
    # No replica to take it from: the primary is copied (pgBackRest would fail on backup-standby).
    assert 'standby' not in backup_journal(repo, 'full')
    assert read_as_nobody(repo, STATUS)['last_backup']['label'] == backup['label']
    insert(db, 101, 200)
    time.sleep(1.5)
    STATE['time'] = sql(db, "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00'")
    STATE['lsn'] = sql(db, 'SELECT pg_current_wal_lsn()')
    time.sleep(1.5)
    insert(db, 201, 300)
    archive_now(db)
    assert rows(db) == (300, 300)


def test_point_in_time_restore_onto_a_fresh_host(new):
    rc, output = run_playbook(RESTORE, {'restore_host': 'gw-mol-rs-new', 'restore_target_time': STATE['time'],
                                        'restore_progress_interval': 1}, timeout=PLAYBOOK_TIMEOUT)[:2]
    assert rc == 0, output[-4000:]
    # The restore ran as an async job; the wait for it said when it ended (the progress lines of a
    # job of known pace: test_a_long_job_shows_its_progress_and_its_failure).
    assert re.search(r'gw-mol-rs-new: pgBackRest restore finished after \d', output), output[-4000:]
    assert rows(new) == (200, 200), 'not exactly the rows written before %s' % STATE['time']
    assert sql(new, 'SELECT pg_is_in_recovery()') == 'f'
    # A drill host does not archive into the stanza.
    assert sql(new, 'SHOW archive_mode', 'postgres') == 'off'
    # pgBackRest's recovery settings are gone from postgresql.auto.conf (a clone would inherit them).
    for setting in ('restore_command', 'recovery_target_time', 'recovery_target_action'):
        assert sql(new, 'SHOW %s' % setting, 'postgres') in ('', 'pause'), setting
    with new.sudo():
        assert 'recovery_target' not in new.check_output('cat %s/postgresql.auto.conf', DATA_DIR)


def test_restore_to_an_lsn_overwrites_a_running_primary_only_when_forced(new):
    sql(new, 'INSERT INTO drill (id) VALUES (100000)')
    rc, output, changed = run_playbook(RESTORE, {'restore_host': 'gw-mol-rs-new', 'restore_target_lsn': STATE['lsn']})
    assert rc != 0
    assert 'Refusing to restore onto gw-mol-rs-new' in output
    assert changed == 0
    assert rows(new) == (201, 100000)

    rc, output = run_playbook(RESTORE, {'restore_host': 'gw-mol-rs-new', 'restore_target_lsn': STATE['lsn'],
                                        'restore_force': True}, timeout=PLAYBOOK_TIMEOUT)[:2]
    assert rc == 0, output[-4000:]
    assert rows(new) == (200, 200)


def progress_percentages(output):
    """The percentages of await_job's progress lines for the test job, in order."""
    return [float(p) for p in re.findall(r'gw-mol-rs-new: test job, running for \w+, ([0-9.]+)% done', output)]


def test_a_long_job_shows_its_progress_and_its_failure():
    rc, output, dummy = run_playbook(AWAIT)
    assert rc == 0, output[-3000:]
    # A line each second while it runs: first without a percentage (nothing logged by this run yet;
    # the earlier run's 100 % is not read), then the logged percentages with the time left.
    assert re.search(r'gw-mol-rs-new: test job, running for \d+s$', output, re.M), output[-3000:]
    percentages = progress_percentages(output)
    assert len(percentages) >= 3, output[-3000:]
    assert percentages == sorted(percentages) and 100.0 not in percentages, percentages
    assert len(re.findall(r'% done, about \w+ left$', output, re.M)) == len(percentages), output[-3000:]
    assert re.search(r'gw-mol-rs-new: test job finished after \d+s', output)
    # A failing job fails the waiting task with the job's own result.
    rc, output, dummy = run_playbook(AWAIT, {'await_exit': 3, 'await_quiet': 0, 'await_steps': '50'})
    assert rc != 0
    assert re.search(r'gw-mol-rs-new: test job failed after \d+s', output), output[-3000:]
    assert re.search(r'"?rc"?: 3', output), output[-3000:]


# Onto a replica: the backup scenario's (it has one).
@pytest.mark.parametrize('extra, message', [
    ({'restore_target_time': '2026-11-23 18:00:00+00', 'restore_target_lsn': '0/3000000'}, 'at most one of restore_target_time'),
    ({'restore_target_time': 'yesterday'}, "got\n'yesterday'"),
    ({'restore_target_lsn': '0/xyz'}, "got '0/xyz'"),
    ({'restore_host': 'no-such-host'}, "got 'no-such-host'"),
    ({'restore_replica_divergence': 'never'}, "restore_replica_divergence reclone or rewind (got 'never')"),
])
def test_restore_request_is_checked_before_anything_runs(extra, message):
    request = dict({'restore_host': 'gw-mol-rs-new'}, **extra)
    rc, output, changed = run_playbook(RESTORE, request)
    assert rc != 0
    assert message.replace('\n', ' ') in ' '.join(output.split()), output[-2000:]
    assert changed == 0


def test_local_repository_is_checked_backed_up_and_restored(new):
    # The fresh host (a standalone primary since the drills) as the only database host: no backup host.
    rc, output = run_local(LOCAL)[:2]
    assert rc == 0, output[-4000:]
    with new.sudo():
        conf = new.check_output('cat /etc/pgbackrest/pgbackrest.conf')
        assert 'repo1-path=/var/lib/pgbackrest' in conf and 'repo1-host' not in conf
        cipher = new.file('/etc/pgbackrest/conf.d/groundwork-cipher.conf')
        assert cipher.mode == 0o640 and cipher.user == 'root' and cipher.group == 'postgres'
    archive_now(new)
    assert sql(new, 'SHOW archive_mode', 'postgres') == 'on'
    # The timer's backup unit runs as postgres on the database host.
    with new.sudo():
        started = new.run('systemctl start pgbackrest-backup@full.service')
        assert started.rc == 0, started.stdout + started.stderr
        assert new.check_output('head -c 8 /var/lib/pgbackrest/backup/main/backup.info') == 'Salted__'
    with new.sudo('postgres'):
        local_info = json.loads(new.check_output('pgbackrest --stanza=main --output=json info'))[0]
    assert local_info['backup'][-1]['type'] == 'full'
    assert read_as_nobody(new, STATUS)['last_backup']['label'] == local_info['backup'][-1]['label']
    expected = rows(new)
    insert(new, expected[1] + 1, expected[1] + 50)
    expected = rows(new)
    archive_now(new)

    # Only the host holding the repository can be restored from it.
    rc, output, changed = run_local(RESTORE, {'restore_host': 'gw-mol-rs-db'})
    assert rc != 0 and 'the repository is a local path on gw-mol-rs-new' in ' '.join(output.split()), output[-2000:]
    assert changed == 0

    with new.sudo():
        new.check_output('systemctl stop %s', SERVICE)
        new.check_output('rm -rf %s', DATA_DIR)
    rc, output = run_local(RESTORE, {'restore_host': 'gw-mol-rs-new'})[:2]
    assert rc == 0, output[-4000:]
    assert rows(new) == expected, 'committed, archived rows were lost'
    assert sql(new, 'SHOW archive_mode', 'postgres') == 'on'
    archive_now(new)
