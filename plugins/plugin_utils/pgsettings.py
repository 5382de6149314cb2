# -*- coding: utf-8 -*-
# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure helpers for per-database settings (ALTER DATABASE ... SET)."""

from __future__ import annotations


def _current(rows):
    """Map database -> {setting: value} from pg_db_role_setting rows (setrole = 0)."""
    current = {}
    for row in rows or []:
        settings = current.setdefault(row['datname'], {})
        for entry in row.get('setconfig') or []:
            name, sep, value = entry.partition('=')
            if sep:
                settings[name] = value
    return current


def db_settings_diff(databases, rows):
    """Return [database, {'key': name, 'value': value}] pairs whose value differs from the server's.

    ``databases`` are the role's database entries (``name``, ``settings``,
    ``state``); databases that are absent are skipped. Values compare as
    strings, the form PostgreSQL stores them in.
    """
    current = _current(rows)
    changes = []
    for database in databases or []:
        if database.get('state', 'present') != 'present':
            continue
        have = current.get(database['name'], {})
        for name in sorted(database.get('settings') or {}):
            value = database['settings'][name]
            if isinstance(value, bool):
                value = 'on' if value else 'off'
            value = str(value)
            if have.get(name) != value:
                changes.append([database, {'key': name, 'value': value}])
    return changes
