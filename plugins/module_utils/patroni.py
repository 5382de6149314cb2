# -*- coding: utf-8 -*-
# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure logic of the Patroni modules (no network).

* ``summarize_cluster(document)``: Patroni's ``GET /cluster`` answer becomes the
  module's result: the leader, each member's role, state, timeline, lag and
  pending restart, and the list of problems that keep the cluster from being
  healthy (no leader, two leaders, a member not streaming or not on the
  leader's timeline, lag above a bound).
* ``parse_lag()``: Patroni reports a replica's lag in bytes, or "unknown".
* ``plan_config(current, desired)``: the PATCH body for ``/config`` that brings the
  dynamic configuration (in etcd) to what the role asks, and the list of changes;
  ``restart_parameters(changes)``: those of PostgreSQL's that take a restart.
"""

from __future__ import annotations

# Patroni's names for a replica's role (4.0: replica, sync_standby, quorum_standby).
REPLICA_ROLES = ('replica', 'sync_standby', 'quorum_standby')
LEADER_ROLES = ('leader', 'standby_leader')


def parse_lag(value):
    """A member's lag in bytes: an int, or None when Patroni does not know it ("unknown", missing)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    text = str(value).strip()
    if text.isdigit():
        return int(text)
    return None


def _member(raw):
    return {
        'name': raw.get('name'),
        'role': raw.get('role'),
        'state': raw.get('state'),
        'host': raw.get('host'),
        'port': raw.get('port'),
        'api_url': raw.get('api_url'),
        'timeline': raw.get('timeline'),
        'lag_bytes': parse_lag(raw.get('lag')),
        'pending_restart': bool(raw.get('pending_restart', False)),
        'tags': raw.get('tags') or {},
    }


def summarize_cluster(document, expected_members=None, max_lag_bytes=None):
    """The module's result from a /cluster document.

    expected_members: names that must all be present (an inventory's database group), or None.
    max_lag_bytes: a replica lagging more than this is a problem, or None for no bound.
    """
    if not isinstance(document, dict) or not isinstance(document.get('members'), list):
        raise ValueError('not a Patroni /cluster answer: no members list')
    members = sorted((_member(m) for m in document['members']), key=lambda m: m['name'] or '')
    leaders = [m for m in members if m['role'] in LEADER_ROLES]
    running_leaders = [m for m in leaders if m['state'] == 'running']
    leader = running_leaders[0] if len(running_leaders) == 1 else None
    problems = []
    if not leaders:
        problems.append('no leader')
    elif len(leaders) > 1:
        problems.append('%d leaders: %s' % (len(leaders), ', '.join(m['name'] for m in leaders)))
    elif leader is None:
        problems.append('leader %s is %s, not running' % (leaders[0]['name'], leaders[0]['state']))
    for member in members:
        if member['role'] in LEADER_ROLES:
            continue
        if member['state'] != 'streaming':
            problems.append('%s is %s, not streaming' % (member['name'], member['state']))
        elif leader is not None and member['timeline'] is not None and leader['timeline'] is not None \
                and member['timeline'] != leader['timeline']:
            problems.append('%s is on timeline %s, the leader on %s' % (member['name'], member['timeline'],
                                                                        leader['timeline']))
        if max_lag_bytes is not None and member['lag_bytes'] is not None and member['lag_bytes'] > max_lag_bytes:
            problems.append('%s lags %d bytes (more than %d)' % (member['name'], member['lag_bytes'], max_lag_bytes))
    names = [m['name'] for m in members]
    missing = sorted(set(expected_members or []) - set(names))
    if missing:
        problems.append('not in the cluster: %s' % ', '.join(missing))
    return {
        'scope': document.get('scope'),
        'leader': leader['name'] if leader else None,
        'timeline': leader['timeline'] if leader else None,
        'members': members,
        'replicas': [m['name'] for m in members if m['role'] in REPLICA_ROLES],
        'pending_restart': [m['name'] for m in members if m['pending_restart']],
        'paused': bool(document.get('pause', False)),
        'problems': problems,
        'healthy': not problems,
    }


# PostgreSQL 17's parameters of context "postmaster" (SELECT name FROM pg_settings WHERE context =
# 'postmaster'), the ones a member must restart for. Changed in etcd, they leave the members pending restart.
POSTMASTER_PARAMETERS = frozenset((
    'archive_mode', 'autovacuum_max_workers', 'bonjour', 'bonjour_name', 'cluster_name', 'commit_timestamp_buffers',
    'config_file', 'data_directory', 'data_sync_retry', 'dynamic_shared_memory_type', 'event_source',
    'external_pid_file', 'hba_file', 'hot_standby', 'huge_page_size', 'huge_pages', 'ident_file', 'jit_provider',
    'listen_addresses', 'logging_collector', 'max_connections', 'max_files_per_process', 'max_locks_per_transaction',
    'max_logical_replication_workers', 'max_notify_queue_pages', 'max_pred_locks_per_transaction',
    'max_prepared_transactions', 'max_replication_slots', 'max_wal_senders', 'max_worker_processes',
    'min_dynamic_shared_memory', 'multixact_member_buffers', 'multixact_offset_buffers', 'notify_buffers', 'port',
    'recovery_target', 'recovery_target_action', 'recovery_target_inclusive', 'recovery_target_lsn',
    'recovery_target_name', 'recovery_target_time', 'recovery_target_timeline', 'recovery_target_xid',
    'reserved_connections', 'serializable_buffers', 'shared_buffers', 'shared_memory_type',
    'shared_preload_libraries', 'subtransaction_buffers', 'superuser_reserved_connections',
    'track_activity_query_size', 'track_commit_timestamp', 'transaction_buffers', 'unix_socket_directories',
    'unix_socket_group', 'unix_socket_permissions', 'wal_buffers', 'wal_decode_buffer_size', 'wal_level',
    'wal_log_hints',
))


def _same(current, desired):
    """Values equal as Patroni keeps them: PostgreSQL parameters may come back as strings ('100', 'on')."""
    if current == desired:
        return True
    if isinstance(current, (dict, list)) or isinstance(desired, (dict, list)) or current is None or desired is None:
        return False
    if isinstance(desired, bool) or isinstance(current, bool):
        words = {'true': True, 'on': True, 'yes': True, '1': True, 'false': False, 'off': False, 'no': False, '0': False}
        return words.get(str(current).lower()) is not None and \
            words.get(str(current).lower()) == words.get(str(desired).lower())
    return str(current) == str(desired)


def plan_config(current, desired, path=()):
    """The PATCH body that brings Patroni's dynamic configuration from current to desired, and the changes.

    Only the keys named in desired are compared: a key Patroni holds and desired does not name stays as it is.
    A value of None in desired removes the key (Patroni's PATCH semantics). Returns (patch, changes), where
    changes is a list of {'setting': 'a.b.c', 'before': ..., 'after': ...}, sorted by setting.
    """
    if not isinstance(desired, dict):
        raise ValueError('settings must be a mapping')
    current = current if isinstance(current, dict) else {}
    patch, changes = {}, []
    for key in sorted(desired):
        want = desired[key]
        have = current.get(key)
        name = '.'.join(path + (str(key),))
        if isinstance(want, dict) and want:
            sub_patch, sub_changes = plan_config(have if isinstance(have, dict) else {}, want, path + (str(key),))
            if sub_patch:
                patch[key] = sub_patch
                changes.extend(sub_changes)
        elif want is None:
            if key in current:
                patch[key] = None
                changes.append({'setting': name, 'before': have, 'after': None})
        elif key not in current or not _same(have, want):
            patch[key] = want
            changes.append({'setting': name, 'before': have, 'after': want})
    return patch, sorted(changes, key=lambda c: c['setting'])


def restart_parameters(changes):
    """The PostgreSQL parameters among the changes that take a restart of every member."""
    prefix = 'postgresql.parameters.'
    return sorted(c['setting'][len(prefix):] for c in changes
                  if c['setting'].startswith(prefix) and c['setting'][len(prefix):] in POSTMASTER_PARAMETERS)


def leader_change_plan(summary, action, candidate=None):
    """What groundwork.stack.patroni_leader does, from a summarize_cluster() result.

    action: 'switchover' (a running leader hands over to ``candidate``: a planned change) or 'failover'
    (only when no leader runs: Patroni has not failed over by itself, for example in maintenance mode).
    Returns {'change': bool, 'leader': the running leader or None, 'candidate': the member to lead,
    'message': what is done and why}. Raises ValueError, with the reason, for a request that cannot be met.
    """
    members = dict((m['name'], m) for m in summary['members'])
    leader = summary['leader']
    if candidate is not None and candidate not in members:
        raise ValueError('%s is not a member of the cluster (members: %s)' % (candidate, ', '.join(sorted(members))))
    if action == 'switchover':
        if candidate is None:
            raise ValueError('a switchover needs a candidate')
        if leader is None:
            raise ValueError('no running leader to hand over from (%s); a lost leader needs a failover'
                             % '; '.join(summary['problems']))
        if candidate == leader:
            return {'change': False, 'leader': leader, 'candidate': candidate,
                    'message': '%s leads already' % candidate}
        member = members[candidate]
        if member['state'] != 'streaming':
            raise ValueError('%s is %s, not streaming from the leader %s' % (candidate, member['state'], leader))
        if member['timeline'] is not None and summary['timeline'] is not None \
                and member['timeline'] != summary['timeline']:
            raise ValueError('%s is on timeline %s, the leader %s on %s'
                             % (candidate, member['timeline'], leader, summary['timeline']))
        if member['tags'].get('nofailover'):
            raise ValueError('%s is tagged nofailover' % candidate)
        return {'change': True, 'leader': leader, 'candidate': candidate,
                'message': 'switch over from %s to %s' % (leader, candidate)}
    if action != 'failover':
        raise ValueError('unknown action %r' % action)
    if leader is not None:
        return {'change': False, 'leader': leader, 'candidate': leader,
                'message': '%s leads: Patroni has failed over already or had no need to; nothing forced' % leader}
    eligible = [m for m in summary['members']
                if m['state'] in ('running', 'streaming') and not m['tags'].get('nofailover')]
    if candidate is None:
        if not eligible:
            raise ValueError('no member can take over: %s' % '; '.join(summary['problems']))
        # The most advanced replica: the least lag (unknown lag last), then the name.
        eligible.sort(key=lambda m: (m['lag_bytes'] is None, m['lag_bytes'] or 0, m['name']))
        candidate = eligible[0]['name']
    elif members[candidate] not in eligible:
        raise ValueError('%s is %s%s: it cannot take over' % (
            candidate, members[candidate]['state'],
            ', tagged nofailover' if members[candidate]['tags'].get('nofailover') else ''))
    return {'change': True, 'leader': None, 'candidate': candidate,
            'message': 'no leader runs (%s): fail over to %s' % ('; '.join(summary['problems']), candidate)}
