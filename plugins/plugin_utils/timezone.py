# -*- coding: utf-8 -*-
# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure helpers to validate IANA time zone names on the controller."""

from __future__ import annotations

import re

# Area/Location[/Sub] with the characters the tz database uses; no '..'.
_TZ_NAME_RE = re.compile(r'[A-Za-z][A-Za-z0-9_+\-]*(/[A-Za-z0-9_+\-]+){0,2}')

# Files of the tz database directory that are not zones a host should use.
_NOT_ZONES = frozenset(('localtime', 'posixrules', 'Factory', 'posix', 'right', 'leapseconds', 'tzdata.zi'))


def is_well_formed(name):
    """Return True when ``name`` has the shape of a tz database name."""
    if not isinstance(name, str) or len(name) > 64:
        return False
    if name in _NOT_ZONES or name.split('/')[0] in ('posix', 'right'):
        return False
    return _TZ_NAME_RE.fullmatch(name) is not None


def known_zones():
    """Return the zones the controller's tz database knows, or an empty set."""
    try:
        import zoneinfo
    except ImportError:  # Python < 3.9 on the controller
        return set()
    try:
        return set(z for z in zoneinfo.available_timezones() if is_well_formed(z))
    except Exception:  # pragma: no cover - broken tz installation
        return set()


def is_valid_timezone(name, zones=None):
    """True when ``name`` is well formed and, if a tz database is available, known to it.

    ``zones`` is injectable for tests; by default the controller's database is
    used, and without one only the shape of the name is checked.
    """
    if not is_well_formed(name):
        return False
    if zones is None:
        zones = known_zones()
    if not zones:
        return True
    return name in zones
