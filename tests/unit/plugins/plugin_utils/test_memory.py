# -*- coding: utf-8 -*-
# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible.module_utils.common.text.formatters import human_to_bytes

from ansible_collections.groundwork.stack.plugins.filter.memory_plan import FilterModule
from ansible_collections.groundwork.stack.plugins.plugin_utils.memory import MIB, plan, postgresql_bytes, redis_bytes

GIB = 1024 * MIB
ALL_IN_ONE = {'postgres': ['h'], 'redis': ['h'], 'app': ['h'], 'web': ['h']}


@pytest.mark.parametrize('groups, expected', [
    # Alone, each part keeps the share it had before the plan existed.
    ({'postgres': ['h']}, {'postgresql': 8 * GIB}),
    ({'redis': ['h']}, {'redis': 4 * GIB}),
    ({'app': ['h']}, {'apps': 4 * GIB}),
    # Shared: 40 / 15 / 30 %.
    (ALL_IN_ONE, {'postgresql': int(8 * GIB * 0.40), 'redis': int(8 * GIB * 0.15), 'apps': int(8 * GIB * 0.30)}),
    ({'postgres': ['h'], 'app': ['h']}, {'postgresql': int(8 * GIB * 0.40), 'apps': int(8 * GIB * 0.30)}),
    # Another host's groups do not count.
    ({'postgres': ['h'], 'redis': ['other'], 'app': ['other']}, {'postgresql': 8 * GIB}),
    ({'web': ['h']}, {}),
])
def test_planned_shares(groups, expected):
    result = plan(8 * GIB, 'h', groups)
    assert result['bytes'] == expected
    assert result['shared'] == (len(expected) > 1)
    assert result['problems'] == []
    assert result['planned'] == sum(expected.values())


def test_an_explicit_variable_wins_and_the_others_keep_their_shared_share():
    result = plan(8 * GIB, 'h', ALL_IN_ONE, {'postgresql_memory_budget': '2GB', 'redis_maxmemory': '512mb',
                                             'uvicorn_service_memory_budget_mb': 1024})
    assert result['bytes'] == {'postgresql': 2 * GIB, 'redis': 512 * MIB, 'apps': GIB}
    assert result['source'] == {'postgresql': 'postgresql_memory_budget', 'redis': 'redis_maxmemory',
                                'apps': 'uvicorn_service_memory_budget_mb'}
    result = plan(8 * GIB, 'h', ALL_IN_ONE, {'postgresql_memory_budget': '25%', 'redis_maxmemory': '',
                                             'uvicorn_service_memory_budget_mb': 0})
    assert result['bytes']['postgresql'] == 2 * GIB
    assert result['bytes']['redis'] == int(8 * GIB * 0.15) and result['source']['redis'] == 'groundwork_memory_shares: 15 %'


def test_redis_percent_is_used_when_maxmemory_is_empty():
    result = plan(8 * GIB, 'h', ALL_IN_ONE, {'redis_maxmemory': '', 'redis_maxmemory_percent': '10'})
    assert result['bytes']['redis'] == int(8 * GIB * 0.10)
    assert result['source']['redis'] == 'redis_maxmemory_percent (10 %)'
    # 0 (the default) plans it.
    assert plan(8 * GIB, 'h', {'redis': ['h']}, {'redis_maxmemory_percent': 0})['bytes']['redis'] == 4 * GIB


def test_shares_override_the_shared_defaults_and_not_a_part_alone():
    shares = {'postgresql': 60, 'redis': '10', 'apps': 20, 'unknown': 99}
    assert plan(10 * GIB, 'h', ALL_IN_ONE, shares=shares)['bytes'] == {
        'postgresql': 6 * GIB, 'redis': GIB, 'apps': 2 * GIB}
    assert plan(10 * GIB, 'h', {'postgres': ['h']}, shares=shares)['bytes'] == {'postgresql': 10 * GIB}


def test_a_plan_over_the_ram_is_one_problem_naming_the_variables():
    result = plan(4 * GIB, 'h', ALL_IN_ONE, {'postgresql_memory_budget': '3GB'})
    assert result['planned'] > 4 * GIB
    assert len(result['problems']) == 1
    problem = result['problems'][0]
    assert problem.startswith('memory: postgresql 3072 MB (postgresql_memory_budget), redis 614 MB '
                              '(groundwork_memory_shares: 15 %), apps 1228 MB (groundwork_memory_shares: 30 %) add up '
                              'to 4915 MB')
    assert 'more than the host\'s 4096 MB' in problem
    for name in ('postgresql_memory_budget', 'redis_maxmemory', 'uvicorn_service_memory_budget_mb',
                 'groundwork_memory_shares'):
        assert name in problem
    # A part alone with a size above the RAM is refused too.
    assert plan(4 * GIB, 'h', {'postgres': ['h']}, {'postgresql_memory_budget': '8GB'})['problems']
    # Exactly the RAM fits.
    assert not plan(4 * GIB, 'h', {'postgres': ['h']}, {'postgresql_memory_budget': '4GB'})['problems']


@pytest.mark.parametrize('value', ['1GB', '512MB', '512 MB', '4G', '100K', '2TB', '1048576'])
def test_postgresql_sizes_read_as_ansible_reads_them(value):
    # The role fed these to ansible.builtin.human_to_bytes before the plan: the same bytes.
    assert postgresql_bytes(value, 8 * GIB) == human_to_bytes(value.replace(' ', ''))


def test_postgresql_shares_and_bad_values():
    assert postgresql_bytes('', GIB) is None
    assert postgresql_bytes('50%', 8 * GIB) == 4 * GIB
    assert postgresql_bytes('12.5%', 8 * GIB) == GIB
    with pytest.raises(ValueError):
        postgresql_bytes('lots', GIB)


@pytest.mark.parametrize('value, expected', [
    ('2gb', 2 * GIB), ('512mb', 512 * MIB), ('512MB', 512 * MIB), ('1g', 10 ** 9), ('100k', 100000),
    ('100kb', 102400), ('1024', 1024), ('64b', 64), ('', None),
])
def test_redis_sizes_in_redis_units(value, expected):
    assert redis_bytes(value) == expected


def test_redis_bad_size():
    with pytest.raises(ValueError):
        redis_bytes('2 gigs')


def test_the_filter_takes_megabytes():
    memory_plan = FilterModule().filters()['memory_plan']
    assert memory_plan(8192, 'h', {'redis': ['h']})['bytes'] == {'redis': 4 * GIB}
    assert memory_plan('8192', 'h', ALL_IN_ONE, {}, {'apps': 50})['bytes']['apps'] == 4 * GIB


def test_the_asking_role_part_counts_whatever_the_groups_say():
    assert plan(8 * GIB, 'h', {}, part='postgresql')['bytes'] == {'postgresql': 8 * GIB}
    assert plan(8 * GIB, 'h', {'app': ['h']}, part='redis')['bytes'] == {
        'redis': int(8 * GIB * 0.15), 'apps': int(8 * GIB * 0.30)}


def test_each_variable_sets_its_own_part_only():
    result = plan(8 * GIB, 'h', ALL_IN_ONE, {'uvicorn_service_memory_budget_mb': 2048, 'redis_maxmemory_percent': 5})
    assert result['bytes'] == {'postgresql': int(8 * GIB * 0.40), 'redis': int(8 * GIB * 0.05), 'apps': 2 * GIB}


def test_an_unreadable_value_is_left_to_its_role_check():
    result = plan(GIB, 'h', ALL_IN_ONE, {'postgresql_memory_budget': 'lots', 'uvicorn_service_memory_budget_mb': 4096})
    assert 'postgresql' not in result['bytes'] and result['problems'] == []
    # Shares that are not a mapping (a string from -e) are the base role's check; the plan uses its own.
    assert plan(8 * GIB, 'h', ALL_IN_ONE, shares='postgresql=90')['bytes']['postgresql'] == int(8 * GIB * 0.40)
