# -*- coding: utf-8 -*-
# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: memory_plan
author: groundwork.stack maintainers
version_added: 0.1.0
short_description: How much of a host's RAM PostgreSQL, Redis and the ASGI apps may plan for
description:
  - One plan per host for the parts it runs (by its inventory groups C(postgres), C(redis) and C(app)).
  - A part alone on its host keeps its own share (PostgreSQL 100 %, Redis 50 %, the apps 50 %). On a host
    that runs more than one, each part gets its shared share (40 %, 15 %, 30 %, or C(groundwork_memory_shares))
    unless its own variable sets it.
  - The postgresql, redis and uvicorn_service roles size themselves from it; the base role's checks refuse a
    plan whose parts add up to more than the host's RAM.
options:
  _input:
    description: The host's RAM in MB (C(ansible_facts.memtotal_mb)).
    type: int
    required: true
  host:
    description: The host's inventory name.
    type: str
    required: true
  groups:
    description: C(groups).
    type: dict
    required: true
  settings:
    description:
      - The variables that set a part explicitly, where defined (C(postgresql_memory_budget), C(redis_maxmemory),
        C(redis_maxmemory_percent), C(uvicorn_service_memory_budget_mb)); missing or empty ones are planned.
    type: dict
    default: {}
  shares:
    description: C(groundwork_memory_shares), percent of RAM per part on a shared host.
    type: dict
    default: {}
  part:
    description: A part that counts as run on the host whatever its groups say (the role asking runs it).
    type: str
    choices: [postgresql, redis, apps]
"""

EXAMPLES = r"""
redis_maxmemory_bytes: >-
  {{ (ansible_facts['memtotal_mb'] | groundwork.stack.memory_plan(inventory_hostname, groups,
      {'redis_maxmemory': redis_maxmemory}, groundwork_memory_shares | default({}), 'redis')).bytes.redis }}
"""

RETURN = r"""
_value:
  description:
    - C(parts) (the parts the host runs), C(shared), C(bytes) (per part), C(source) (per part, the variable
      or share that set it), C(planned) (the sum, bytes) and C(problems) (messages; empty when the plan fits).
  type: dict
"""

from ansible_collections.groundwork.stack.plugins.plugin_utils.memory import MIB, plan


def memory_plan(memtotal_mb, host, groups, settings=None, shares=None, part=None):
    """Filter: the memory plan of ``host``."""
    return plan(int(memtotal_mb) * MIB, host, groups, settings, shares, part)


class FilterModule(object):
    """Memory plan filter."""

    def filters(self):
        return {'memory_plan': memory_plan}
