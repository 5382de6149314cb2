# -*- coding: utf-8 -*-
# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""pgBackRest with an encrypted repository on a backup host, backups from the standby, proven by a restore.

The tests run in file order and build on each other: rows are written around a full backup (taken from
the replica), dumped, then the primary's data directory is destroyed and restored to the latest archived
WAL and the replica re-attached to it. Restores onto a fresh host (to a point in time, to an LSN, from a
local repository) are the restore scenario's.
"""

from __future__ import annotations

import os
import sys
import time

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', '..', 'shared'))
# pylint: disable=wrong-import-position
from backuptest import (DATA_DIR, SERVICE, STATUS, archive_now, as_repo_user, backup_journal,  # noqa: E402
                        create_drill_table, full_backup_by_the_timer_unit, info, insert, read_as_nobody, rows, sql)
from labtest import assert_reported, host_fixture, run_playbook  # noqa: E402

HERE = os.path.dirname(__file__)
CONVERGE = os.path.join(HERE, '..', 'converge.yml')
RESTORE = os.path.join(HERE, '..', '..', '..', 'playbooks', 'restore.yml')
CIPHER_PASS = 'molecule-backup-Cipher-Pass-0123456789'
# A grep pattern matching the passphrase without containing it (sudo logs the command line).
CIPHER_PATTERN = CIPHER_PASS[:-1] + '[' + CIPHER_PASS[-1] + ']'
DUMP_STATUS = '/var/lib/groundwork-pg-dump/status.json'

# Seconds a restore may take: it runs the roles on the restored primary and its replica, which takes
# minutes when the machine is loaded by parallel scenarios.
PLAYBOOK_TIMEOUT = 1800

# What the tests learn along the way (the status record of the newest backup).
STATE = {}


fixture_db = host_fixture('db', 'gw-mol-bk-db')
fixture_replica = host_fixture('replica', 'gw-mol-bk-replica')
fixture_repo = host_fixture('repo', 'gw-mol-bk-repo')


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


def test_full_backup_is_taken_from_the_standby_and_recorded(db, repo):
    create_drill_table(db)
    insert(db, 1, 100)
    backup = full_backup_by_the_timer_unit(repo)
    # Taken from the standby (backup-standby): pgBackRest waited for the replica to replay the start point.
    journal = backup_journal(repo, 'full')
    assert 'replay on the standby' in journal, journal[-2000:]
    # The newest backup is recorded where an unprivileged health check reads it.
    status = read_as_nobody(repo, STATUS)
    assert status['last_backup']['label'] == backup['label'] and status['last_backup']['type'] == 'full'
    assert 0 <= time.time() - status['last_backup']['stop'] < 600
    STATE['status'] = status
    insert(db, 101, 300)
    archive_now(db)
    assert rows(db) == (300, 300)


# The other checks of a restore request (target syntax, unknown host, options) are the restore
# scenario's; this one needs a replica.
def test_restore_onto_a_replica_is_refused_before_anything_runs():
    rc, output, changed = run_playbook(RESTORE, {'restore_host': 'gw-mol-bk-replica'})
    assert rc != 0
    message = 'Refusing to restore onto gw-mol-bk-replica: it is a replica of gw-mol-bk-db'
    assert message in ' '.join(output.split()), output[-2000:]
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
        assert 'ERROR:' in backup_journal(repo, 'diff')
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
