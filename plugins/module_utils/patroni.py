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
