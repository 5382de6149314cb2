# -*- coding: utf-8 -*-
# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure decision logic of the replication modules (no database, no commands).

* ``parse_lsn()`` / ``format_lsn()``, ``parse_controldata()``, ``parse_timeline_history()``,
  ``parse_identify_system()``: read what PostgreSQL's tools print.
* ``build_conninfo()`` / ``parse_conninfo()``: libpq connection strings, quoted.
* ``plan_standby(facts, divergence)``: the state of a host's data directory and
  server, compared with the primary, becomes one action: ``none``, ``clone``,
  ``attach``, ``rewind``, ``reclone`` or ``refuse`` (with the reason).
* ``plan_promote(facts)``: ``none``, ``promote`` or ``refuse``.
* ``summarize_replication()``: the rows of the info module shaped for the result.
"""

from __future__ import annotations

import re

DIVERGENCE_CHOICES = ('rewind', 'reclone', 'never')
ACTIONS = ('none', 'clone', 'attach', 'rewind', 'reclone', 'refuse')

# pg_controldata "Database cluster state" values.
STATE_PRODUCTION = 'in production'
STATE_SHUT_DOWN = 'shut down'
STATE_SHUT_DOWN_RECOVERY = 'shut down in recovery'

_LSN_RE = re.compile(r'^([0-9A-Fa-f]{1,8})/([0-9A-Fa-f]{1,8})$')
_CONNINFO_KEY_RE = re.compile(r'^[a-z_]+$')


def parse_lsn(text):
    """'16/B374D848' -> integer position; None for empty or None."""
    if text is None:
        return None
    text = str(text).strip()
    if text == '':
        return None
    match = _LSN_RE.match(text)
    if not match:
        raise ValueError('not a WAL location: %r' % text)
    return (int(match.group(1), 16) << 32) + int(match.group(2), 16)


def format_lsn(value):
    """Integer position -> '16/B374D848'."""
    return '%X/%X' % (value >> 32, value & 0xFFFFFFFF)


def parse_controldata(text):
    """The fields of pg_controldata's output the decisions need."""
    fields = {}
    for line in text.splitlines():
        if ':' not in line:
            continue
        key, value = line.split(':', 1)
        fields[key.strip()] = value.strip()
    required = ('Database system identifier', 'Database cluster state', "Latest checkpoint's TimeLineID",
                'Latest checkpoint location')
    missing = [key for key in required if key not in fields]
    if missing:
        raise ValueError('pg_controldata output lacks %s' % ', '.join(missing))
    return {
        'system_identifier': fields['Database system identifier'],
        'state': fields['Database cluster state'],
        'timeline': int(fields["Latest checkpoint's TimeLineID"]),
        'checkpoint_lsn': parse_lsn(fields['Latest checkpoint location']),
        'min_recovery_end_lsn': parse_lsn(fields.get('Minimum recovery ending location', '0/0')),
        'min_recovery_end_timeline': int(fields.get("Min recovery ending loc's timeline", '0') or 0),
    }


def parse_identify_system(line):
    """One row of IDENTIFY_SYSTEM as printed by ``psql -A -t``: systemid|timeline|xlogpos|dbname."""
    parts = line.strip().split('|')
    if len(parts) < 3 or not parts[0].isdigit() or not parts[1].isdigit():
        raise ValueError('unexpected IDENTIFY_SYSTEM answer: %r' % line)
    return {'system_identifier': parts[0], 'timeline': int(parts[1]), 'lsn': parse_lsn(parts[2])}


def decode_history(content):
    """The content column of TIMELINE_HISTORY: text, or bytea printed as \\x<hex>."""
    content = content.strip()
    if content.startswith('\\x'):
        return bytes.fromhex(content[2:]).decode('utf-8')
    return content


def parse_timeline_history(text):
    """Lines '<parent tli>\\t<switch point>\\t<reason>' -> {parent tli: switch point}."""
    history = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith('#'):
            continue
        parts = line.split(None, 2)
        if len(parts) < 2 or not parts[0].isdigit():
            raise ValueError('unexpected timeline history line: %r' % line)
        history[int(parts[0])] = parse_lsn(parts[1])
    return history


def quote_conninfo_value(value):
    """libpq conninfo quoting: single quotes and backslashes are escaped, the value is quoted."""
    value = str(value)
    return "'%s'" % value.replace('\\', '\\\\').replace("'", "\\'")


def build_conninfo(params):
    """{'host': 'db1', 'port': 5432, ...} -> "host='db1' port='5432' ..." (keys in the given order, empty left out)."""
    parts = []
    for key, value in params.items():
        if value is None or value == '':
            continue
        if not _CONNINFO_KEY_RE.match(key):
            raise ValueError('not a libpq keyword: %r' % key)
        parts.append('%s=%s' % (key, quote_conninfo_value(value)))
    return ' '.join(parts)


def parse_conninfo(text):
    """Inverse of build_conninfo() for the key=value form (quoted or not)."""
    result = {}
    i, n = 0, len(text)
    while i < n:
        while i < n and text[i].isspace():
            i += 1
        if i >= n:
            break
        eq = text.find('=', i)
        if eq < 0:
            raise ValueError('missing "=" in conninfo after %r' % text[i:])
        key = text[i:eq].strip()
        i = eq + 1
        while i < n and text[i].isspace():
            i += 1
        value = []
        if i < n and text[i] == "'":
            i += 1
            while i < n and text[i] != "'":
                if text[i] == '\\' and i + 1 < n:
                    i += 1
                value.append(text[i])
                i += 1
            if i >= n:
                raise ValueError('unterminated quote in conninfo')
            i += 1
        else:
            while i < n and not text[i].isspace():
                if text[i] == '\\' and i + 1 < n:
                    i += 1
                value.append(text[i])
                i += 1
        result[key] = ''.join(value)
    return result


def standby_conninfo(desired, replication=True):
    """Connection string to the primary (replication connection, or a normal one to database postgres for pg_rewind)."""
    params = [
        ('host', desired['primary_host']),
        ('port', desired['primary_port']),
        ('user', desired['replication_user']),
        ('passfile', desired['passfile']),
        ('application_name', desired['application_name']),
        ('sslmode', desired['ssl_mode']),
        ('sslrootcert', desired.get('ca_cert')),
        ('connect_timeout', desired.get('connect_timeout', 5)),
    ]
    if not replication:
        params.insert(2, ('dbname', 'postgres'))
    return build_conninfo(dict(params))


def render_standby_conf(desired):
    """The settings file that makes a cluster follow the primary (written next to the role's settings)."""
    lines = [
        '# Managed by Ansible (groundwork.stack.postgresql_standby): this host is a standby.',
        "primary_conninfo = %s" % quote_setting(standby_conninfo(desired)),
    ]
    if desired.get('slot_name'):
        lines.append("primary_slot_name = %s" % quote_setting(desired['slot_name']))
    lines.append("recovery_target_timeline = 'latest'")
    return '\n'.join(lines) + '\n'


def rewind_argv(pg_rewind, data_dir, source_conninfo, config_file, restore_command=''):
    """pg_rewind's argv. With a restore_command set, pg_rewind fetches from the archive the WAL of the target
    that it needs to read and the target no longer has (--restore-target-wal)."""
    argv = [pg_rewind, '--target-pgdata=%s' % data_dir, '--source-server=%s' % source_conninfo,
            '--config-file=%s' % config_file]
    if restore_command and restore_command.strip():
        argv.append('--restore-target-wal')
    return argv


def quote_setting(value):
    """A postgresql.conf string literal for value, quoted the way PostgreSQL's configuration scanner reads it
    (src/backend/utils/misc/guc-file.l: the STRING token and GUC_scanstr). Inside single quotes a backslash
    starts an escape (\\b \\f \\n \\r \\t, octal \\ddd; before any other character it stands for that
    character), '' is one quote, and a raw line break ends the line. So backslashes are doubled, quotes doubled,
    and line breaks written as \\n and \\r."""
    text = str(value).replace('\\', '\\\\').replace("'", "''")
    return "'%s'" % text.replace('\n', '\\n').replace('\r', '\\r')


def slot_name_for(hostname):
    """A replication slot (and application_name) for an inventory host name: [a-z0-9_], at most 63 bytes."""
    name = re.sub(r'[^a-z0-9_]', '_', hostname.lower())
    return name[:63]


def refuse(reason):
    return {'action': 'refuse', 'reason': reason}


def _diverged(divergence, reason):
    if divergence == 'never':
        return refuse('%s; divergence=never refuses to change it: set divergence=rewind (pg_rewind from the primary) '
                      'or divergence=reclone (delete the data directory and clone it again)' % reason)
    return {'action': divergence, 'reason': reason}


def _foreign(divergence, reason):
    if divergence == 'reclone':
        return {'action': 'reclone', 'reason': reason}
    return refuse('%s; pg_rewind cannot repair that (divergence=%s): set divergence=reclone to delete the data '
                  'directory and clone it from the primary' % (reason, divergence))


def local_end_lsn(facts):
    """How far the local cluster's WAL goes, as far as we can tell (None when unknown: crashed primary)."""
    control = facts['control']
    if facts.get('running') and facts.get('in_recovery'):
        return facts.get('replay_lsn')
    if control['state'] == STATE_SHUT_DOWN:
        return control['checkpoint_lsn']
    if control['state'] == STATE_SHUT_DOWN_RECOVERY or facts.get('standby_signal'):
        return max(control['checkpoint_lsn'] or 0, control['min_recovery_end_lsn'] or 0)
    return None


def plan_standby(facts, divergence):
    """Decide what makes this host a standby of the primary.

    ``facts``: data_dir_exists, data_dir_empty, pg_version (str or None),
    major (the wanted major version, str), control (parse_controldata() or None),
    running, in_recovery, timeline (when running), replay_lsn, standby_signal,
    conf_matches (the standby settings file has the wanted content),
    primary (system_identifier, timeline, lsn, history {tli: switch point}).
    """
    if divergence not in DIVERGENCE_CHOICES:
        raise ValueError('divergence must be one of %s' % ', '.join(DIVERGENCE_CHOICES))
    primary = facts['primary']
    if not facts['data_dir_exists'] or facts['data_dir_empty']:
        return {'action': 'clone', 'reason': 'the data directory is missing or empty'}
    if facts.get('pg_version') is None or facts.get('control') is None:
        return _foreign(divergence, 'the data directory is not empty but holds no PostgreSQL cluster')
    if facts['pg_version'] != str(facts['major']):
        return _foreign(divergence, 'the data directory holds a PostgreSQL %s cluster, not %s' % (facts['pg_version'], facts['major']))
    control = facts['control']
    if control['system_identifier'] != primary['system_identifier']:
        return _foreign(divergence, 'the data directory belongs to another cluster (system identifier %s, the primary has %s)'
                        % (control['system_identifier'], primary['system_identifier']))

    timeline = facts.get('timeline') or control['timeline']
    if facts.get('running') and not facts.get('in_recovery'):
        if timeline >= primary['timeline']:
            return refuse('this host runs a primary of the same cluster on timeline %d (the given primary is on %d): '
                          'two primaries; fence and fail over explicitly instead' % (timeline, primary['timeline']))
        return _diverged(divergence, 'this host still runs as a primary on old timeline %d (the primary is on %d)'
                         % (timeline, primary['timeline']))
    if timeline > primary['timeline']:
        return refuse('this host is on timeline %d, newer than the given primary\'s %d: the given primary looks stale'
                      % (timeline, primary['timeline']))

    end = local_end_lsn(facts)
    former_primary = not facts.get('standby_signal') and not (facts.get('running') and facts.get('in_recovery'))
    if timeline < primary['timeline']:
        switch = primary['history'].get(timeline)
        if switch is None:
            return _diverged(divergence, 'timeline %d is not in the primary\'s history' % timeline)
        if end is None:
            return _diverged(divergence, 'this host was a primary on timeline %d and did not shut down cleanly; '
                                         'it may hold writes the primary never got' % timeline)
        if end > switch:
            return _diverged(divergence, 'this host\'s WAL goes to %s on timeline %d, past the primary\'s switch to '
                                         'timeline %d at %s' % (format_lsn(end), timeline, timeline + 1, format_lsn(switch)))
    elif former_primary:
        if end is None or end > primary['lsn']:
            return _diverged(divergence, 'this host was a primary on the primary\'s timeline %d and its WAL is not '
                                         'a prefix of the primary\'s' % timeline)

    if facts.get('running') and facts.get('in_recovery') and facts.get('standby_signal') and facts.get('conf_matches'):
        return {'action': 'none', 'reason': 'already a standby of the primary'}
    return {'action': 'attach', 'reason': 'the cluster can follow the primary; its standby settings are written and it is (re)started'}


def plan_promote(facts):
    """running, in_recovery -> what postgresql_promote does."""
    if not facts.get('running'):
        return refuse('PostgreSQL is not running on this host; start it (as a standby) before promoting')
    if not facts.get('in_recovery'):
        return {'action': 'none', 'reason': 'already a primary (not in recovery)'}
    return {'action': 'promote', 'reason': 'the server is a standby'}


def lag_bytes(upper, lower):
    """Distance between two textual WAL locations in bytes (None when one is unknown)."""
    upper, lower = parse_lsn(upper), parse_lsn(lower)
    if upper is None or lower is None:
        return None
    return max(upper - lower, 0)


def summarize_replication(status, replicas, slots, receiver):
    """Shape the info module's result from the rows it read.

    status: in_recovery, timeline, system_identifier, current_lsn (primary),
    receive_lsn / replay_lsn / replay_age_seconds (standby).
    """
    role = 'standby' if status['in_recovery'] else 'primary'
    result = {
        'role': role,
        'timeline': status['timeline'],
        'system_identifier': status['system_identifier'],
        'current_lsn': status.get('current_lsn'),
        'upstream': None,
        'replicas': [],
        'slots': [],
    }
    if role == 'standby':
        result['upstream'] = {
            'host': receiver.get('sender_host') if receiver else None,
            'port': receiver.get('sender_port') if receiver else None,
            'status': receiver.get('status') if receiver else 'not connected',
            'slot_name': receiver.get('slot_name') if receiver else None,
            'receive_lsn': status.get('receive_lsn'),
            'replay_lsn': status.get('replay_lsn'),
            'lag_bytes': lag_bytes(status.get('receive_lsn'), status.get('replay_lsn')),
            'replay_age_seconds': status.get('replay_age_seconds'),
        }
    for row in replicas:
        result['replicas'].append({
            'application_name': row['application_name'],
            'client_addr': row['client_addr'],
            'state': row['state'],
            'sync_state': row['sync_state'],
            'sent_lsn': row['sent_lsn'],
            'flush_lsn': row['flush_lsn'],
            'replay_lsn': row['replay_lsn'],
            'lag_bytes': lag_bytes(status.get('current_lsn'), row['replay_lsn']),
            'replay_lag_seconds': row.get('replay_lag_seconds'),
        })
    for row in slots:
        result['slots'].append({
            'slot_name': row['slot_name'],
            'active': row['active'],
            'restart_lsn': row['restart_lsn'],
            'wal_status': row.get('wal_status'),
            'retained_bytes': lag_bytes(status.get('current_lsn') or status.get('receive_lsn'), row['restart_lsn']),
        })
    return result
