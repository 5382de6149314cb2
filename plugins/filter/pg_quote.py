# -*- coding: utf-8 -*-
# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: pg_quote
author: groundwork.stack maintainers
version_added: 0.1.0
short_description: Quote a value as a postgresql.conf string literal
description:
  - Returns the value in single quotes, escaped the way PostgreSQL's
    configuration file scanner reads it back (C(guc-file.l)) - backslashes
    doubled, single quotes doubled, line breaks written as C(\n) and C(\r) -
    so that a quote or a backslash in a path, a C(search_path) or an
    C(application_name) cannot end the string early.
  - Booleans become C('on') or C('off'); other values are quoted as their text.
  - The same function as the C(postgresql_standby) module uses for C(primary_conninfo).
options:
  _input:
    description: The setting's value.
    type: raw
    required: true
"""

EXAMPLES = r"""
- name: Render a setting
  ansible.builtin.debug:
    msg: "search_path = {{ '\"$user\", public' | groundwork.stack.pg_quote }}"  # '"$user", public'
"""

RETURN = r"""
_value:
  description: The quoted literal, quotes included.
  type: string
"""

from ansible_collections.groundwork.stack.plugins.module_utils.replication import quote_setting


def pg_quote(value):
    """Filter: a postgresql.conf string literal."""
    if isinstance(value, bool):
        value = 'on' if value else 'off'
    return quote_setting(value)


class FilterModule(object):
    """postgresql.conf quoting."""

    def filters(self):
        return {'pg_quote': pg_quote}
