# -*- coding: utf-8 -*-
# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: pg_tune
author: groundwork.stack maintainers
version_added: 0.1.0
short_description: Compute postgresql.conf tuning the way pgtune does
description:
  - Computes memory, checkpoint, planner, parallelism and autovacuum settings
    for PostgreSQL from a memory budget, the number of CPUs, a workload
    profile and the storage type, with the formulas of pgtune
    (U(https://github.com/le0pard/pgtune)) for Linux.
  - Sizes are rendered with the largest unit that divides them exactly
    (C(1GB), C(256MB), C(5041kB)), like pgtune's output.
  - Overrides replace computed settings or add settings pgtune does not
    compute. An overridden C(max_connections) is also used to size C(work_mem).
  - Every returned setting comes with a short explanation of where its value
    came from, for a comment next to it in C(postgresql.conf).
  - Fails naming the field when the input is invalid.
options:
  _input:
    description:
      - A dictionary with these keys.
      - C(mem_bytes) (integer, required) is the memory PostgreSQL may plan for, in bytes.
      - C(cpus) (integer >= 1, required) is the number of CPUs.
      - C(profile) (required) is the workload, one of C(web), C(oltp), C(dw) or C(mixed).
      - C(storage) is one of C(ssd), C(nvme), C(hdd) or C(san); defaults to C(ssd).
      - C(max_connections) (integer >= 1) defaults, when missing or C(None), to the
        profile's value (web 200, oltp 300, dw 40, mixed 100).
      - C(major) is the PostgreSQL major version (integer >= 10); defaults to C(17).
      - C(overrides) is a dictionary of setting name to value (string, number or
        boolean; booleans become C(on)/C(off)); defaults to C({}).
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Compute the tuning for the host's RAM
  ansible.builtin.set_fact:
    postgresql_tuned: >-
      {{ {'mem_bytes': ansible_facts['memtotal_mb'] * 1048576,
          'cpus': ansible_facts['processor_vcpus'],
          'profile': 'web',
          'storage': 'ssd',
          'max_connections': None,
          'major': 17,
          'overrides': {'log_min_duration_statement': 1000}} | groundwork.stack.pg_tune }}

# postgresql_tuned.settings.shared_buffers is e.g. '1GB' and
# postgresql_tuned.sources.shared_buffers 'pgtune: RAM/4 (web)'.
- name: Render the settings
  ansible.builtin.debug:
    msg: "{{ item.key }} = {{ item.value }}  # {{ postgresql_tuned.sources[item.key] }}"
  loop: "{{ postgresql_tuned.settings | dict2items }}"
"""

RETURN = r"""
_value:
  description:
    - C(settings) maps each setting name to its value as a postgresql.conf string.
    - >-
      C(sources) maps the same names to where each value came from, for example
      "pgtune: RAM/4 (web)" or "override (postgresql_settings)".
    - C(warnings) lists sanity warnings (a memory budget below 256MB or above
      100GB, where pgtune's formulas are not meant to be used); it may be empty.
    - Keys of C(settings) and C(sources) are in sorted order.
  type: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.groundwork.stack.plugins.plugin_utils import pgtune


def pg_tune(value):
    """Jinja2 filter: ``{{ spec | groundwork.stack.pg_tune }}``."""
    try:
        return pgtune.pg_tune(value)
    except ValueError as e:
        raise AnsibleFilterError('pg_tune: %s' % e, orig_exc=e) from e


class FilterModule(object):
    """PostgreSQL tuning filters."""

    def filters(self):
        return {'pg_tune': pg_tune}
