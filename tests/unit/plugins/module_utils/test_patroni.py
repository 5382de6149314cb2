# -*- coding: utf-8 -*-
# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""summarize_cluster(): Patroni's /cluster answers (shapes as Patroni 4.0 returns them) to the module's result;
plan_config(): the dynamic configuration held and asked for, to the PATCH body and the changes."""

from __future__ import annotations

import pytest

from ansible_collections.groundwork.stack.plugins.module_utils.patroni import (
    leader_change_plan,
    parse_lag,
    plan_config,
    restart_parameters,
    summarize_cluster,
)


def member(name, role, state, timeline=3, lag=0, **extra):
    raw = {'name': name, 'role': role, 'state': state, 'host': '10.0.0.%d' % (int(name[-1]) + 10), 'port': 5432,
           'api_url': 'https://10.0.0.%d:8008/patroni' % (int(name[-1]) + 10), 'timeline': timeline}
    if role != 'leader':
        raw['lag'] = lag
    raw.update(extra)
    return raw


HEALTHY = {'scope': 'groundwork', 'members': [
    member('db2', 'quorum_standby', 'streaming'),
    member('db1', 'leader', 'running'),
    member('db3', 'replica', 'streaming', lag=4096, pending_restart=True),
]}


def test_a_healthy_cluster():
    result = summarize_cluster(HEALTHY, expected_members=['db1', 'db2', 'db3'])
    assert result['leader'] == 'db1'
    assert result['timeline'] == 3
    assert result['replicas'] == ['db2', 'db3']
    assert [m['name'] for m in result['members']] == ['db1', 'db2', 'db3']
    assert result['members'][2]['lag_bytes'] == 4096
    assert result['pending_restart'] == ['db3']
    assert result['healthy'] and result['problems'] == []
    assert result['scope'] == 'groundwork' and not result['paused']


def test_no_leader_while_the_lock_is_free():
    document = {'members': [member('db2', 'replica', 'streaming'), member('db3', 'replica', 'running')]}
    result = summarize_cluster(document)
    assert result['leader'] is None and result['timeline'] is None
    assert result['problems'] == ['no leader', 'db3 is running, not streaming']
    assert not result['healthy']


def test_two_leaders_name_no_leader():
    document = {'members': [member('db1', 'leader', 'running'), member('db2', 'leader', 'running')]}
    result = summarize_cluster(document)
    assert result['leader'] is None
    assert result['problems'] == ['2 leaders: db1, db2']


def test_a_leader_that_is_not_running_yet():
    result = summarize_cluster({'members': [member('db1', 'leader', 'starting')]})
    assert result['leader'] is None
    assert result['problems'] == ['leader db1 is starting, not running']


def test_a_replica_on_the_old_timeline_and_a_missing_member():
    document = {'members': [member('db1', 'leader', 'running', timeline=4), member('db2', 'replica', 'streaming', timeline=3)]}
    result = summarize_cluster(document, expected_members=['db1', 'db2', 'db3'])
    assert result['problems'] == ['db2 is on timeline 3, the leader on 4', 'not in the cluster: db3']


def test_lag_bound():
    result = summarize_cluster(HEALTHY, max_lag_bytes=1024)
    assert result['problems'] == ['db3 lags 4096 bytes (more than 1024)']
    assert summarize_cluster(HEALTHY, max_lag_bytes=4096)['healthy']


def test_paused_cluster_is_reported():
    assert summarize_cluster(dict(HEALTHY, pause=True))['paused']


@pytest.mark.parametrize('value, expected', [(0, 0), (12, 12), ('12', 12), ('unknown', None), (None, None), (True, None)])
def test_parse_lag(value, expected):
    assert parse_lag(value) == expected


@pytest.mark.parametrize('document', [None, [], {}, {'members': 'db1'}])
def test_not_a_cluster_answer(document):
    with pytest.raises(ValueError):
        summarize_cluster(document)


# plan_config(): the PATCH body for /config, from what Patroni holds and what the role asks.

PARAMETERS = {'max_connections': 50, 'wal_level': 'replica', 'hot_standby': 'on', 'max_slot_wal_keep_size': '4GB'}
CONFIG = {'ttl': 20, 'loop_wait': 2, 'retry_timeout': 5, 'synchronous_mode': 'quorum',
          'postgresql': {'use_pg_rewind': True, 'parameters': PARAMETERS}}


def test_nothing_to_do_when_every_named_setting_matches():
    desired = {'ttl': 20, 'postgresql': {'parameters': {'max_connections': '50', 'hot_standby': True}}}
    assert plan_config(CONFIG, desired) == ({}, [])


def test_only_the_settings_that_differ_are_sent():
    desired = {'ttl': 30, 'loop_wait': 2, 'postgresql': {'parameters': {'max_connections': 100, 'wal_level': 'replica',
                                                                        'max_slot_wal_keep_size': '8GB'}}}
    patch, changes = plan_config(CONFIG, desired)
    assert patch == {'ttl': 30, 'postgresql': {'parameters': {'max_connections': 100, 'max_slot_wal_keep_size': '8GB'}}}
    assert changes == [
        {'setting': 'postgresql.parameters.max_connections', 'before': 50, 'after': 100},
        {'setting': 'postgresql.parameters.max_slot_wal_keep_size', 'before': '4GB', 'after': '8GB'},
        {'setting': 'ttl', 'before': 20, 'after': 30},
    ]
    # max_connections takes a restart; max_slot_wal_keep_size a reload.
    assert restart_parameters(changes) == ['max_connections']


def test_a_new_setting_and_a_removed_one():
    patch, changes = plan_config(CONFIG, {'failsafe_mode': True, 'retry_timeout': None, 'master_start_timeout': None})
    assert patch == {'failsafe_mode': True, 'retry_timeout': None}
    assert [c['setting'] for c in changes] == ['failsafe_mode', 'retry_timeout']


def test_booleans_compare_as_postgresql_reads_them():
    assert plan_config({'postgresql': {'parameters': {'hot_standby': 'off'}}},
                       {'postgresql': {'parameters': {'hot_standby': True}}})[0] == {'postgresql': {'parameters': {'hot_standby': True}}}
    assert plan_config({'failsafe_mode': False}, {'failsafe_mode': False}) == ({}, [])
    # A word that is not a boolean is a change, not a match.
    assert plan_config({'synchronous_mode': 'quorum'}, {'synchronous_mode': True})[0] == {'synchronous_mode': True}


def test_a_mapping_where_patroni_holds_a_value():
    patch, _changes = plan_config({'postgresql': 'x'}, {'postgresql': {'parameters': {'work_mem': '8MB'}}})
    assert patch == {'postgresql': {'parameters': {'work_mem': '8MB'}}}


def test_settings_must_be_a_mapping():
    with pytest.raises(ValueError):
        plan_config(CONFIG, ['ttl'])


# groundwork.stack.patroni_leader's decision (switchover.yml and failover.yml in the Patroni mode).

def _summary(*members):
    return summarize_cluster({'scope': 'groundwork', 'members': list(members)})


def test_a_switchover_to_a_streaming_replica():
    plan = leader_change_plan(summarize_cluster(HEALTHY), 'switchover', 'db2')
    assert plan == {'change': True, 'leader': 'db1', 'candidate': 'db2', 'message': 'switch over from db1 to db2'}


def test_a_switchover_to_the_leader_changes_nothing():
    plan = leader_change_plan(summarize_cluster(HEALTHY), 'switchover', 'db1')
    assert not plan['change'] and plan['message'] == 'db1 leads already'


@pytest.mark.parametrize('members, candidate, reason', [
    ([member('db1', 'leader', 'running'), member('db2', 'replica', 'streaming')], 'db9',
     'db9 is not a member of the cluster (members: db1, db2)'),
    ([member('db1', 'leader', 'running'), member('db2', 'replica', 'starting')], 'db2',
     'db2 is starting, not streaming from the leader db1'),
    ([member('db1', 'leader', 'running', timeline=4), member('db2', 'replica', 'streaming', timeline=3)], 'db2',
     'db2 is on timeline 3, the leader db1 on 4'),
    ([member('db1', 'leader', 'running'), member('db2', 'replica', 'streaming', tags={'nofailover': True})], 'db2',
     'db2 is tagged nofailover'),
    ([member('db1', 'replica', 'stopped'), member('db2', 'replica', 'streaming')], 'db2',
     'no running leader to hand over from (no leader; db1 is stopped, not streaming); a lost leader needs a failover'),
])
def test_a_switchover_that_cannot_be_met_says_why(members, candidate, reason):
    with pytest.raises(ValueError) as error:
        leader_change_plan(_summary(*members), 'switchover', candidate)
    assert str(error.value) == reason


def test_a_failover_with_a_running_leader_forces_nothing():
    plan = leader_change_plan(summarize_cluster(HEALTHY), 'failover')
    assert not plan['change'] and plan['candidate'] == 'db1'
    assert plan['message'] == 'db1 leads: Patroni has failed over already or had no need to; nothing forced'


def test_a_failover_without_a_leader_picks_the_least_lagging_member_that_may_lead():
    summary = _summary(member('db1', 'replica', 'stopped'), member('db2', 'replica', 'running', lag=8192),
                       member('db3', 'replica', 'running', lag=4096, tags={'nofailover': True}),
                       member('db4', 'replica', 'running', lag=16384))
    plan = leader_change_plan(summary, 'failover')
    assert plan['change'] and plan['candidate'] == 'db2' and plan['leader'] is None
    assert plan['message'].startswith('no leader runs (no leader; ') and plan['message'].endswith('fail over to db2')
    assert leader_change_plan(summary, 'failover', 'db4')['candidate'] == 'db4'
    with pytest.raises(ValueError, match='^db1 is stopped: it cannot take over$'):
        leader_change_plan(summary, 'failover', 'db1')
    with pytest.raises(ValueError, match='^db3 is running, tagged nofailover: it cannot take over$'):
        leader_change_plan(summary, 'failover', 'db3')


def test_a_failover_with_no_member_able_to_lead_says_why():
    with pytest.raises(ValueError, match='^no member can take over: no leader'):
        leader_change_plan(_summary(member('db1', 'replica', 'stopped')), 'failover')
