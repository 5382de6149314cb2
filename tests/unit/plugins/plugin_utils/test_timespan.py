# -*- coding: utf-8 -*-
# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.groundwork.stack.plugins.filter import logrotate_rotations as rotations_filter
from ansible_collections.groundwork.stack.plugins.plugin_utils.timespan import rotations_for, timespan_days


@pytest.mark.parametrize('value, days', [
    ('1d', 1), ('2week', 14), ('2weeks', 14), ('1w 3d', 10), ('12h', 0.5), ('1month', 30.44), ('1y', 365.25),
    ('86400', 1), (86400, 1), ('90min', 90 / 1440.0), ('30 d', 30), ('1.5d', 1.5),
])
def test_timespan_days(value, days):
    assert timespan_days(value) == pytest.approx(days)


@pytest.mark.parametrize('value', ['', 'month', '1 fortnight', '1d x', True, '-1d', None])
def test_timespan_days_rejects(value):
    with pytest.raises(ValueError):
        timespan_days(value)


@pytest.mark.parametrize('retention, frequency, rotate', [
    ('1month', 'daily', 31),   # 30.44 days: a partial day still needs a file
    ('2week', 'daily', 14),
    ('2week', 'weekly', 2),
    ('1month', 'weekly', 5),
    ('1month', 'monthly', 1),
    ('1d', 'hourly', 24),
    ('1h', 'daily', 1),        # never 0: logrotate would keep nothing
    ('1y', 'monthly', 12),
])
def test_rotations_for(retention, frequency, rotate):
    assert rotations_for(retention, frequency) == rotate
    assert rotations_filter.FilterModule().filters()['logrotate_rotations'](retention, frequency) == rotate


@pytest.mark.parametrize('retention, frequency', [('1month', 'fortnightly'), ('soon', 'daily'), ('1month', None)])
def test_rotations_for_rejects(retention, frequency):
    with pytest.raises(ValueError):
        rotations_for(retention, frequency)
    with pytest.raises(AnsibleFilterError, match='logrotate_rotations'):
        rotations_filter.logrotate_rotations(retention, frequency)
