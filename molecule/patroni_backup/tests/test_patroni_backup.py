# -*- coding: utf-8 -*-
# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""pgBackRest under Patroni, run in order from the controller.

1. The archive settings come from Patroni (etcd's dynamic configuration; restore_command from each member's
   configuration), not from the Debian cluster's conf.d, which Patroni does not read.
2. pgbackrest check passes from the repository host and from the leader: WAL reaches the encrypted repository.
3. A full backup by the timer's unit is taken from the standby.
4. switchover.yml hands the leadership over: the new leader archives WAL of its new timeline into the same
   stanza, and the next (differential) backup is taken from the new standby, the old leader, with nothing
   changed in pgBackRest's configuration.
5. rebuild_host.yml brings back a standby whose host lost its data and pgBackRest's configuration, restored from
   the newest backup (patroni_clone_from_backup): the repository's check passes and the next backup is taken from
   it; a second run changes nothing.
6. restore.yml to a point in time onto a member: refused unless forced while the cluster has a leader; a target
   before the first backup fails at once, named; forced with a good target, Patroni bootstraps a new cluster from
   the backup there, the other member clones it, rows after the target are gone from both, and the stanza archives
   the new timeline.
"""

from __future__ import annotations

import json
import os
import ssl
import sys
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', '..', 'shared'))
# pylint: disable=wrong-import-position
from backuptest import (archive_now, as_repo_user, backup_journal, create_drill_table,  # noqa: E402
                        full_backup_by_the_timer_unit, info, insert, rows, sql)
from labtest import host_fixture, lab_host, run_playbook, wait_until  # noqa: E402

PLAYBOOKS = os.path.join(os.path.dirname(__file__), '..', '..', '..', 'playbooks')
MEMBERS = {'gw-mol-pb-db1': '10.213.26.11', 'gw-mol-pb-db2': '10.213.26.12'}
ARCHIVE_COMMAND = 'pgbackrest --stanza=main archive-push %p'
ETCDCTL = ('etcdctl --endpoints=https://127.0.0.1:2379 --cacert=/etc/etcd/tls/ca.crt --cert=/etc/etcd/tls/etcd.crt '
           '--key=/etc/etcd/tls/etcd.key')
RESTORE_COMMAND = 'pgbackrest --stanza=main archive-get %f "%p"'
CA = os.path.join(os.environ.get('MOLECULE_EPHEMERAL_DIRECTORY', ''), 'pki', 'groundwork-ca.crt')

fixture_repo = host_fixture('repo', 'gw-mol-pb-repo')
STATE = {}


def leader():
    """The member whose PostgreSQL is not in recovery."""
    leaders = [name for name in MEMBERS if sql(lab_host(name), 'SELECT pg_is_in_recovery()', 'postgres') == 'f']
    assert len(leaders) == 1, leaders
    return leaders[0]


def dynamic_config(name):
    """Patroni's dynamic configuration (what etcd holds), from the member's REST API, its certificate checked
    against the collection CA."""
    context = ssl.create_default_context(cafile=CA)
    with urllib.request.urlopen('https://%s:8008/config' % MEMBERS[name], context=context, timeout=5) as response:
        return json.loads(response.read().decode())


def test_archive_settings_come_from_patroni_on_every_member():
    parameters = dynamic_config(leader())['postgresql']['parameters']
    assert parameters['archive_mode'] == 'on' and parameters['archive_command'] == ARCHIVE_COMMAND, parameters
    replica = next(name for name in MEMBERS if name != leader())
    for name in MEMBERS:
        host = lab_host(name)
        assert sql(host, 'SHOW archive_mode', 'postgres') == 'on', name
        assert sql(host, 'SHOW archive_command', 'postgres') == ARCHIVE_COMMAND, name
        # The Debian cluster's conf.d is not Patroni's: the streaming mode's file is not written there.
        assert not host.file('/etc/postgresql/17/main/conf.d/95-pgbackrest.conf').exists, name
    # A replica fetches from the repository the WAL its leader has removed already.
    assert sql(lab_host(replica), 'SHOW restore_command', 'postgres') == RESTORE_COMMAND


def test_check_passes_from_the_repository_and_the_leader(repo):
    result = as_repo_user(repo, 'pgbackrest --stanza=main check')
    assert result.rc == 0, result.stdout + result.stderr
    archive_now(lab_host(leader()))
    assert info(repo)['cipher'] == 'aes-256-cbc'


def test_full_backup_is_taken_from_the_standby(repo):
    primary = lab_host(leader())
    create_drill_table(primary)
    insert(primary, 1, 100)
    STATE['full'] = full_backup_by_the_timer_unit(repo)
    journal = backup_journal(repo, 'full')
    assert 'replay on the standby' in journal, journal[-2000:]


def test_after_a_switchover_the_new_leader_archives_and_backups_follow_it(repo):
    old = leader()
    new = next(name for name in MEMBERS if name != old)
    rc, output, _changed = run_playbook(os.path.join(PLAYBOOKS, 'switchover.yml'),
                                        extra_vars={'switchover_target': new})
    assert rc == 0, output[-3000:]
    assert wait_until(lambda: leader() == new, timeout=60)
    primary = lab_host(new)
    insert(primary, 101, 200)
    # The new leader's WAL reaches the same stanza (pgbackrest check switches WAL and waits for it there).
    archive_now(primary)
    timeline = int(sql(primary, 'SELECT timeline_id FROM pg_control_checkpoint()', 'postgres'))
    assert timeline > 1
    newest_wal = info(repo)['archive'][0]['max']
    assert int(newest_wal[:8], 16) == timeline, (newest_wal, timeline)
    # The next backup, with nothing changed in pgBackRest's configuration: from the new standby (the old
    # leader), on top of the full backup taken before the switchover.
    with repo.sudo():
        started = repo.run('systemctl start pgbackrest-backup@diff.service')
    assert started.rc == 0, started.stderr
    newest = info(repo)['backup'][-1]
    assert newest['type'] == 'diff' and newest['prior'] == STATE['full']['label'], newest
    journal = backup_journal(repo, 'diff')
    assert 'replay on the standby' in journal, journal[-2000:]
    # Its WAL range is on the new timeline.
    assert int(newest['archive']['start'][:8], 16) == timeline, newest['archive']
    assert rows(primary) == (200, 200)


def test_a_rebuilt_member_archives_and_is_backed_up_again(repo):
    """rebuild_host.yml in this mode, backups on: a standby's host lost its data (etcd's, PostgreSQL's, Patroni's
    configuration), pgBackRest's configuration and the postgres user's SSH keys. The playbook brings the member
    back (a new etcd member, restored by Patroni from the newest backup: patroni_clone_from_backup) and
    pgBackRest's side of it (configuration, SSH trust both ways): the repository host's check passes and the
    next backup is taken from that standby. The leader is not restarted, the member's etcd entry is new, it
    holds the leader's rows on its timeline, and a second run changes nothing. (The base role's part is
    skipped: molecule/replication drills it.)"""
    primary = leader()
    standby = next(name for name in MEMBERS if name != primary)
    host = lab_host(standby, sudo=True)
    leader_started = lab_host(primary).check_output('systemctl show -p ActiveEnterTimestampMonotonic --value patroni')
    old_id = next(m['ID'] for m in json.loads(lab_host(primary, sudo=True).check_output(
        ETCDCTL + ' member list --write-out=json --hex'))['members'] if m['name'] == standby)
    since = int(time.time()) - 1
    host.run_test('systemctl stop patroni etcd')
    host.run_test('rm -rf /var/lib/etcd/groundwork /etc/etcd/bootstrap.env /var/lib/postgresql/17/main '
                  '/etc/patroni/config.yml /etc/pgbackrest /var/lib/postgresql/.ssh')
    rebuild = os.path.join(PLAYBOOKS, 'rebuild_host.yml')
    rc, output, changed = run_playbook(rebuild, extra_vars={'rebuild_host': standby}, args=['--skip-tags', 'base'])
    assert rc == 0 and changed > 0, output[-3000:]
    # Its etcd member was removed under its old ID and added anew.
    members = json.loads(lab_host(primary, sudo=True).check_output(ETCDCTL + ' member list --write-out=json --hex'))
    assert sorted(m['name'] for m in members['members']) == sorted(list(MEMBERS) + ['gw-mol-pb-repo']), members
    assert next(m['ID'] for m in members['members'] if m['name'] == standby) != old_id, members
    # The leader was left running, and the member follows it on its timeline with its rows.
    assert lab_host(primary).check_output('systemctl show -p ActiveEnterTimestampMonotonic --value patroni') == \
        leader_started
    assert leader() == primary
    assert sql(lab_host(standby), 'SELECT pg_is_in_recovery()', 'postgres') == 't'
    timeline = 'SELECT timeline_id FROM pg_control_checkpoint()'
    assert wait_until(lambda: sql(lab_host(standby), timeline, 'postgres')
                      == sql(lab_host(primary), timeline, 'postgres'), timeout=60)
    assert wait_until(lambda: rows(lab_host(standby)) == rows(lab_host(primary)), timeout=30)
    assert sql(lab_host(standby), 'SHOW restore_command', 'postgres') == RESTORE_COMMAND
    # patroni_clone_from_backup: Patroni made it from the newest backup, not from the leader.
    journal = host.check_output('journalctl --no-pager -q -u patroni --since %s', '@%d' % since)
    assert 'replica has been created using pgbackrest' in journal, journal[-3000:]
    result = as_repo_user(repo, 'pgbackrest --stanza=main check')
    assert result.rc == 0, result.stdout + result.stderr
    before = info(repo)['backup'][-1]['label']
    since = int(time.time()) - 1
    with repo.sudo():
        started = repo.run('systemctl start pgbackrest-backup@diff.service')
        # This run's lines only (the unit ran in the previous drill too).
        journal = repo.check_output('journalctl --no-pager -q -u pgbackrest-backup@diff.service --since %s',
                                    '@%d' % since)
    assert started.rc == 0, started.stderr
    newest = info(repo)['backup'][-1]
    assert newest['label'] != before and newest['type'] == 'diff', newest
    assert 'replay on the standby' in journal, journal[-2000:]
    rc, output, changed = run_playbook(rebuild, extra_vars={'rebuild_host': standby}, args=['--skip-tags', 'base'])
    assert rc == 0 and changed == 0, output[-3000:]


def test_restore_playbook_bootstraps_the_cluster_from_the_backup_at_a_point_in_time(repo):
    """restore.yml in this mode, to a point in time, onto the standby: refused while the cluster has a leader
    unless forced; a target with no backup before it fails, named, without waiting out the timeout; forced
    with a good target, Patroni bootstraps a new cluster from the backup on the member named (pgBackRest
    restores, PostgreSQL replays the archive to the target and is promoted), the other member is emptied and
    clones it. Rows committed before the target are there, rows after it are not, on both members; the
    stanza archives the new timeline."""
    old = leader()
    named = next(name for name in MEMBERS if name != old)
    primary = lab_host(old)
    insert(primary, 1001, 1100)
    target = sql(primary, "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00'",
                 'postgres')
    time.sleep(0.5)
    insert(primary, 1101, 1200)
    archive_now(primary)
    timeline = int(sql(primary, 'SELECT timeline_id FROM pg_control_checkpoint()', 'postgres'))
    restore = os.path.join(PLAYBOOKS, 'restore.yml')
    rc, output, changed = run_playbook(restore, extra_vars={'restore_host': named, 'restore_target_time': target})
    assert rc != 0 and changed == 0, output[-3000:]
    assert 'Refusing to restore the Patroni cluster: %s leads it' % old in ' '.join(output.split()), output[-3000:]
    # A target before the first backup: pgBackRest finds no backup set, Patroni's bootstrap fails and systemd
    # starts it again; the playbook stops it there and says so instead of waiting for restore_timeout.
    rc, output, _changed = run_playbook(restore, extra_vars={'restore_host': named, 'restore_force': True,
                                                             'restore_target_time': '2020-01-01 00:00:00+00'},
                                        timeout=1200)
    assert rc != 0, output[-3000:]
    assert "Patroni's bootstrap from the backup failed on %s" % named in ' '.join(output.split()), output[-3000:]
    assert lab_host(named).check_output('systemctl is-active patroni || true') in ('inactive', 'failed')
    started = time.time()
    rc, output, _changed = run_playbook(restore, extra_vars={'restore_host': named, 'restore_target_time': target,
                                                             'restore_force': True}, timeout=1200)
    took = time.time() - started
    assert rc == 0, output[-4000:]
    assert leader() == named
    # The other member clones the new leader and streams from it (the role waited for it).
    assert sql(lab_host(old), 'SELECT pg_is_in_recovery()', 'postgres') == 't'
    query = 'SELECT count(*) FILTER (WHERE id BETWEEN 1001 AND 1100), count(*) FILTER (WHERE id > 1100) FROM drill'
    assert sql(lab_host(named), query) == '100|0'
    assert wait_until(lambda: sql(lab_host(old), query) == '100|0', timeout=60)
    new_timeline = int(sql(lab_host(named), 'SELECT timeline_id FROM pg_control_checkpoint()', 'postgres'))
    assert new_timeline > timeline
    # No recovery target is left for a clone to stop at.
    assert sql(lab_host(named), 'SHOW recovery_target_time', 'postgres') == ''
    result = as_repo_user(repo, 'pgbackrest --stanza=main check')
    assert result.rc == 0, result.stdout + result.stderr
    assert int(info(repo)['archive'][0]['max'][:8], 16) == new_timeline
    print('\nDRILL restore.yml (Patroni): %s bootstrapped from the backup to %s, %s cloned it, in %.1f s'
          % (named, target, old, took))
