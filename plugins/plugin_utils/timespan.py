# -*- coding: utf-8 -*-
# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure helpers for systemd time spans (journald's MaxRetentionSec=) in days."""

from __future__ import annotations

import math
import re

# systemd.time(7) units, in days.
_UNITS = {
    's': 1 / 86400.0, 'sec': 1 / 86400.0, 'second': 1 / 86400.0, 'seconds': 1 / 86400.0,
    'min': 1 / 1440.0, 'minute': 1 / 1440.0, 'minutes': 1 / 1440.0, 'm': 1 / 1440.0,
    'h': 1 / 24.0, 'hr': 1 / 24.0, 'hour': 1 / 24.0, 'hours': 1 / 24.0,
    'd': 1.0, 'day': 1.0, 'days': 1.0,
    'w': 7.0, 'week': 7.0, 'weeks': 7.0,
    'M': 30.44, 'month': 30.44, 'months': 30.44,
    'y': 365.25, 'year': 365.25, 'years': 365.25,
}
_PART_RE = re.compile(r'([0-9]+(?:\.[0-9]+)?) ?([A-Za-z]+)')
# Days between two rotations of each logrotate frequency.
FREQUENCY_DAYS = {'hourly': 1 / 24.0, 'daily': 1, 'weekly': 7, 'monthly': 30.44, 'yearly': 365.25}


def timespan_days(value):
    """Days of a systemd time span such as ``1month``, ``2week``, ``1w 3d`` (a bare number is seconds)."""
    if isinstance(value, bool):
        raise ValueError('%r is not a time span' % (value,))
    if isinstance(value, (int, float)):
        return value / 86400.0
    text = str(value).strip()
    if re.match(r'^[0-9]+$', text):
        return int(text) / 86400.0
    parts = _PART_RE.findall(text)
    if not parts or _PART_RE.sub('', text).strip():
        raise ValueError('%r is not a time span like 1month, 2week or 30d' % (value,))
    total = 0.0
    for number, unit in parts:
        if unit not in _UNITS:
            raise ValueError('%r: unknown time unit %r' % (value, unit))
        total += float(number) * _UNITS[unit]
    return total


def rotations_for(retention, frequency):
    """How many rotated files keep ``retention`` (a time span) of logs rotated at ``frequency`` (at least 1)."""
    if frequency not in FREQUENCY_DAYS:
        raise ValueError('%r is not one of %s' % (frequency, ', '.join(FREQUENCY_DAYS)))
    return max(1, int(math.ceil(round(timespan_days(retention) / FREQUENCY_DAYS[frequency], 6))))
