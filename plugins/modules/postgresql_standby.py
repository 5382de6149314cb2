#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: postgresql_standby
short_description: Make a host a streaming standby of a PostgreSQL primary (clone, attach, rewind or re-clone)
version_added: 0.1.0
description:
  - Looks at the local data directory and server and at the primary (over a replication connection), and does
    the one thing needed to make this host a standby streaming from that primary.
  - Already a standby with the wanted settings -> no change.
  - Missing or empty data directory -> clone with C(pg_basebackup) (C(-X stream), fast checkpoint, the replication
    slot when given), write the standby settings and C(standby.signal), start the server and wait until it streams.
  - A cluster of the same system that can follow the primary (for example a standby of the old primary that
    had not received more WAL than the new primary, or an old primary shut down cleanly during a switchover)
    -> write the standby settings and (re)start or reload.
  - A cluster that diverged (an old primary that crashed or kept writing after the switch point), or a data
    directory of another cluster -> what O(divergence) says; V(never) refuses and explains.
  - Refuses when this host runs a primary on the primary's timeline or a newer one (two primaries, or a stale
    primary given).
  - Passwords never appear on a command line or in the output; connections read them from O(passfile).
options:
  primary_host:
    description: Address of the primary. Must match its certificate with O(ssl_mode=verify-full).
    type: str
    required: true
  primary_port:
    description: Port of the primary.
    type: int
    default: 5432
  replication_user:
    description:
      - Role with the REPLICATION attribute used to stream and clone.
      - For O(divergence=rewind) it also needs EXECUTE on pg_ls_dir, pg_stat_file and pg_read_binary_file and may
        connect to database C(postgres).
    type: str
    required: true
  passfile:
    description:
      - libpq password file (owned by O(run_as), mode 0600) with the password of O(replication_user).
      - Written into C(primary_conninfo) as C(passfile=...), so the password itself is never in a setting.
    type: path
    required: true
  slot_name:
    description: Physical replication slot on the primary; empty for none. Also the C(application_name).
    type: str
    default: ''
  application_name:
    description: C(application_name) of the standby (what C(synchronous_standby_names) lists). Defaults to O(slot_name).
    type: str
  ssl_mode:
    description:
      - libpq C(sslmode) of the replication connection (the modes of the other modules' O(ssl_mode); the
        default here is V(verify-full), since a standby trusts the primary with all of its data).
    type: str
    default: verify-full
    choices: [allow, disable, prefer, require, verify-ca, verify-full]
  ca_cert:
    description: CA certificate the primary's certificate must be signed by (C(sslrootcert)).
    type: path
  data_dir:
    description: Data directory of the local cluster.
    type: path
    required: true
  conf_file:
    description: File the standby settings (C(primary_conninfo), C(primary_slot_name)) are written to, included by C(postgresql.conf).
    type: path
    required: true
  config_file:
    description: The cluster's C(postgresql.conf), given to C(pg_rewind --config-file) (Debian keeps it outside the data directory).
    type: path
    required: true
  major:
    description: PostgreSQL major version of the local cluster.
    type: int
    required: true
  bin_dir:
    description: Directory of pg_basebackup, pg_rewind and pg_controldata. Defaults to C(/usr/lib/postgresql/<major>/bin).
    type: path
  service:
    description: systemd unit of the local cluster.
    type: str
    required: true
  port:
    description: Port of the local cluster (for queries over its Unix socket).
    type: int
    default: 5432
  run_as:
    description: Operating system user that owns the data directory and runs the PostgreSQL tools.
    type: str
    default: postgres
  divergence:
    description:
      - What to do with a data directory that cannot simply follow the primary.
      - V(rewind) runs C(pg_rewind) against the primary (the local server is stopped first); a data directory of
        another cluster or version cannot be rewound and is refused.
      - When the cluster's configuration sets C(restore_command) (pgBackRest's C(archive-get)), C(pg_rewind) runs
        with C(--restore-target-wal), so WAL the old primary already removed is fetched from the archive.
      - V(reclone) deletes the data directory's content and clones it again.
      - V(never) refuses and explains.
    type: str
    default: rewind
    choices: [rewind, reclone, never]
  timeout:
    description: Seconds to wait for the standby to stream after a change.
    type: int
    default: 120
  progress_log:
    description:
      - File that a clone's progress goes to. C(pg_basebackup) runs with C(--progress), which first sums the size of
        the primary's data and then reports the share copied once a second, and its messages are appended to this
        file (as O(run_as), so it must be in a directory that user may write to).
      - M(groundwork.stack.await_job) reads it while the module runs asynchronously, to show the percentage and the
        time left of a long clone.
      - Unset, the clone reports nothing until it ends.
    type: str
attributes:
  check_mode:
    description: Reports the action it would take (RV(action), RV(reason)) and changes nothing.
    support: full
  diff_mode:
    description: Not supported.
    support: none
notes:
  - Runs as root (the tools are run as O(run_as) through C(runuser)) or as O(run_as) itself.
  - The primary must allow replication connections of O(replication_user) from this host, over TLS.
seealso:
  - module: groundwork.stack.postgresql_promote
  - module: groundwork.stack.postgresql_replication_info
  - name: pg_rewind
    description: How a diverged former primary is resynchronised.
    link: https://www.postgresql.org/docs/current/app-pgrewind.html
author:
  - groundwork.stack maintainers (@groundwork)
'''

EXAMPLES = r'''
- name: Make this host a standby of db1
  become: true
  groundwork.stack.postgresql_standby:
    primary_host: 10.0.0.11
    replication_user: replicator
    passfile: /var/lib/postgresql/.groundwork-replication.pgpass
    slot_name: db2
    ca_cert: /etc/postgresql/groundwork-tls/root.crt
    data_dir: /var/lib/postgresql/17/main
    conf_file: /etc/postgresql/17/main/conf.d/95-groundwork-standby.conf
    config_file: /etc/postgresql/17/main/postgresql.conf
    major: 17
    service: postgresql@17-main
    divergence: rewind
'''

RETURN = r'''
action:
  description: What was done (or would be done in check mode).
  returned: always
  type: str
  sample: clone
reason:
  description: Why.
  returned: always
  type: str
  sample: the data directory is missing or empty
commands:
  description: Commands run (or that would run), as argv lists. They hold no password.
  returned: always
  type: list
  elements: list
primary:
  description: What the primary reported (system identifier, timeline, WAL position).
  returned: always
  type: dict
  sample: {"system_identifier": "7440001234567890123", "timeline": 2, "lsn": "0/5000060"}
status:
  description: State of the local wal receiver after the run (C(streaming) when it follows the primary).
  returned: always
  type: str
  sample: streaming
seconds:
  description: Seconds taken by each step that ran (C(copy) for pg_basebackup or pg_rewind, C(streaming) from the start of the server until it streams).
  returned: always
  type: dict
  sample: {"copy": 12.4, "streaming": 2.1}
'''

import contextlib
import os
import pwd
import shutil
import tempfile
import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.groundwork.stack.plugins.module_utils.postgres import SSL_MODES
from ansible_collections.groundwork.stack.plugins.module_utils.replication import (
    DIVERGENCE_CHOICES,
    decode_history,
    format_lsn,
    parse_controldata,
    parse_identify_system,
    parse_lsn,
    parse_timeline_history,
    plan_standby,
    render_standby_conf,
    rewind_argv,
    standby_conninfo,
)


def argument_spec():
    return dict(
        primary_host=dict(type='str', required=True),
        primary_port=dict(type='int', default=5432),
        replication_user=dict(type='str', required=True),
        passfile=dict(type='path', required=True, no_log=False),
        slot_name=dict(type='str', default=''),
        application_name=dict(type='str'),
        ssl_mode=dict(type='str', default='verify-full', choices=list(SSL_MODES)),
        ca_cert=dict(type='path'),
        data_dir=dict(type='path', required=True),
        conf_file=dict(type='path', required=True),
        config_file=dict(type='path', required=True),
        major=dict(type='int', required=True),
        bin_dir=dict(type='path'),
        service=dict(type='str', required=True),
        port=dict(type='int', default=5432),
        run_as=dict(type='str', default='postgres'),
        divergence=dict(type='str', default='rewind', choices=list(DIVERGENCE_CHOICES)),
        timeout=dict(type='int', default=120),
        progress_log=dict(type='str'),
    )


def desired_from(params):
    return {
        'primary_host': params['primary_host'],
        'primary_port': params['primary_port'],
        'replication_user': params['replication_user'],
        'passfile': params['passfile'],
        'slot_name': params['slot_name'],
        'application_name': params['application_name'] or params['slot_name'] or 'walreceiver',
        'ssl_mode': params['ssl_mode'],
        'ca_cert': params['ca_cert'],
    }


class Host:
    """Commands on this host; every one goes through module.run_command with an argv list."""

    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.bin_dir = self.params['bin_dir'] or '/usr/lib/postgresql/%d/bin' % self.params['major']
        self.commands = []
        self.prefix = []
        if os.geteuid() == 0 and self.params['run_as'] != 'root':
            self.prefix = ['runuser', '-u', self.params['run_as'], '--']

    def tool(self, name):
        return os.path.join(self.bin_dir, name)

    def run(self, argv, as_owner=False, check=True, record=True):
        argv = (self.prefix if as_owner else []) + argv
        if record:
            self.commands.append(argv)
        rc, out, err = self.module.run_command(argv, environ_update={'LC_ALL': 'C', 'PGCONNECT_TIMEOUT': '5'})
        if check and rc != 0:
            self.module.fail_json(msg='%s failed (rc=%d): %s' % (' '.join(argv), rc, (err or out).strip()),
                                  commands=self.commands)
        return rc, out, err

    def sql(self, query):
        """One value-row query on the local cluster over its socket; None when it cannot connect."""
        rc, out, dummy = self.run(['psql', '-X', '-A', '-t', '-q', '-p', str(self.params['port']), '-d', 'postgres',
                                   '-c', query], as_owner=True, check=False, record=False)
        return out.strip() if rc == 0 else None

    def setting(self, name):
        """A setting as the cluster's configuration files give it (postgres -C), '' when it cannot be read."""
        rc, out, dummy = self.run([self.tool('postgres'), '-D', self.params['data_dir'],
                                   '-c', 'config_file=%s' % self.params['config_file'], '-C', name],
                                  as_owner=True, check=False, record=False)
        return out.strip() if rc == 0 else ''

    def systemctl(self, verb):
        return self.run(['systemctl', verb, self.params['service']])


def read_primary(host, desired):
    conninfo = standby_conninfo(desired) + " replication='true'"
    base = ['psql', '-X', '-A', '-t', '-q', '-d', conninfo, '-c']
    rc, out, err = host.run(base + ['IDENTIFY_SYSTEM'], as_owner=True, check=False, record=False)
    if rc != 0:
        host.module.fail_json(msg='cannot reach the primary %s:%s over a replication connection as %s: %s'
                              % (desired['primary_host'], desired['primary_port'], desired['replication_user'], (err or out).strip()))
    primary = parse_identify_system(out.strip().splitlines()[0])
    primary['history'] = {}
    if primary['timeline'] > 1:
        dummy, out, dummy = host.run(base + ['TIMELINE_HISTORY %d' % primary['timeline']], as_owner=True, record=False)
        text = out.strip().split('|', 1)[1] if '|' in out else out
        primary['history'] = parse_timeline_history(decode_history(text))
    return primary


def read_local(host, module):
    params = module.params
    data_dir = params['data_dir']
    facts = {'major': str(params['major'])}
    facts['data_dir_exists'] = os.path.isdir(data_dir)
    entries = [e for e in os.listdir(data_dir) if e != 'lost+found'] if facts['data_dir_exists'] else []
    facts['data_dir_empty'] = not entries
    facts['pg_version'] = None
    facts['control'] = None
    version_file = os.path.join(data_dir, 'PG_VERSION')
    if os.path.isfile(version_file):
        with open(version_file) as f:
            facts['pg_version'] = f.read().strip()
        if os.path.isfile(os.path.join(data_dir, 'global', 'pg_control')):
            rc, out, dummy = host.run([host.tool('pg_controldata'), '-D', data_dir], check=False, record=False)
            if rc == 0:
                facts['control'] = parse_controldata(out)
    facts['standby_signal'] = os.path.isfile(os.path.join(data_dir, 'standby.signal'))
    rc, dummy, dummy = host.run(['systemctl', 'is-active', '--quiet', params['service']], check=False, record=False)
    facts['running'] = rc == 0
    if facts['running']:
        answer = None
        for dummy in range(10):
            answer = host.sql("SELECT pg_is_in_recovery(), (SELECT timeline_id FROM pg_control_checkpoint()), "
                              "COALESCE(pg_last_wal_replay_lsn()::text, '')")
            if answer:
                break
            time.sleep(1)
        if answer is None:
            module.fail_json(msg='%s is active but PostgreSQL does not answer on port %d' % (params['service'], params['port']))
        in_recovery, timeline, replay = answer.split('|')
        facts['in_recovery'] = in_recovery == 't'
        facts['timeline'] = int(timeline)
        facts['replay_lsn'] = parse_lsn(replay)
        if facts['in_recovery']:
            received = host.sql('SELECT received_tli FROM pg_stat_wal_receiver')
            if received:
                facts['timeline'] = max(facts['timeline'], int(received))
    try:
        with open(params['conf_file']) as f:
            facts['conf_matches'] = f.read() == render_standby_conf(desired_from(params))
    except (IOError, OSError):
        facts['conf_matches'] = False
    return facts


def owner_ids(user):
    entry = pwd.getpwnam(user)
    return entry.pw_uid, entry.pw_gid


@contextlib.contextmanager
def acting_as(user):
    """Run the block with the user's uid, gid and groups as the effective ones (when root runs the module for
    another user). The configuration and data directories belong to that user, who can rename, replace and
    symlink entries in them at any time: a file root opened there by name could be anywhere on the host. Done
    as their owner, a planted link leads nowhere its owner could not already write."""
    if os.geteuid() != 0 or user == 'root':
        yield
        return
    uid, gid = owner_ids(user)
    groups, egid = os.getgroups(), os.getegid()
    os.setgroups(os.getgrouplist(user, gid))
    os.setegid(gid)
    os.seteuid(uid)
    try:
        yield
    finally:
        os.seteuid(0)
        os.setegid(egid)
        os.setgroups(groups)


def write_file(path, content, mode, user):
    """Replace path atomically with content, as user: a temporary file the kernel creates new (O_EXCL, never
    through a link) in the same directory, its mode set on the open descriptor, flushed to disk, renamed over
    path (which replaces a link at path rather than following it)."""
    directory = os.path.dirname(path) or '.'
    with acting_as(user):
        fd, tmp = tempfile.mkstemp(dir=directory, prefix='.%s.' % os.path.basename(path), suffix='.groundwork-tmp')
        try:
            with os.fdopen(fd, 'w') as f:
                os.fchmod(f.fileno(), mode)
                f.write(content)
                f.flush()
                os.fsync(f.fileno())
            os.rename(tmp, path)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise


def empty_data_dir(data_dir, user):
    """Remove everything in the data directory (not lost+found, a mount point's), as its owner."""
    with acting_as(user):
        for entry in os.listdir(data_dir):
            if entry == 'lost+found':
                continue
            path = os.path.join(data_dir, entry)
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path)
            else:
                os.unlink(path)


def ensure_data_dir(module):
    """The data directory exists, is the owner's and is 0700. Created as the owner when the owner may create it
    (the Debian layout: /var/lib/postgresql/<major> is theirs); otherwise (a parent only root may write) created
    by root and handed over on its descriptor, opened without following a link."""
    data_dir = module.params['data_dir']
    user = module.params['run_as']
    if not os.path.lexists(data_dir):
        parent = os.path.dirname(os.path.abspath(data_dir))
        try:
            with acting_as(user):
                os.makedirs(data_dir, 0o700)
        except PermissionError:
            if not os.path.isdir(parent):
                os.makedirs(parent, 0o755)
            os.mkdir(data_dir, 0o700)
    if os.geteuid() == 0 and user != 'root':
        try:
            fd = os.open(data_dir, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
        except OSError as exc:
            module.fail_json(msg='data_dir %s must be a directory, not a link or a file: %s' % (data_dir, exc))
        try:
            uid, gid = owner_ids(user)
            os.fchown(fd, uid, gid)
            os.fchmod(fd, 0o700)
        finally:
            os.close(fd)
    else:
        os.chmod(data_dir, 0o700)


def configure(module, host, desired):
    params = module.params
    write_file(params['conf_file'], render_standby_conf(desired), 0o640, params['run_as'])
    write_file(os.path.join(params['data_dir'], 'standby.signal'), '', 0o600, params['run_as'])


def clone_argv(pg_basebackup, data_dir, conninfo, slot_name, progress_log=None):
    """The clone's command line. With a progress log, pg_basebackup reports its progress (--progress: a line a
    second when its stderr is not a terminal) and its stderr is appended to the log by a shell that gets the
    log's path and the command as arguments, never as text it parses."""
    argv = [pg_basebackup, '-D', data_dir, '-X', 'stream', '-c', 'fast', '-w', '-d', conninfo]
    if slot_name:
        argv += ['-S', slot_name]
    if not progress_log:
        return argv
    return ['sh', '-c', 'exec "$@" 2>>"$0"', progress_log] + argv + ['--progress', '--verbose']


def log_tail(path, size=2000):
    """The end of a log, '' when there is none."""
    if not path:
        return ''
    try:
        with open(path, 'rb') as handle:
            handle.seek(0, os.SEEK_END)
            handle.seek(max(0, handle.tell() - size))
            return handle.read().decode('utf-8', 'replace').strip()
    except (IOError, OSError):
        return ''


def wait_streaming(module, host):
    deadline = time.time() + module.params['timeout']
    status = None
    while time.time() < deadline:
        status = host.sql('SELECT status FROM pg_stat_wal_receiver') or None
        if status == 'streaming':
            return status
        time.sleep(1)
    module.fail_json(msg='the standby did not stream from the primary within %ds (wal receiver: %s); see the server log'
                     % (module.params['timeout'], status or 'not running'), commands=host.commands)
    return status


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    params = module.params
    desired = desired_from(params)
    host = Host(module)

    primary = read_primary(host, desired)
    facts = read_local(host, module)
    facts['primary'] = primary
    decision = plan_standby(facts, params['divergence'])
    action = decision['action']
    shown_primary = {'system_identifier': primary['system_identifier'], 'timeline': primary['timeline'],
                     'lsn': format_lsn(primary['lsn'])}
    if action == 'refuse':
        module.fail_json(msg='refusing to make this host a standby of %s: %s' % (params['primary_host'], decision['reason']),
                         action=action, reason=decision['reason'], primary=shown_primary)

    data_dir = params['data_dir']
    planned = []
    if action in ('clone', 'reclone'):
        planned.append(clone_argv(host.tool('pg_basebackup'), data_dir, standby_conninfo(desired), params['slot_name'],
                                  params['progress_log']))
    if action == 'rewind':
        planned.append(rewind_argv(host.tool('pg_rewind'), data_dir, standby_conninfo(desired, replication=False),
                                   params['config_file'], host.setting('restore_command')))
    if module.check_mode or action == 'none':
        status = host.sql('SELECT status FROM pg_stat_wal_receiver') if facts['running'] else None
        module.exit_json(changed=action != 'none', action=action, reason=decision['reason'], commands=planned,
                         primary=shown_primary, status=status or 'not running', seconds={})

    if action in ('rewind', 'reclone') and facts['running']:
        host.systemctl('stop')
    if action == 'reclone':
        empty_data_dir(data_dir, params['run_as'])
    seconds = {}
    started = time.time()
    if action in ('clone', 'reclone'):
        if facts['running'] and action == 'clone':
            host.systemctl('stop')
        ensure_data_dir(module)
        started = time.time()
        rc, out, err = host.run(planned[0], as_owner=True, check=False)
        if rc != 0:
            # With a progress log, pg_basebackup's messages are in it, not in stderr.
            detail = (err or out).strip() or log_tail(params['progress_log'])
            module.fail_json(msg='%s failed (rc=%d): %s' % (' '.join(planned[0]), rc, detail), commands=host.commands)
    if action == 'rewind':
        host.run(planned[0], as_owner=True)
    if planned:
        seconds['copy'] = round(time.time() - started, 3)
    configure(module, host, desired)
    started = time.time()
    if action == 'attach' and facts['running']:
        # A running standby only needs the new primary_conninfo (reloadable since PostgreSQL 13).
        host.systemctl('reload')
    elif action == 'attach' or facts['running']:
        host.systemctl('restart')
    else:
        host.systemctl('start')
    status = wait_streaming(module, host)
    seconds['streaming'] = round(time.time() - started, 3)
    module.exit_json(changed=True, action=action, reason=decision['reason'], commands=host.commands,
                     primary=shown_primary, status=status, seconds=seconds)


if __name__ == '__main__':
    main()
