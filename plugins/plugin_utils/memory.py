# -*- coding: utf-8 -*-
# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One memory plan for a host: how much of its RAM PostgreSQL, Redis and the ASGI apps may plan for.

A part a host runs alone keeps the share it always had (PostgreSQL all of the RAM, since its budget also
counts the page cache it plans ``effective_cache_size`` from; Redis half, for the fork of its snapshots;
the apps half). On a host that runs two or three of them, each gets its shared share instead (40 %, 15 %,
30 % by default: 15 % left for the kernel, sshd, PgBouncer and the room Redis's fork may take), unless its
own variable sets it. The plan's sum may not exceed the host's RAM (``problems``).
"""

from __future__ import annotations

import re

PARTS = ('postgresql', 'redis', 'apps')
# The inventory group that puts each part on a host (site.yml's plays).
PART_GROUPS = {'postgresql': 'postgres', 'redis': 'redis', 'apps': 'app'}
# Percent of RAM: a part alone on its host, and a part that shares it.
ALONE = {'postgresql': 100, 'redis': 50, 'apps': 50}
SHARED = {'postgresql': 40, 'redis': 15, 'apps': 30}
# The variable that sets each part's memory explicitly.
VARIABLES = {'postgresql': 'postgresql_memory_budget', 'redis': 'redis_maxmemory',
             'apps': 'uvicorn_service_memory_budget_mb'}

MIB = 1024 * 1024
_PG_UNITS = {'': 1, 'K': 1024, 'M': MIB, 'G': 1024 * MIB, 'T': 1024 * 1024 * MIB}
# Redis's own units (redis.conf): k = 1000, kb = 1024, and so on.
_REDIS_UNITS = {'': 1, 'b': 1, 'k': 1000, 'kb': 1024, 'm': 1000 ** 2, 'mb': MIB, 'g': 1000 ** 3, 'gb': 1024 * MIB}


def parts_of(host, groups):
    """The parts ``host`` runs, by its inventory groups, in PARTS order."""
    return [part for part in PARTS if host in (groups.get(PART_GROUPS[part]) or [])]


def postgresql_bytes(value, total):
    """postgresql_memory_budget in bytes: '' is None (planned), 'NN%' a share of ``total``, '4GB' a size
    (K/KB, M/MB, G/GB, T/TB, powers of 1024, as ansible.builtin.human_to_bytes reads them)."""
    value = str(value).strip()
    if value == '':
        return None
    if value.endswith('%'):
        return int(total * float(value[:-1]) / 100)
    match = re.match(r'^([0-9]+) ?([KMGT]?)B?$', value)
    if not match:
        raise ValueError('postgresql_memory_budget: not a size or a share: %r' % value)
    return int(match.group(1)) * _PG_UNITS[match.group(2)]


def redis_bytes(value):
    """redis_maxmemory in bytes: '' is None (planned), otherwise a Redis size ('2gb', '512mb', '100000')."""
    value = str(value).strip()
    if value == '':
        return None
    match = re.match(r'^([0-9]+)([a-z]*)$', value.lower())
    if not match or match.group(2) not in _REDIS_UNITS:
        raise ValueError('redis_maxmemory: not a Redis size: %r' % value)
    return int(match.group(1)) * _REDIS_UNITS[match.group(2)]


def _int(value, default=0):
    try:
        return int(str(value).strip() or default)
    except ValueError:
        return default


def plan(total_bytes, host, groups, settings=None, shares=None, part=None):
    """The memory plan of ``host`` (RAM ``total_bytes``), from its groups and the variables in ``settings``
    (postgresql_memory_budget, redis_maxmemory, redis_maxmemory_percent, uvicorn_service_memory_budget_mb;
    missing or empty ones are planned) and ``shares`` (groundwork_memory_shares: percent per part on a
    shared host, overriding SHARED). ``part``, when given, counts as run here whatever the groups say (the
    role asking runs it).

    Returns parts (run here), shared (more than one), bytes (per part run here), source (per part: the
    variable that set it, or the plan's share), planned (the sum) and problems (messages naming the
    variables; empty when the plan fits)."""
    settings = settings or {}
    total_bytes = int(total_bytes)
    asking = part
    parts = [name for name in PARTS if name in parts_of(host, groups) or name == asking]
    shared = len(parts) > 1
    shares = shares if isinstance(shares, dict) else {}
    share = dict(SHARED, **{k: _int(v) for k, v in shares.items() if k in SHARED}) if shared else ALONE
    result, source, unreadable = {}, {}, []
    for part in parts:
        explicit = None
        try:
            if part == 'postgresql':
                explicit = postgresql_bytes(settings.get('postgresql_memory_budget', ''), total_bytes)
            elif part == 'redis':
                explicit = redis_bytes(settings.get('redis_maxmemory', ''))
        except ValueError:
            # The role's own input check names the bad value; the sum is not checked without it.
            unreadable.append(part)
            continue
        if part == 'redis':
            if explicit is None and _int(settings.get('redis_maxmemory_percent', 0)) > 0:
                percent = _int(settings.get('redis_maxmemory_percent'))
                result[part], source[part] = total_bytes * percent // 100, 'redis_maxmemory_percent (%d %%)' % percent
                continue
        elif part == 'apps' and _int(settings.get('uvicorn_service_memory_budget_mb', 0)) > 0:
            explicit = _int(settings.get('uvicorn_service_memory_budget_mb')) * MIB
        if explicit is not None:
            result[part], source[part] = explicit, VARIABLES[part]
        else:
            result[part] = total_bytes * share[part] // 100
            source[part] = ('groundwork_memory_shares: %d %%' if shared else 'alone on its host: %d %%') % share[part]
    planned = sum(result.values())
    problems = []
    if planned > total_bytes and not unreadable:
        problems.append(
            'memory: %s add up to %d MB, more than the host\'s %d MB: lower one of them (%s), or '
            'groundwork_memory_shares for the planned ones' % (
                ', '.join('%s %d MB (%s)' % (part, result[part] // MIB, source[part]) for part in parts),
                planned // MIB, total_bytes // MIB, ', '.join(VARIABLES[part] for part in parts)))
    return {'parts': parts, 'shared': shared, 'bytes': result, 'source': source, 'planned': planned,
            'problems': problems}
