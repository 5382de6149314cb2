# -*- coding: utf-8 -*-
# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the backup and restore scenarios' verifiers share: SQL on a lab host, the drill table, pgBackRest.

The drill table (``drill``: an id and the time it was written) is where both verifiers count rows: a
restore is right when it has exactly the rows committed (and archived) before its target.
"""

from __future__ import annotations

import json

DATA_DIR = '/var/lib/postgresql/17/main'
SERVICE = 'postgresql@17-main'
# The newest backup's record, where an unprivileged health check reads it.
STATUS = '/var/lib/pgbackrest-status/main.json'


def sql(host, query, dbname='app'):
    """Run SQL as postgres over the local socket; return stdout stripped."""
    with host.sudo('postgres'):
        return host.check_output('psql -X -A -t -v ON_ERROR_STOP=1 -d %s -c %s', dbname, query)


def create_drill_table(db):
    sql(db, 'DROP TABLE IF EXISTS drill')
    sql(db, 'CREATE TABLE drill (id integer PRIMARY KEY, at timestamptz NOT NULL DEFAULT clock_timestamp())')


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


def read_as_nobody(host, path):
    """A file as an unprivileged user sees it (how a health check reads it)."""
    with host.sudo('nobody'):
        return json.loads(host.check_output('cat %s', path))


def as_repo_user(repo, command, *args):
    with repo.sudo('pgbackrest'):
        return repo.run(command, *args)


def info(repo):
    """pgbackrest info of the stanza, as the repository host's pgBackRest user reads it."""
    result = as_repo_user(repo, 'pgbackrest --stanza=main --output=json info')
    assert result.rc == 0, result.stderr
    return json.loads(result.stdout)[0]


def full_backup_by_the_timer_unit(repo):
    """Run the full backup the way its timer does; return the new backup's entry of pgbackrest info."""
    before = [b['label'] for b in info(repo).get('backup', [])]
    with repo.sudo():
        started = repo.run('systemctl start pgbackrest-backup@full.service')
    assert started.rc == 0, started.stderr
    backups = info(repo)['backup']
    assert backups[-1]['label'] not in before and backups[-1]['type'] == 'full'
    return backups[-1]


def backup_journal(repo, kind):
    with repo.sudo():
        return repo.check_output('journalctl --no-pager -q -u pgbackrest-backup@%s.service', kind)
