# -*- coding: utf-8 -*-
# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure PostgreSQL tuning after pgtune (le0pard/pgtune), computed on the controller.

The formulas follow pgtune's ``src/features/configuration/configurationSlice.js``
for Linux: all sizes are worked out in kB with floor division and rendered with
the largest unit that divides them exactly, as pgtune's output does.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

PROFILES = ('web', 'oltp', 'dw', 'mixed')
STORAGES = ('ssd', 'nvme', 'hdd', 'san')
DEFAULT_STORAGE = 'ssd'
DEFAULT_MAJOR = 17
MIN_MAJOR = 10
# PostgreSQL's MAX_BACKENDS (2^18 - 1) bounds max_connections.
MAX_CONNECTIONS_LIMIT = 262143

KB_PER_MB = 1024
KB_PER_GB = 1024 * 1024

DEFAULT_MAX_CONNECTIONS = {'web': 200, 'oltp': 300, 'dw': 40, 'mixed': 100}
# (min_wal_size, max_wal_size) in kB.
WAL_SIZES = {
    'web': (1 * KB_PER_GB, 4 * KB_PER_GB),
    'oltp': (2 * KB_PER_GB, 8 * KB_PER_GB),
    'dw': (4 * KB_PER_GB, 16 * KB_PER_GB),
    'mixed': (1 * KB_PER_GB, 4 * KB_PER_GB),
}
RANDOM_PAGE_COST = {'hdd': '4', 'ssd': '1.1', 'san': '1.1', 'nvme': '1.1'}
EFFECTIVE_IO_CONCURRENCY = {'hdd': 2, 'ssd': 200, 'san': 300, 'nvme': 1000}

MAINTENANCE_WORK_MEM_CAP = 8 * KB_PER_GB
WAL_BUFFERS_MAX = 16 * KB_PER_MB
WAL_BUFFERS_NEAR = 14 * KB_PER_MB
WAL_BUFFERS_MIN = 32
WORK_MEM_MIN = 4 * KB_PER_MB
HUGE_PAGES_THRESHOLD = 2 * KB_PER_GB
AUTOVACUUM_WORK_MEM_CAP = 2 * KB_PER_GB
# PostgreSQL's default max_worker_processes, used for work_mem when pgtune
# leaves the parallel settings alone (fewer than 4 CPUs).
DEFAULT_WORKER_PROCESSES = 8

# pgtune's sanity range for the memory it is given, in bytes.
LOW_MEMORY_BYTES = 256 * 1024 * 1024
HIGH_MEMORY_BYTES = 100 * 1024 * 1024 * 1024

OVERRIDE_SOURCE = 'override (postgresql_settings)'
# A GUC name, optionally qualified by an extension prefix (pg_stat_statements.track).
_SETTING_NAME_RE = re.compile(r'[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?')
_KEYS = ('mem_bytes', 'cpus', 'profile', 'storage', 'max_connections', 'major', 'overrides')


def format_memory(kb):
    """Render a size in kB as postgresql.conf does: '1GB', '256MB', '5242kB'."""
    if kb > 0 and kb % KB_PER_GB == 0:
        return '%dGB' % (kb // KB_PER_GB)
    if kb > 0 and kb % KB_PER_MB == 0:
        return '%dMB' % (kb // KB_PER_MB)
    return '%dkB' % kb


def _type_name(value):
    return type(value).__name__


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _require_int(name, value, minimum, maximum=None):
    if not _is_int(value):
        raise ValueError('%s must be an integer, got %s %r' % (name, _type_name(value), value))
    if value < minimum or (maximum is not None and value > maximum):
        bounds = 'at least %d' % minimum if maximum is None else 'between %d and %d' % (minimum, maximum)
        raise ValueError('%s must be %s, got %d' % (name, bounds, value))
    return int(value)


def _require_choice(name, value, choices):
    if not isinstance(value, str) or value not in choices:
        raise ValueError('%s %r is not one of %s' % (name, value, ', '.join(choices)))
    return str(value)


def _render_override(name, value):
    label = 'overrides[%r]' % name
    if isinstance(value, bool):
        return 'on' if value else 'off'
    if _is_int(value) or isinstance(value, float):
        return str(value)
    if isinstance(value, str):
        if any(c in value for c in '\n\r\x00'):
            raise ValueError('%s must not contain a line break or NUL character' % label)
        return str(value)
    raise ValueError('%s must be a string, number or boolean, got %s' % (label, _type_name(value)))


def _normalize_overrides(overrides):
    if overrides is None:
        return {}
    if not isinstance(overrides, Mapping):
        raise ValueError('overrides must be a dict of setting name to value, got %s' % _type_name(overrides))
    result = {}
    for key, value in overrides.items():
        if not isinstance(key, str) or not _SETTING_NAME_RE.fullmatch(key.lower()):
            raise ValueError('overrides: %r is not a PostgreSQL setting name' % (key,))
        name = key.lower()  # setting names are case-insensitive in PostgreSQL
        if name in result:
            raise ValueError('overrides: %r is given more than once (names are case-insensitive)' % name)
        result[name] = _render_override(name, value)
    return result


def validate(spec):
    """Check the input of :func:`pg_tune` and return it with defaults filled in.

    Raises ValueError naming the offending field.
    """
    if not isinstance(spec, Mapping):
        raise ValueError('input must be a dict, got %s' % _type_name(spec))
    unknown = sorted(str(k) for k in spec if k not in _KEYS)
    if unknown:
        raise ValueError('unknown key(s) %s; expected %s' % (', '.join(unknown), ', '.join(_KEYS)))
    for name in ('mem_bytes', 'cpus', 'profile'):
        if spec.get(name) is None:
            raise ValueError('%s is required' % name)

    profile = _require_choice('profile', spec['profile'], PROFILES)
    storage = spec.get('storage')
    max_connections = spec.get('max_connections')
    major = spec.get('major')
    overrides = _normalize_overrides(spec.get('overrides'))

    if max_connections is not None:
        max_connections = _require_int('max_connections', max_connections, 1, MAX_CONNECTIONS_LIMIT)
    if 'max_connections' in overrides:
        # The override is what the server will run with, so work_mem must be sized for it.
        text = overrides['max_connections']
        if not text.isdigit():
            raise ValueError("overrides['max_connections'] must be an integer, got %r" % text)
        max_connections = _require_int("overrides['max_connections']", int(text), 1, MAX_CONNECTIONS_LIMIT)

    return {
        'mem_bytes': _require_int('mem_bytes', spec['mem_bytes'], 1),
        'cpus': _require_int('cpus', spec['cpus'], 1),
        'profile': profile,
        'storage': DEFAULT_STORAGE if storage is None else _require_choice('storage', storage, STORAGES),
        'max_connections': max_connections,
        'major': DEFAULT_MAJOR if major is None else _require_int('major', major, MIN_MAJOR),
        'overrides': overrides,
    }


def _parallel(cpus, profile, major):
    """pgtune's parallel settings: only from 4 CPUs on, {name: (value, source)}."""
    if cpus < 4:
        return {}
    half = -(-cpus // 2)  # ceil(cpus / 2)
    if profile == 'dw':
        per_gather, gather_source = half, 'pgtune: CPUs/2 rounded up (dw, no cap)'
    else:
        per_gather, gather_source = min(half, 4), 'pgtune: CPUs/2 rounded up, max 4 (%s)' % profile
    result = {
        'max_worker_processes': (cpus, 'pgtune: one per CPU (%d CPUs)' % cpus),
        'max_parallel_workers_per_gather': (per_gather, gather_source),
        'max_parallel_workers': (cpus, 'pgtune: one per CPU (%d CPUs)' % cpus),
    }
    if major >= 11:  # the setting exists from PostgreSQL 11 on
        result['max_parallel_maintenance_workers'] = (min(half, 4), 'pgtune: CPUs/2 rounded up, max 4')
    return result


def _wal_buffers(shared_buffers):
    value = 3 * shared_buffers // 100
    if value > WAL_BUFFERS_MAX:
        value = WAL_BUFFERS_MAX
    if WAL_BUFFERS_NEAR < value < WAL_BUFFERS_MAX:
        value = WAL_BUFFERS_MAX
    return max(value, WAL_BUFFERS_MIN)


def _warnings(mem_bytes):
    if mem_bytes < LOW_MEMORY_BYTES:
        return ['mem_bytes %s is below 256MB: pgtune is not meant for low memory systems' % format_memory(mem_bytes // 1024)]
    if mem_bytes > HIGH_MEMORY_BYTES:
        return ['mem_bytes %s is above 100GB: pgtune is not meant for very high memory systems' % format_memory(mem_bytes // 1024)]
    return []


def pg_tune(spec):
    """Compute pgtune's postgresql.conf settings for a memory budget, CPUs and profile.

    Returns ``{'settings': {name: value}, 'sources': {name: why}, 'warnings': [...]}``
    with string values ready for postgresql.conf and keys in sorted order.
    Overrides replace computed settings or add new ones. Raises ValueError on
    bad input, naming the field.
    """
    spec = validate(spec)
    profile, storage, cpus, major = spec['profile'], spec['storage'], spec['cpus'], spec['major']
    mem_kb = spec['mem_bytes'] // 1024
    tuned = {}  # name -> (value, source)

    if spec['max_connections'] is None:
        max_connections = DEFAULT_MAX_CONNECTIONS[profile]
        tuned['max_connections'] = (max_connections, 'pgtune: default for the %s profile' % profile)
    else:
        max_connections = spec['max_connections']
        tuned['max_connections'] = (max_connections, 'pgtune: max_connections as given')

    shared_buffers = mem_kb // 4
    tuned['shared_buffers'] = (format_memory(shared_buffers), 'pgtune: RAM/4 (%s)' % profile)
    tuned['effective_cache_size'] = (format_memory(mem_kb * 3 // 4), 'pgtune: RAM*3/4')

    divisor = 8 if profile == 'dw' else 16
    maintenance_work_mem = mem_kb // divisor
    source = 'pgtune: RAM/%d (%s)' % (divisor, profile)
    if maintenance_work_mem > MAINTENANCE_WORK_MEM_CAP:
        maintenance_work_mem = MAINTENANCE_WORK_MEM_CAP
        source += ', capped at 8GB'
    tuned['maintenance_work_mem'] = (format_memory(maintenance_work_mem), source)

    tuned['checkpoint_completion_target'] = ('0.9', 'pgtune: fixed 0.9')
    tuned['wal_buffers'] = (format_memory(_wal_buffers(shared_buffers)), 'pgtune: 3% of shared_buffers, max 16MB')
    tuned['default_statistics_target'] = (500 if profile == 'dw' else 100, 'pgtune: %s profile' % profile)
    tuned['random_page_cost'] = (RANDOM_PAGE_COST[storage], 'pgtune: %s storage' % storage)
    tuned['effective_io_concurrency'] = (EFFECTIVE_IO_CONCURRENCY[storage], 'pgtune: %s storage' % storage)
    min_wal, max_wal = WAL_SIZES[profile]
    tuned['min_wal_size'] = (format_memory(min_wal), 'pgtune: %s profile' % profile)
    tuned['max_wal_size'] = (format_memory(max_wal), 'pgtune: %s profile' % profile)

    parallel = _parallel(cpus, profile, major)
    tuned.update(parallel)

    if parallel:
        workers, workers_label = cpus, '%d worker processes' % cpus
    else:
        workers, workers_label = DEFAULT_WORKER_PROCESSES, '%d default worker processes' % DEFAULT_WORKER_PROCESSES
    work_mem = (mem_kb - shared_buffers) // ((max_connections + workers) * 3)
    source = 'pgtune: (RAM - shared_buffers) / ((%d connections + %s) * 3)' % (max_connections, workers_label)
    if profile in ('dw', 'mixed'):
        # pgtune halves the unrounded quotient; floor(floor(x) / 2) == floor(x / 2).
        work_mem //= 2
        source += ' / 2 (%s)' % profile
    if work_mem < WORK_MEM_MIN:
        work_mem = WORK_MEM_MIN
        source += ', raised to the 4MB minimum'
    tuned['work_mem'] = (format_memory(work_mem), source)

    if shared_buffers >= HUGE_PAGES_THRESHOLD:
        tuned['huge_pages'] = ('try', 'pgtune: shared_buffers >= 2GB')
    else:
        tuned['huge_pages'] = ('off', 'pgtune: shared_buffers < 2GB')

    if major >= 12 and profile != 'dw':
        tuned['jit'] = ('off', 'pgtune: JIT off for %s on PostgreSQL >= 12' % profile)

    if major >= 15:
        tuned['wal_compression'] = ('lz4', 'pgtune: lz4 on PostgreSQL >= 15')
    else:
        tuned['wal_compression'] = ('on', 'pgtune: pglz on PostgreSQL 10-14')

    if cpus >= 32:
        tuned['autovacuum_max_workers'] = (5, 'pgtune: 5 from 32 CPUs')
    elif cpus >= 16:
        tuned['autovacuum_max_workers'] = (4, 'pgtune: 4 from 16 CPUs')

    if maintenance_work_mem >= AUTOVACUUM_WORK_MEM_CAP:
        tuned['autovacuum_work_mem'] = (format_memory(AUTOVACUUM_WORK_MEM_CAP), 'pgtune: maintenance_work_mem >= 2GB, capped at 2GB')

    for name, value in spec['overrides'].items():
        tuned[name] = (value, OVERRIDE_SOURCE)

    names = sorted(tuned)
    return {
        'settings': dict((name, str(tuned[name][0])) for name in names),
        'sources': dict((name, tuned[name][1]) for name in names),
        'warnings': _warnings(spec['mem_bytes']),
    }
