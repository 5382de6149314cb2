# -*- coding: utf-8 -*-
# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for the pgtune helpers and the groundwork.stack.pg_tune filter plugin."""

from __future__ import annotations

import copy
import itertools
import re

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.groundwork.stack.plugins.filter import pg_tune as pg_tune_filter
from ansible_collections.groundwork.stack.plugins.plugin_utils import pgtune

KB = 1024
MB = 1024 * KB
GB = 1024 * MB

# Every name pg_tune may compute, with the first PostgreSQL major that knows it.
SETTING_SINCE = {
    'autovacuum_max_workers': 8,
    'autovacuum_work_mem': 9,
    'checkpoint_completion_target': 8,
    'default_statistics_target': 8,
    'effective_cache_size': 8,
    'effective_io_concurrency': 8,
    'huge_pages': 9,
    'jit': 11,
    'maintenance_work_mem': 8,
    'max_connections': 8,
    'max_parallel_maintenance_workers': 11,
    'max_parallel_workers': 10,
    'max_parallel_workers_per_gather': 9,
    'max_wal_size': 9,
    'max_worker_processes': 9,
    'min_wal_size': 9,
    'random_page_cost': 8,
    'shared_buffers': 8,
    'wal_buffers': 8,
    'wal_compression': 9,
    'work_mem': 8,
}
MEMORY_SETTINGS = frozenset([
    'autovacuum_work_mem', 'effective_cache_size', 'maintenance_work_mem', 'max_wal_size',
    'min_wal_size', 'shared_buffers', 'wal_buffers', 'work_mem',
])
INTEGER_SETTINGS = frozenset([
    'autovacuum_max_workers', 'default_statistics_target', 'effective_io_concurrency', 'max_connections',
    'max_parallel_maintenance_workers', 'max_parallel_workers', 'max_parallel_workers_per_gather',
    'max_worker_processes',
])
ENUM_SETTINGS = {
    'checkpoint_completion_target': {'0.9'},
    'huge_pages': {'try', 'off'},
    'jit': {'off'},
    'random_page_cost': {'1.1', '4'},
    'wal_compression': {'on', 'lz4'},
}
MEMORY_RE = re.compile(r'[1-9][0-9]*(kB|MB|GB)')
INTEGER_RE = re.compile(r'[1-9][0-9]*')


def spec(**kwargs):
    """A valid input: web, 4GB, 2 CPUs, plus the given changes."""
    result = {'mem_bytes': 4 * GB, 'cpus': 2, 'profile': 'web'}
    result.update(kwargs)
    return result


def settings(**kwargs):
    return pgtune.pg_tune(spec(**kwargs))['settings']


# ---------------------------------------------------------------------------
# format_memory

@pytest.mark.parametrize('kb, expected', [
    (1048576, '1GB'),
    (8 * 1048576, '8GB'),
    (262144, '256MB'),
    (1536 * 1024, '1536MB'),  # 1.5GB is not a whole number of GB
    (3072, '3MB'),
    (5242, '5242kB'),
    (1025, '1025kB'),
    (32, '32kB'),
    (1, '1kB'),
    (0, '0kB'),
])
def test_format_memory(kb, expected):
    assert pgtune.format_memory(kb) == expected


# ---------------------------------------------------------------------------
# Whole outputs, worked out by hand from pgtune's formulas (sizes in kB).

KNOWN = [
    pytest.param(
        spec(mem_bytes=4 * GB, cpus=2, profile='web', storage='ssd', max_connections=200),
        {
            'max_connections': '200',
            'shared_buffers': '1GB',  # 4194304 / 4 = 1048576
            'effective_cache_size': '3GB',  # 4194304 * 3 / 4 = 3145728
            'maintenance_work_mem': '256MB',  # 4194304 / 16 = 262144
            'checkpoint_completion_target': '0.9',
            'wal_buffers': '16MB',  # 3% of 1048576 = 31457 > 16384 -> 16384
            'default_statistics_target': '100',
            'random_page_cost': '1.1',
            'effective_io_concurrency': '200',
            # (4194304 - 1048576) / ((200 + 8 default workers) * 3) = 3145728 / 624 = 5041.2 -> 5041 (> 4096)
            'work_mem': '5041kB',
            'huge_pages': 'off',  # 1GB < 2GB
            'jit': 'off',
            'wal_compression': 'lz4',  # PG 17 by default
            'min_wal_size': '1GB',
            'max_wal_size': '4GB',
            # 2 CPUs: no parallel settings, no autovacuum settings
        },
        id='web-4GB-2cpu-ssd-200conn',
    ),
    pytest.param(
        spec(mem_bytes=8 * GB, cpus=4, profile='oltp', storage='ssd', max_connections=1000),
        {
            'max_connections': '1000',
            'shared_buffers': '2GB',  # 8388608 / 4 = 2097152
            'effective_cache_size': '6GB',  # 8388608 * 3 / 4 = 6291456
            'maintenance_work_mem': '512MB',  # 8388608 / 16 = 524288
            'checkpoint_completion_target': '0.9',
            'wal_buffers': '16MB',  # 3% of 2097152 = 62914 -> 16384
            'default_statistics_target': '100',
            'random_page_cost': '1.1',
            'effective_io_concurrency': '200',
            # (8388608 - 2097152) / ((1000 + 4 workers) * 3) = 6291456 / 3012 = 2088.8 -> 2088 < 4096 -> 4MB
            'work_mem': '4MB',
            'huge_pages': 'try',  # 2GB >= 2GB
            'jit': 'off',
            'wal_compression': 'lz4',
            'min_wal_size': '2GB',
            'max_wal_size': '8GB',
            'max_worker_processes': '4',  # one per CPU
            'max_parallel_workers_per_gather': '2',  # ceil(4 / 2)
            'max_parallel_workers': '4',
            'max_parallel_maintenance_workers': '2',  # ceil(4 / 2)
        },
        id='oltp-8GB-4cpu-ssd-1000conn',
    ),
    pytest.param(
        spec(mem_bytes=128 * GB, cpus=40, profile='dw', storage='ssd'),
        {
            'max_connections': '40',  # dw default
            'shared_buffers': '32GB',  # 134217728 / 4 = 33554432
            'effective_cache_size': '96GB',  # 134217728 * 3 / 4 = 100663296
            'maintenance_work_mem': '8GB',  # 134217728 / 8 = 16GB, capped at 8GB
            'checkpoint_completion_target': '0.9',
            'wal_buffers': '16MB',
            'default_statistics_target': '500',  # dw
            'random_page_cost': '1.1',
            'effective_io_concurrency': '200',
            # (134217728 - 33554432) / ((40 + 40 workers) * 3) = 100663296 / 240 = 419430.4;
            # dw halves it: 209715.2 -> 209715 (not a whole MB)
            'work_mem': '209715kB',
            'huge_pages': 'try',  # 32GB >= 2GB
            # dw: no jit setting, PostgreSQL's default stays
            'wal_compression': 'lz4',
            'min_wal_size': '4GB',
            'max_wal_size': '16GB',
            'max_worker_processes': '40',
            'max_parallel_workers_per_gather': '20',  # ceil(40 / 2), no cap of 4 for dw
            'max_parallel_workers': '40',
            'max_parallel_maintenance_workers': '4',  # ceil(40 / 2) = 20, capped at 4
            'autovacuum_max_workers': '5',  # >= 32 CPUs
            'autovacuum_work_mem': '2GB',  # maintenance_work_mem 8GB >= 2GB
        },
        id='dw-128GB-40cpu-ssd',
    ),
    pytest.param(
        spec(mem_bytes=16 * GB, cpus=8, profile='mixed', storage='hdd', major=14),
        {
            'max_connections': '100',  # mixed default
            'shared_buffers': '4GB',  # 16777216 / 4 = 4194304
            'effective_cache_size': '12GB',  # 16777216 * 3 / 4 = 12582912
            'maintenance_work_mem': '1GB',  # 16777216 / 16 = 1048576
            'checkpoint_completion_target': '0.9',
            'wal_buffers': '16MB',
            'default_statistics_target': '100',
            'random_page_cost': '4',  # hdd
            'effective_io_concurrency': '2',  # hdd
            # (16777216 - 4194304) / ((100 + 8 workers) * 3) = 12582912 / 324 = 38836.1;
            # mixed halves it: 19418.07 -> 19418
            'work_mem': '19418kB',
            'huge_pages': 'try',  # 4GB >= 2GB
            'jit': 'off',  # PG 14 >= 12
            'wal_compression': 'on',  # PG 14: pglz
            'min_wal_size': '1GB',
            'max_wal_size': '4GB',
            'max_worker_processes': '8',
            'max_parallel_workers_per_gather': '4',  # ceil(8 / 2)
            'max_parallel_workers': '8',
            'max_parallel_maintenance_workers': '4',
        },
        id='mixed-16GB-8cpu-hdd-pg14',
    ),
    pytest.param(
        spec(mem_bytes=1 * GB, cpus=2, profile='web', storage='ssd'),
        {
            'max_connections': '200',  # web default
            'shared_buffers': '256MB',  # 1048576 / 4 = 262144
            'effective_cache_size': '768MB',  # 1048576 * 3 / 4 = 786432
            'maintenance_work_mem': '64MB',  # 1048576 / 16 = 65536
            'checkpoint_completion_target': '0.9',
            'wal_buffers': '7864kB',  # 3% of 262144 = 7864.3 -> 7864 (below 14MB: no rounding up)
            'default_statistics_target': '100',
            'random_page_cost': '1.1',
            'effective_io_concurrency': '200',
            # (1048576 - 262144) / ((200 + 8) * 3) = 786432 / 624 = 1260.3 -> 1260 < 4096 -> 4MB
            'work_mem': '4MB',
            'huge_pages': 'off',
            'jit': 'off',
            'wal_compression': 'lz4',
            'min_wal_size': '1GB',
            'max_wal_size': '4GB',
        },
        id='web-1GB-2cpu-ssd',
    ),
    pytest.param(
        spec(mem_bytes=8 * GB, cpus=2, profile='web', storage='ssd'),
        {
            'max_connections': '200',
            'shared_buffers': '2GB',  # 8388608 / 4 = 2097152
            'effective_cache_size': '6GB',
            'maintenance_work_mem': '512MB',  # 8388608 / 16 = 524288
            'checkpoint_completion_target': '0.9',
            'wal_buffers': '16MB',
            'default_statistics_target': '100',
            'random_page_cost': '1.1',
            'effective_io_concurrency': '200',
            # (8388608 - 2097152) / ((200 + 8) * 3) = 6291456 / 624 = 10082.5 -> 10082
            'work_mem': '10082kB',
            'huge_pages': 'try',  # 2GB >= 2GB
            'jit': 'off',
            'wal_compression': 'lz4',
            'min_wal_size': '1GB',
            'max_wal_size': '4GB',
        },
        id='web-8GB-2cpu-ssd',
    ),
]


@pytest.mark.parametrize('value, expected', KNOWN)
def test_known_outputs(value, expected):
    result = pgtune.pg_tune(value)
    assert result['settings'] == expected
    assert list(result['settings']) == sorted(expected)
    assert list(result['sources']) == sorted(expected)


# Single values from pgtune's own test suite (configurationSlice.test.js), Linux.
@pytest.mark.parametrize('changes, name, expected', [
    # 9999 connections on 4GB: floored to 4MB
    ({'mem_bytes': 4 * GB, 'max_connections': 9999, 'cpus': 4, 'major': 15}, 'work_mem', '4MB'),
    # 256GB, 20 connections, 4 CPUs: (268435456 - 67108864) / ((20 + 4) * 3) = 2796202.67 -> 2796202
    ({'mem_bytes': 256 * GB, 'max_connections': 20, 'cpus': 4, 'major': 18}, 'work_mem', '2796202kB'),
    # maintenance_work_mem: 256GB / 16 = 16GB, capped at 8GB; 16GB / 16 = 1GB
    ({'mem_bytes': 256 * GB, 'major': 17}, 'maintenance_work_mem', '8GB'),
    ({'mem_bytes': 16 * GB, 'major': 15}, 'maintenance_work_mem', '1GB'),
    # huge_pages: shared_buffers 1GB -> off, 4GB -> try
    ({'mem_bytes': 4 * GB, 'major': 15}, 'huge_pages', 'off'),
    ({'mem_bytes': 16 * GB, 'major': 15}, 'huge_pages', 'try'),
    # autovacuum_work_mem: maintenance_work_mem 256GB / 16 capped to 8GB >= 2GB -> 2GB
    ({'mem_bytes': 256 * GB, 'major': 15}, 'autovacuum_work_mem', '2GB'),
    ({'mem_bytes': 4 * GB, 'major': 15}, 'autovacuum_work_mem', None),
])
def test_pgtune_suite_values(changes, name, expected):
    assert settings(**changes).get(name) == expected


@pytest.mark.parametrize('major, cpus, profile, expected', [
    (14, 1, 'web', {}),
    (14, 3, 'web', {}),
    (13, 12, 'web', {'max_worker_processes': '12', 'max_parallel_workers_per_gather': '4',
                     'max_parallel_workers': '12', 'max_parallel_maintenance_workers': '4'}),
    # PostgreSQL 10 has no max_parallel_maintenance_workers
    (10, 12, 'web', {'max_worker_processes': '12', 'max_parallel_workers_per_gather': '4', 'max_parallel_workers': '12'}),
    (10, 31, 'web', {'max_worker_processes': '31', 'max_parallel_workers_per_gather': '4', 'max_parallel_workers': '31'}),
    # dw: ceil(31 / 2) = 16 workers per gather, maintenance still capped at 4
    (12, 31, 'dw', {'max_worker_processes': '31', 'max_parallel_workers_per_gather': '16',
                    'max_parallel_workers': '31', 'max_parallel_maintenance_workers': '4'}),
    (17, 4, 'dw', {'max_worker_processes': '4', 'max_parallel_workers_per_gather': '2',
                   'max_parallel_workers': '4', 'max_parallel_maintenance_workers': '2'}),
    (17, 5, 'oltp', {'max_worker_processes': '5', 'max_parallel_workers_per_gather': '3',
                     'max_parallel_workers': '5', 'max_parallel_maintenance_workers': '3'}),
])
def test_parallel_settings(major, cpus, profile, expected):
    result = settings(major=major, cpus=cpus, profile=profile)
    assert dict((k, v) for k, v in result.items() if 'parallel' in k or k == 'max_worker_processes') == expected


@pytest.mark.parametrize('cpus, workers', [(1, 8), (3, 8), (4, 4), (6, 6)])
def test_work_mem_counts_worker_processes(cpus, workers):
    # 4GB web, 200 connections: (4194304 - 1048576) / ((200 + workers) * 3)
    expected = pgtune.format_memory(max(3145728 // ((200 + workers) * 3), 4096))
    assert settings(cpus=cpus)['work_mem'] == expected


@pytest.mark.parametrize('mem_kb, expected', [
    (1048576, '7864kB'),  # shared_buffers 262144: 3% = 7864
    (2097152, '16MB'),  # shared_buffers 524288: 3% = 15728, between 14MB and 16MB -> rounded up to 16MB
    (1911468, '14MB'),  # shared_buffers 477867: 3% = 14336 = exactly 14MB, not rounded up
    (4096, '32kB'),  # shared_buffers 1024: 3% = 30 -> minimum 32kB
    (16 * 1048576, '16MB'),  # 3% of 4GB = 125829 -> maximum 16MB
])
def test_wal_buffers(mem_kb, expected):
    assert settings(mem_bytes=mem_kb * KB)['wal_buffers'] == expected


@pytest.mark.parametrize('major, jit, wal_compression', [
    (10, None, 'on'),
    (11, None, 'on'),
    (12, 'off', 'on'),
    (14, 'off', 'on'),
    (15, 'off', 'lz4'),
    (17, 'off', 'lz4'),
    (18, 'off', 'lz4'),
])
def test_version_dependent_settings(major, jit, wal_compression):
    result = settings(major=major)
    assert result.get('jit') == jit
    assert result['wal_compression'] == wal_compression


@pytest.mark.parametrize('profile, jit', [('web', 'off'), ('oltp', 'off'), ('mixed', 'off'), ('dw', None)])
def test_jit_by_profile(profile, jit):
    assert settings(profile=profile).get('jit') == jit


@pytest.mark.parametrize('cpus, expected', [(1, None), (8, None), (15, None), (16, '4'), (31, '4'), (32, '5'), (128, '5')])
def test_autovacuum_max_workers(cpus, expected):
    assert settings(cpus=cpus).get('autovacuum_max_workers') == expected


@pytest.mark.parametrize('profile, mem_bytes, expected', [
    ('web', 32 * GB - 1024, None),  # maintenance_work_mem just below 2GB
    ('web', 32 * GB, '2GB'),  # 32GB / 16 = 2GB
    ('dw', 16 * GB, '2GB'),  # 16GB / 8 = 2GB
    ('dw', 8 * GB, None),  # 8GB / 8 = 1GB
])
def test_autovacuum_work_mem(profile, mem_bytes, expected):
    assert settings(profile=profile, mem_bytes=mem_bytes).get('autovacuum_work_mem') == expected


@pytest.mark.parametrize('profile, max_connections, statistics, min_wal, max_wal, maintenance', [
    ('web', '200', '100', '1GB', '4GB', '256MB'),
    ('oltp', '300', '100', '2GB', '8GB', '256MB'),
    ('dw', '40', '500', '4GB', '16GB', '512MB'),  # 4GB / 8
    ('mixed', '100', '100', '1GB', '4GB', '256MB'),
])
def test_profile_values(profile, max_connections, statistics, min_wal, max_wal, maintenance):
    result = settings(profile=profile)
    assert result['max_connections'] == max_connections
    assert result['default_statistics_target'] == statistics
    assert result['min_wal_size'] == min_wal
    assert result['max_wal_size'] == max_wal
    assert result['maintenance_work_mem'] == maintenance
    assert result['shared_buffers'] == '1GB'
    assert result['effective_cache_size'] == '3GB'


@pytest.mark.parametrize('storage, random_page_cost, effective_io_concurrency', [
    ('hdd', '4', '2'),
    ('ssd', '1.1', '200'),
    ('san', '1.1', '300'),
    ('nvme', '1.1', '1000'),
])
def test_storage_values(storage, random_page_cost, effective_io_concurrency):
    result = settings(storage=storage)
    assert result['random_page_cost'] == random_page_cost
    assert result['effective_io_concurrency'] == effective_io_concurrency


@pytest.mark.parametrize('profile, storage', list(itertools.product(pgtune.PROFILES, pgtune.STORAGES)))
@pytest.mark.parametrize('cpus, mem_bytes, major', [
    (1, 512 * MB, 10),
    (2, 2 * GB, 12),
    (4, 8 * GB, 14),
    (16, 64 * GB, 16),
    (64, 512 * GB, 17),
    (96, 2048 * GB, 18),
])
def test_every_combination_gives_valid_settings(profile, storage, cpus, mem_bytes, major):
    result = pgtune.pg_tune(spec(profile=profile, storage=storage, cpus=cpus, mem_bytes=mem_bytes, major=major))
    assert set(result) == {'settings', 'sources', 'warnings'}
    values, sources = result['settings'], result['sources']
    assert list(values) == sorted(values)
    assert list(sources) == list(values)
    for name, value in values.items():
        assert SETTING_SINCE[name] <= major, name  # only known names, and only those this major has
        assert isinstance(value, str), name
        if name in MEMORY_SETTINGS:
            assert MEMORY_RE.fullmatch(value), (name, value)
        elif name in INTEGER_SETTINGS:
            assert INTEGER_RE.fullmatch(value), (name, value)
        else:
            assert value in ENUM_SETTINGS[name], (name, value)
        assert sources[name].startswith('pgtune: '), name
    always = set(SETTING_SINCE) - {'autovacuum_max_workers', 'autovacuum_work_mem', 'jit', 'max_parallel_maintenance_workers',
                                   'max_parallel_workers', 'max_parallel_workers_per_gather', 'max_worker_processes'}
    assert always <= set(values)


@pytest.mark.parametrize('name, source', [
    ('shared_buffers', 'pgtune: RAM/4 (web)'),
    ('effective_cache_size', 'pgtune: RAM*3/4'),
    ('maintenance_work_mem', 'pgtune: RAM/16 (web)'),
    ('wal_buffers', 'pgtune: 3% of shared_buffers, max 16MB'),
    ('max_connections', 'pgtune: default for the web profile'),
    ('work_mem', 'pgtune: (RAM - shared_buffers) / ((200 connections + 8 default worker processes) * 3)'),
    ('random_page_cost', 'pgtune: ssd storage'),
    ('huge_pages', 'pgtune: shared_buffers < 2GB'),
])
def test_sources(name, source):
    assert pgtune.pg_tune(spec())['sources'][name] == source


@pytest.mark.parametrize('changes, name, source', [
    ({'max_connections': 50}, 'max_connections', 'pgtune: max_connections as given'),
    ({'profile': 'dw', 'mem_bytes': 128 * GB}, 'maintenance_work_mem', 'pgtune: RAM/8 (dw), capped at 8GB'),
    ({'profile': 'dw', 'mem_bytes': 64 * GB}, 'maintenance_work_mem', 'pgtune: RAM/8 (dw)'),  # exactly 8GB: not capped
    ({'profile': 'mixed'}, 'work_mem', 'pgtune: (RAM - shared_buffers) / ((100 connections + 8 default worker processes) * 3) / 2 (mixed)'),
    ({'max_connections': 1000, 'cpus': 4}, 'work_mem',
     'pgtune: (RAM - shared_buffers) / ((1000 connections + 4 worker processes) * 3), raised to the 4MB minimum'),
])
def test_sources_explain_the_case(changes, name, source):
    assert pgtune.pg_tune(spec(**changes))['sources'][name] == source


# ---------------------------------------------------------------------------
# Defaults

@pytest.mark.parametrize('changes', [{}, {'storage': None, 'max_connections': None, 'major': None, 'overrides': None}],
                         ids=['missing', 'none'])
def test_defaults(changes):
    explicit = pgtune.pg_tune(spec(storage='ssd', max_connections=200, major=17, overrides={}))
    implicit = pgtune.pg_tune(spec(**changes))
    assert implicit['settings'] == explicit['settings']
    assert implicit['settings']['wal_compression'] == 'lz4'  # PG 17
    assert implicit['settings']['effective_io_concurrency'] == '200'  # ssd


def test_input_is_not_modified():
    value = spec(overrides={'Work_Mem': '64MB'})
    before = copy.deepcopy(value)
    pgtune.pg_tune(value)
    assert value == before


# ---------------------------------------------------------------------------
# Overrides

@pytest.mark.parametrize('overrides, expected', [
    ({'shared_buffers': '2GB'}, {'shared_buffers': '2GB'}),
    ({'work_mem': '64MB', 'random_page_cost': 2}, {'work_mem': '64MB', 'random_page_cost': '2'}),
    ({'jit': True}, {'jit': 'on'}),
    ({'huge_pages': False}, {'huge_pages': 'off'}),
    ({'log_min_duration_statement': 1000}, {'log_min_duration_statement': '1000'}),
    ({'random_page_cost': 1.5}, {'random_page_cost': '1.5'}),
    ({'log_min_duration_statement': -1}, {'log_min_duration_statement': '-1'}),
    ({'pg_stat_statements.track': 'all'}, {'pg_stat_statements.track': 'all'}),
    ({'hnsw.ef_search': 100}, {'hnsw.ef_search': '100'}),
    ({'Shared_Buffers': '3GB'}, {'shared_buffers': '3GB'}),  # names are case-insensitive
    ({'shared_preload_libraries': 'pg_stat_statements,auto_explain'}, {'shared_preload_libraries': 'pg_stat_statements,auto_explain'}),
    ({'search_path': ''}, {'search_path': ''}),
])
def test_overrides_win_and_are_labelled(overrides, expected):
    base = pgtune.pg_tune(spec())
    result = pgtune.pg_tune(spec(overrides=overrides))
    for name, value in expected.items():
        assert result['settings'][name] == value
        assert result['sources'][name] == 'override (postgresql_settings)'
    for name in set(base['settings']) - set(expected):
        assert result['settings'][name] == base['settings'][name]
        assert result['sources'][name] == base['sources'][name]
    assert set(result['settings']) == set(base['settings']) | set(expected)
    assert list(result['settings']) == sorted(result['settings'])
    assert list(result['sources']) == list(result['settings'])


@pytest.mark.parametrize('override', [500, '500'])
def test_overridden_max_connections_sizes_work_mem(override):
    # 8GB web, 2 CPUs: (8388608 - 2097152) / ((500 + 8) * 3) = 6291456 / 1524 = 4128.2 -> 4128
    result = pgtune.pg_tune(spec(mem_bytes=8 * GB, max_connections=100, overrides={'max_connections': override}))
    assert result['settings']['max_connections'] == '500'
    assert result['sources']['max_connections'] == 'override (postgresql_settings)'
    assert result['settings']['work_mem'] == '4128kB'
    assert '500 connections' in result['sources']['work_mem']


# ---------------------------------------------------------------------------
# Warnings

@pytest.mark.parametrize('mem_bytes, expected', [
    (1, ['below 256MB']),
    (128 * MB, ['below 256MB']),
    (256 * MB - 1, ['below 256MB']),
    (256 * MB, []),
    (64 * GB, []),
    (100 * GB, []),
    (100 * GB + 1, ['above 100GB']),
    (128 * GB, ['above 100GB']),
])
def test_warnings(mem_bytes, expected):
    result = pgtune.pg_tune(spec(mem_bytes=mem_bytes))
    assert len(result['warnings']) == len(expected)
    for warning, text in zip(result['warnings'], expected):
        assert text in warning
        assert warning.startswith('mem_bytes ')
    assert result['settings']['shared_buffers']  # still computed


def test_low_memory_is_still_computed():
    # 128MB: 131072kB; shared_buffers 32768 = 32MB; wal_buffers 3% = 983kB; work_mem floored to 4MB
    result = pgtune.pg_tune(spec(mem_bytes=128 * MB))
    assert result['settings']['shared_buffers'] == '32MB'
    assert result['settings']['effective_cache_size'] == '96MB'
    assert result['settings']['wal_buffers'] == '983kB'
    assert result['settings']['work_mem'] == '4MB'
    assert result['warnings'] == ['mem_bytes 128MB is below 256MB: pgtune is not meant for low memory systems']


# ---------------------------------------------------------------------------
# Rejections: (input, text the message must contain)

def _without(name):
    value = spec()
    del value[name]
    return value


REJECTED = [
    pytest.param(None, 'input must be a dict', id='input-none'),
    pytest.param([('mem_bytes', 1)], 'input must be a dict', id='input-list'),
    pytest.param('mem_bytes=1', 'input must be a dict', id='input-str'),
    pytest.param(spec(max_connection=5), 'unknown key(s) max_connection', id='unknown-key'),
    pytest.param(_without('mem_bytes'), 'mem_bytes is required', id='mem_bytes-missing'),
    pytest.param(spec(mem_bytes=None), 'mem_bytes is required', id='mem_bytes-none'),
    pytest.param(spec(mem_bytes=0), 'mem_bytes must be at least 1, got 0', id='mem_bytes-0'),
    pytest.param(spec(mem_bytes=-4 * GB), 'mem_bytes must be at least 1', id='mem_bytes-negative'),
    pytest.param(spec(mem_bytes=1.5 * GB), 'mem_bytes must be an integer, got float', id='mem_bytes-float'),
    pytest.param(spec(mem_bytes='4GB'), 'mem_bytes must be an integer, got str', id='mem_bytes-str'),
    pytest.param(spec(mem_bytes=True), 'mem_bytes must be an integer, got bool', id='mem_bytes-true'),
    pytest.param(spec(mem_bytes=False), 'mem_bytes must be an integer, got bool', id='mem_bytes-false'),
    pytest.param(_without('cpus'), 'cpus is required', id='cpus-missing'),
    pytest.param(spec(cpus=0), 'cpus must be at least 1, got 0', id='cpus-0'),
    pytest.param(spec(cpus=-2), 'cpus must be at least 1', id='cpus-negative'),
    pytest.param(spec(cpus=2.0), 'cpus must be an integer, got float', id='cpus-float'),
    pytest.param(spec(cpus='4'), 'cpus must be an integer, got str', id='cpus-str'),
    pytest.param(spec(cpus=True), 'cpus must be an integer, got bool', id='cpus-bool'),
    pytest.param(_without('profile'), 'profile is required', id='profile-missing'),
    pytest.param(spec(profile='olap'), "profile 'olap' is not one of web, oltp, dw, mixed", id='profile-unknown'),
    pytest.param(spec(profile='Web'), "profile 'Web' is not one of", id='profile-case'),
    pytest.param(spec(profile='desktop'), "profile 'desktop' is not one of", id='profile-desktop'),
    pytest.param(spec(profile=3), 'profile 3 is not one of', id='profile-int'),
    pytest.param(spec(storage='nfs'), "storage 'nfs' is not one of ssd, nvme, hdd, san", id='storage-unknown'),
    pytest.param(spec(storage='SSD'), "storage 'SSD' is not one of", id='storage-case'),
    pytest.param(spec(storage=1), 'storage 1 is not one of', id='storage-int'),
    pytest.param(spec(max_connections=0), 'max_connections must be between 1 and 262143, got 0', id='max_connections-0'),
    pytest.param(spec(max_connections=-1), 'max_connections must be between 1 and 262143', id='max_connections-negative'),
    pytest.param(spec(max_connections=262144), 'max_connections must be between 1 and 262143', id='max_connections-too-many'),
    pytest.param(spec(max_connections='100'), 'max_connections must be an integer, got str', id='max_connections-str'),
    pytest.param(spec(max_connections=100.0), 'max_connections must be an integer, got float', id='max_connections-float'),
    pytest.param(spec(max_connections=True), 'max_connections must be an integer, got bool', id='max_connections-bool'),
    pytest.param(spec(major=9), 'major must be at least 10, got 9', id='major-9'),
    pytest.param(spec(major='17'), 'major must be an integer, got str', id='major-str'),
    pytest.param(spec(major=17.0), 'major must be an integer, got float', id='major-float'),
    pytest.param(spec(major=True), 'major must be an integer, got bool', id='major-bool'),
    pytest.param(spec(overrides=[]), 'overrides must be a dict', id='overrides-list'),
    pytest.param(spec(overrides='work_mem=64MB'), 'overrides must be a dict', id='overrides-str'),
    pytest.param(spec(overrides=5), 'overrides must be a dict', id='overrides-int'),
    pytest.param(spec(overrides={'work mem': '64MB'}), "overrides: 'work mem' is not a PostgreSQL setting name", id='overrides-name-space'),
    pytest.param(spec(overrides={'work_mem\n': '64MB'}), 'is not a PostgreSQL setting name', id='overrides-name-newline'),
    pytest.param(spec(overrides={'a;b': 1}), 'is not a PostgreSQL setting name', id='overrides-name-semicolon'),
    pytest.param(spec(overrides={'a.b.c': 1}), 'is not a PostgreSQL setting name', id='overrides-name-two-dots'),
    pytest.param(spec(overrides={'': 1}), 'is not a PostgreSQL setting name', id='overrides-name-empty'),
    pytest.param(spec(overrides={1: 'x'}), 'overrides: 1 is not a PostgreSQL setting name', id='overrides-name-int'),
    pytest.param(spec(overrides={'work_mem': None}), "overrides['work_mem'] must be a string, number or boolean, got NoneType",
                 id='overrides-value-none'),
    pytest.param(spec(overrides={'work_mem': [1]}), "overrides['work_mem'] must be a string, number or boolean", id='overrides-value-list'),
    pytest.param(spec(overrides={'work_mem': {'a': 1}}), "overrides['work_mem'] must be a string", id='overrides-value-dict'),
    pytest.param(spec(overrides={'work_mem': '4MB\nfsync = off'}), "overrides['work_mem'] must not contain a line break",
                 id='overrides-value-newline'),
    pytest.param(spec(overrides={'work_mem': '4MB\r'}), "overrides['work_mem'] must not contain a line break", id='overrides-value-cr'),
    pytest.param(spec(overrides={'work_mem': '4MB\x00'}), "overrides['work_mem'] must not contain a line break", id='overrides-value-nul'),
    pytest.param(spec(overrides={'Work_Mem': '1MB', 'work_mem': '2MB'}), "overrides: 'work_mem' is given more than once",
                 id='overrides-duplicate'),
    pytest.param(spec(overrides={'max_connections': 'lots'}), "overrides['max_connections'] must be an integer, got 'lots'",
                 id='overrides-max_connections-str'),
    pytest.param(spec(overrides={'max_connections': 0}), "overrides['max_connections'] must be between 1 and 262143",
                 id='overrides-max_connections-0'),
    pytest.param(spec(overrides={'max_connections': True}), "overrides['max_connections'] must be an integer, got 'on'",
                 id='overrides-max_connections-bool'),
]


@pytest.mark.parametrize('value, message', REJECTED)
def test_rejected(value, message):
    with pytest.raises(ValueError) as excinfo:
        pgtune.pg_tune(value)
    assert message in str(excinfo.value)


# ---------------------------------------------------------------------------
# Filter plugin

def test_filter_plugin_maps_pg_tune():
    filters = pg_tune_filter.FilterModule().filters()
    assert set(filters) == {'pg_tune'}
    assert filters['pg_tune'] is pg_tune_filter.pg_tune


@pytest.mark.parametrize('value, expected', KNOWN)
def test_filter_plugin_returns_the_tuning(value, expected):
    result = pg_tune_filter.FilterModule().filters()['pg_tune'](value)
    assert result == pgtune.pg_tune(value)
    assert result['settings'] == expected


@pytest.mark.parametrize('value, message', REJECTED)
def test_filter_plugin_raises_ansible_filter_error(value, message):
    with pytest.raises(AnsibleFilterError) as excinfo:
        pg_tune_filter.pg_tune(value)
    assert str(excinfo.value).startswith('pg_tune: ')
    assert message in str(excinfo.value)
    assert isinstance(excinfo.value.orig_exc, ValueError)


def test_filter_plugin_message_names_the_field():
    with pytest.raises(AnsibleFilterError, match=r"^pg_tune: profile 'olap' is not one of web, oltp, dw, mixed$"):
        pg_tune_filter.pg_tune(spec(profile='olap'))
