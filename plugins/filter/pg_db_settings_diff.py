# -*- coding: utf-8 -*-
# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: pg_db_settings_diff
author: groundwork.stack maintainers
version_added: 0.1.0
short_description: Per-database settings that differ from what PostgreSQL has
description:
  - Compares the C(settings) of database entries with rows of
    C(pg_db_role_setting) (columns C(datname), C(setconfig)) and returns the
    pairs to apply with C(ALTER DATABASE ... SET), so that a converged
    database reports no change.
options:
  _input:
    description: Database entries with C(name), optional C(settings) (dict) and C(state).
    type: list
    elements: dict
    required: true
  rows:
    description: Rows of C(SELECT datname, setconfig FROM pg_db_role_setting ... WHERE setrole = 0).
    type: list
    elements: dict
    required: true
"""

EXAMPLES = r"""
- name: Apply per-database settings that differ
  ansible.builtin.debug:
    msg: "{{ item.0.name }}: {{ item.1.key }} = {{ item.1.value }}"
  loop: "{{ postgresql_databases | groundwork.stack.pg_db_settings_diff(current.query_result) }}"
"""

RETURN = r"""
_value:
  description: List of C([database_entry, {key, value}]) pairs, values as strings.
  type: list
  elements: list
"""

from ansible_collections.groundwork.stack.plugins.plugin_utils.pgsettings import db_settings_diff


def pg_db_settings_diff(databases, rows):
    """Filter: the per-database settings to apply."""
    return db_settings_diff(databases, rows)


class FilterModule(object):
    """Per-database settings filters."""

    def filters(self):
        return {'pg_db_settings_diff': pg_db_settings_diff}
