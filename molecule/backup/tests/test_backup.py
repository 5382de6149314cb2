# -*- coding: utf-8 -*-
# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""pgBackRest with an encrypted repository on a backup host, proven by restores.

The tests run in file order and build on each other: rows are written
around a full backup (taken from the replica), restored to a point in time
(and to an LSN) onto a fresh host, the primary's data directory is destroyed
and restored to the latest archived WAL and the replica re-attached to it;
then the fresh host gets a repository of its own (local path) that is
checked, backed up and restored.
"""

from __future__ import annotations

import json
import os
import sys
import time

import pytest
import yaml

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', '..', 'shared'))
from labtest import assert_reported, host_fixture, run_playbook  # noqa: E402  pylint: disable=wrong-import-position

HERE = os.path.dirname(__file__)
CONVERGE = os.path.join(HERE, '..', 'converge.yml')
RESTORE = os.path.join(HERE, '..', '..', '..', 'playbooks', 'restore.yml')
LOCAL = os.path.join(HERE, '..', 'local.yml')
CIPHER_PASS = 'molecule-backup-Cipher-Pass-0123456789'
# A grep pattern matching the passphrase without containing it (sudo logs the command line).
CIPHER_PATTERN = CIPHER_PASS[:-1] + '[' + CIPHER_PASS[-1] + ']'
DATA_DIR = '/var/lib/postgresql/17/main'
SERVICE = 'postgresql@17-main'
STATUS = '/var/lib/pgbackrest-status/main.json'
DUMP_STATUS = '/var/lib/groundwork-pg-dump/status.json'

# Seconds a playbook run may take: a restore onto a fresh host creates a cluster and runs the roles, which takes
# many minutes when the machine is loaded by parallel scenarios.
PLAYBOOK_TIMEOUT = 1800

# What the tests learn along the way (rows written, the noted time and LSN).
STATE = {}


fixture_db = host_fixture('db', 'gw-mol-bk-db')
fixture_replica = host_fixture('replica', 'gw-mol-bk-replica')
fixture_repo = host_fixture('repo', 'gw-mol-bk-repo')
fixture_new = host_fixture('new', 'gw-mol-bk-new')


def sql(host, query, dbname='app'):
    """Run SQL as postgres over the local socket; return stdout stripped."""
    with host.sudo('postgres'):
        return host.check_output('psql -X -A -t -v ON_ERROR_STOP=1 -d %s -c %s', dbname, query)


def rows(host):
    """(count, max id) of the drill table."""
    count, top = sql(host, 'SELECT count(*), coalesce(max(id), 0) FROM drill').split('|')
    return int(count), int(top)


def insert(db, first, last):
    sql(db, 'INSERT INTO drill (id) SELECT g FROM generate_series(%d, %d) AS g' % (first, last))


def archive_now(db):
    """Switch WAL and wait until the segment is in the repository (pgbackrest check does both)."""
    with db.sudo('postgres'):
        result = db.run('pgbackrest --stanza=main check')
    assert result.rc == 0, result.stdout + result.stderr


def local_inventory():
    """An inventory of the fresh host alone as the primary (no `backup` group: a local repository).

    gw-mol-bk-db is in it too, in no group, as a host a local repository cannot be restored onto.
    """
    source = os.environ['MOLECULE_INVENTORY_FILE']
    with open(source, encoding='utf-8') as handle:
        hosts = yaml.safe_load(handle)['all']['hosts']
    root = os.path.join(os.environ['MOLECULE_EPHEMERAL_DIRECTORY'], 'local-repo')
    os.makedirs(root, exist_ok=True)
    inventory = {'all': {
        'hosts': {'gw-mol-bk-db': dict(hosts['gw-mol-bk-db'])},
        'children': {'postgres': {'children': {'postgres_primary': {'hosts': {'gw-mol-bk-new': dict(hosts['gw-mol-bk-new'])}}}}},
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


def read_as_nobody(host, path):
    """A file as an unprivileged user sees it (how a health check reads it)."""
    with host.sudo('nobody'):
        return json.loads(host.check_output('cat %s', path))


def as_repo_user(repo, command, *args):
    with repo.sudo('pgbackrest'):
        return repo.run(command, *args)


def info(repo):
    result = as_repo_user(repo, 'pgbackrest --stanza=main --output=json info')
    assert result.rc == 0, result.stderr
    return json.loads(result.stdout)[0]


def test_check_passes_from_both_sides(db, repo):
    result = as_repo_user(repo, 'pgbackrest --stanza=main check')
    assert result.rc == 0, result.stdout + result.stderr
    archive_now(db)
    assert sql(db, 'SHOW archive_mode', 'postgres') == 'on'
    assert 'archive-push' in sql(db, 'SHOW archive_command', 'postgres')


def test_repository_is_encrypted_and_the_passphrase_stays_private(db, repo):
    assert info(repo)['cipher'] == 'aes-256-cbc'
    # Repository files are OpenSSL-encrypted ("Salted__" header), metadata and WAL alike.
    with repo.sudo():
        wal = repo.check_output('find /var/lib/pgbackrest/archive/main -name "0000*" -type f | head -n 1')
        assert wal
        for path in ('/var/lib/pgbackrest/backup/main/backup.info', wal):
            assert repo.check_output('head -c 8 %s', path) == 'Salted__', path
        conf = repo.file('/etc/pgbackrest/conf.d/groundwork-cipher.conf')
        assert conf.mode == 0o640 and conf.user == 'root' and conf.group == 'pgbackrest'
        assert repo.check_output('stat -c %%a %s', '/etc/pgbackrest/conf.d') == '750'
        assert repo.run('grep -rqs %s /var/log/pgbackrest', CIPHER_PATTERN).rc == 1
        assert CIPHER_PASS not in repo.check_output('journalctl --no-pager -q')
    # The passphrase exists only on the repository host, and never in logs.
    with db.sudo():
        assert db.run('grep -rqs %s /etc /var/log /var/lib/postgresql', CIPHER_PATTERN).rc == 1
        assert CIPHER_PASS not in db.check_output('journalctl --no-pager -q')


def test_backups_are_scheduled_by_timers(repo):
    for kind, calendar in (('full', 'Sun *-*-* 01:00:00'), ('diff', 'Mon..Sat *-*-* 01:00:00')):
        timer = repo.service('pgbackrest-%s.timer' % kind)
        assert timer.is_enabled and timer.is_running
        shown = repo.check_output('systemctl show -p TimersCalendar pgbackrest-%s.timer', kind)
        assert calendar.split()[0] in shown


def test_point_in_time_restore_onto_a_fresh_host(db, repo, new):
    sql(db, 'DROP TABLE IF EXISTS drill')
    sql(db, 'CREATE TABLE drill (id integer PRIMARY KEY, at timestamptz NOT NULL DEFAULT clock_timestamp())')
    insert(db, 1, 100)
    before = [b['label'] for b in info(repo).get('backup', [])]
    # The full backup runs the way the timer runs it.
    with repo.sudo():
        started = repo.run('systemctl start pgbackrest-backup@full.service')
    assert started.rc == 0, started.stderr
    backups = info(repo)['backup']
    assert backups[-1]['label'] not in before and backups[-1]['type'] == 'full'
    # Taken from the standby (backup-standby): pgBackRest waited for the replica to replay the start point.
    with repo.sudo():
        journal = repo.check_output('journalctl --no-pager -q -u pgbackrest-backup@full.service')
    assert 'replay on the standby' in journal, journal[-2000:]
    # The newest backup is recorded where an unprivileged health check reads it.
    status = read_as_nobody(repo, STATUS)
    assert status['last_backup']['label'] == backups[-1]['label'] and status['last_backup']['type'] == 'full'
    assert 0 <= time.time() - status['last_backup']['stop'] < 600
    STATE['status'] = status
    insert(db, 101, 200)
    time.sleep(1.5)
    STATE['time'] = sql(db, "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00'")
    STATE['lsn'] = sql(db, 'SELECT pg_current_wal_lsn()')
    time.sleep(1.5)
    insert(db, 201, 300)
    archive_now(db)
    assert rows(db) == (300, 300)

    rc, output = run_playbook(RESTORE, {'restore_host': 'gw-mol-bk-new', 'restore_target_time': STATE['time']},
                              timeout=PLAYBOOK_TIMEOUT)[:2]
    assert rc == 0, output[-4000:]
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
    rc, output, changed = run_playbook(RESTORE, {'restore_host': 'gw-mol-bk-new', 'restore_target_lsn': STATE['lsn']})
    assert rc != 0
    assert 'Refusing to restore onto gw-mol-bk-new' in output
    assert changed == 0
    assert rows(new) == (201, 100000)

    rc, output = run_playbook(RESTORE, {'restore_host': 'gw-mol-bk-new', 'restore_target_lsn': STATE['lsn'],
                                        'restore_force': True}, timeout=PLAYBOOK_TIMEOUT)[:2]
    assert rc == 0, output[-4000:]
    assert rows(new) == (200, 200)


@pytest.mark.parametrize('extra, message', [
    ({'restore_target_time': '2026-11-23 18:00:00+00', 'restore_target_lsn': '0/3000000'}, 'at most one of restore_target_time'),
    ({'restore_target_time': 'yesterday'}, "got\n'yesterday'"),
    ({'restore_target_lsn': '0/xyz'}, "got '0/xyz'"),
    ({'restore_host': 'no-such-host'}, "got 'no-such-host'"),
    ({'restore_replica_divergence': 'never'}, "restore_replica_divergence reclone or rewind (got 'never')"),
    ({'restore_host': 'gw-mol-bk-replica'}, 'Refusing to restore onto gw-mol-bk-replica: it is a replica of gw-mol-bk-db'),
])
def test_restore_request_is_checked_before_anything_runs(extra, message):
    request = dict({'restore_host': 'gw-mol-bk-new'}, **extra)
    rc, output, changed = run_playbook(RESTORE, request)
    assert rc != 0
    assert message.replace('\n', ' ') in ' '.join(output.split()), output[-2000:]
    assert changed == 0


def test_logical_dump_is_compressed_restorable_and_retention_is_enforced(db, replica):
    with db.sudo():
        db.check_output('install -o postgres -g postgres -m 0600 /dev/null /var/backups/postgresql/app-old.dump')
        db.check_output("touch -d '31 days ago' /var/backups/postgresql/app-old.dump")
        db.check_output('install -o postgres -g postgres -m 0600 /dev/null /var/backups/postgresql/app-recent.dump')
        db.check_output("touch -d '29 days ago' /var/backups/postgresql/app-recent.dump")
        before = set(db.check_output('ls /var/backups/postgresql').split())
        result = db.run('systemctl start groundwork-pg-dump.service')
        assert result.rc == 0, result.stderr
        dumps = db.check_output('ls /var/backups/postgresql').split()
        assert 'app-old.dump' not in dumps and 'app-recent.dump' in dumps
        new_dumps = [d for d in dumps if d.startswith('app-2') and d not in before]
        assert len(new_dumps) == 1
        dump = '/var/backups/postgresql/' + new_dumps[0]
        listing = db.check_output('pg_restore -l %s', dump)
        assert 'TABLE public drill' in listing
        assert 'Compression: zstd' in listing
    # The dump restores: a scratch database gets the same rows.
    sql(db, 'DROP DATABASE IF EXISTS dump_check', 'postgres')
    sql(db, 'CREATE DATABASE dump_check', 'postgres')
    with db.sudo('postgres'):
        restored = db.run('pg_restore --no-owner --exit-on-error -d dump_check %s', dump)
    assert restored.rc == 0, restored.stderr
    assert rows(db) == (300, 300)
    assert sql(db, 'SELECT count(*), max(id) FROM drill', 'dump_check') == '300|300'
    sql(db, 'DROP DATABASE dump_check', 'postgres')
    # The run is recorded for monitoring, readable by any user.
    status = read_as_nobody(db, DUMP_STATUS)
    assert status['databases'] == ['app'] and 0 <= time.time() - status['finished'] < 300
    # A replica runs the timer too (it follows the primary role) but dumps nothing.
    with replica.sudo():
        result = replica.run('systemctl start groundwork-pg-dump.service')
        assert result.rc == 0, result.stderr
        assert replica.check_output('ls /var/backups/postgresql') == ''
    # A failing dump fails the unit, says why in the journal, and prunes nothing.
    with db.sudo():
        db.check_output("touch -d '40 days ago' %s", dump)
        db.check_output('chmod 0500 /var/backups/postgresql')
        try:
            failed = db.run('systemctl start groundwork-pg-dump.service')
            assert failed.rc != 0
            assert db.run('systemctl is-failed groundwork-pg-dump.service').stdout.strip() == 'failed'
            journal = db.check_output('journalctl --no-pager -q -u groundwork-pg-dump.service')
            assert 'pg_dump: error' in journal, journal[-2000:]
            assert db.file(dump).exists, 'a failed run pruned an old dump'
        finally:
            db.check_output('chmod 0700 /var/backups/postgresql')
            db.check_output('systemctl reset-failed groundwork-pg-dump.service')
        assert read_as_nobody(db, DUMP_STATUS) == status


def test_failed_backup_is_visible_and_latest_restore_loses_no_archived_row(db, replica, repo):
    insert(db, 301, 400)
    archive_now(db)
    expected = rows(db)
    assert expected == (400, 400)

    started = sql(db, 'SELECT pg_postmaster_start_time()')
    rc, output, changed = run_playbook(RESTORE, {'restore_host': 'gw-mol-bk-db'})
    assert rc != 0 and 'Refusing to restore onto gw-mol-bk-db' in output
    assert changed == 0
    assert sql(db, 'SELECT pg_postmaster_start_time()') == started

    with db.sudo():
        db.check_output('systemctl stop %s', SERVICE)
        db.check_output('rm -rf %s', DATA_DIR)

    # A backup that cannot reach the primary fails loudly in the journal.
    with repo.sudo():
        failed = repo.run('systemctl start pgbackrest-backup@diff.service')
        assert failed.rc != 0
        assert repo.run('systemctl is-failed pgbackrest-backup@diff.service').stdout.strip() == 'failed'
        journal = repo.check_output('journalctl --no-pager -q -u pgbackrest-backup@diff.service')
        assert 'ERROR:' in journal
        repo.check_output('systemctl reset-failed pgbackrest-backup@diff.service')
    # The status monitoring reads still names the last successful backup.
    assert read_as_nobody(repo, STATUS) == STATE['status']

    rc, output = run_playbook(RESTORE, {'restore_host': 'gw-mol-bk-db'}, timeout=PLAYBOOK_TIMEOUT)[:2]
    assert rc == 0, output[-4000:]
    assert rows(db) == expected, 'committed, archived rows were lost'
    timeline = int(sql(db, 'SELECT timeline_id FROM pg_control_checkpoint()', 'postgres'))
    assert timeline >= 2
    # The replica was re-attached: it streams the new timeline from the restored primary through its slot.
    assert sql(db, "SELECT active FROM pg_replication_slots WHERE slot_name = 'gw_mol_bk_replica'", 'postgres') == 't'
    assert sql(replica, 'SELECT status, received_tli FROM pg_stat_wal_receiver', 'postgres') == 'streaming|%d' % timeline
    assert sql(replica, 'SELECT pg_is_in_recovery()', 'postgres') == 't'
    assert sql(replica, 'SHOW recovery_target_time', 'postgres') == ''
    # The restored primary takes writes, the replica gets them, and they are archived again.
    insert(db, 401, 410)
    lsn = sql(db, 'SELECT pg_current_wal_lsn()')
    for _attempt in range(30):
        if sql(replica, "SELECT pg_last_wal_replay_lsn() >= '%s'::pg_lsn" % lsn, 'postgres') == 't':
            break
        time.sleep(1)
    assert rows(replica) == (410, 410)
    archive_now(db)
    result = as_repo_user(repo, 'pgbackrest --stanza=main check')
    assert result.rc == 0, result.stdout + result.stderr


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
    rc, output, changed = run_local(RESTORE, {'restore_host': 'gw-mol-bk-db'})
    assert rc != 0 and 'the repository is a local path on gw-mol-bk-new' in ' '.join(output.split()), output[-2000:]
    assert changed == 0

    with new.sudo():
        new.check_output('systemctl stop %s', SERVICE)
        new.check_output('rm -rf %s', DATA_DIR)
    rc, output = run_local(RESTORE, {'restore_host': 'gw-mol-bk-new'})[:2]
    assert rc == 0, output[-4000:]
    assert rows(new) == expected, 'committed, archived rows were lost'
    assert sql(new, 'SHOW archive_mode', 'postgres') == 'on'
    archive_now(new)


# The role's first checks (tasks/validate.yml) report every broken rule at
# once; the schedules are checked after them, with systemd on the host, so a
# broken schedule has a run of its own (three runs until 2026-12-06).
@pytest.mark.parametrize('extra, messages', [
    ({'pgbackrest_cipher_pass': 'too-short', 'pgbackrest_retention_full': 0},
     ['- pgbackrest_cipher_pass: a string of at least 20 characters',
      '- pgbackrest_retention_full: a whole number, 1 or more (got 0)']),
    ({'pgbackrest_full_schedule': 'every sunday'},
     ['- pgbackrest_full_schedule: a systemd calendar expression (systemd-analyze calendar) (got "every sunday")']),
])
def test_bad_input_fails_before_any_change(extra, messages):
    rc, output, changed = run_playbook(CONVERGE, extra, limit='gw-mol-bk-repo')
    assert rc != 0
    assert_reported(output, messages)
    assert changed == 0
    # A broken secret is named, never shown.
    if 'pgbackrest_cipher_pass' in extra:
        assert extra['pgbackrest_cipher_pass'] not in output
