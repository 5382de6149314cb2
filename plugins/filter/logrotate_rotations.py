# -*- coding: utf-8 -*-
# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: logrotate_rotations
author: groundwork.stack maintainers
version_added: 0.1.0
short_description: Rotated files needed to keep a systemd time span of logs
description:
  - Given a retention as a systemd time span (the format of journald's
    C(MaxRetentionSec=), e.g. C(1month), C(2week), C(30d)) and a logrotate
    frequency, returns the C(rotate) count that keeps logs for as long, so that
    file logs and the journal are kept for the same time.
options:
  _input:
    description: The retention, a systemd time span.
    type: string
    required: true
  frequency:
    description: The logrotate frequency.
    type: string
    required: true
    choices: [hourly, daily, weekly, monthly, yearly]
"""

EXAMPLES = r"""
- name: Keep a month of daily rotated logs
  ansible.builtin.debug:
    msg: "rotate {{ '1month' | groundwork.stack.logrotate_rotations('daily') }}"  # rotate 31
"""

RETURN = r"""
_value:
  description: The rotate count, at least 1.
  type: int
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.groundwork.stack.plugins.plugin_utils.timespan import rotations_for


def logrotate_rotations(retention, frequency):
    """Filter: rotate count for a retention at a frequency."""
    try:
        return rotations_for(retention, frequency)
    except ValueError as exc:
        raise AnsibleFilterError('logrotate_rotations: %s' % exc)


class FilterModule(object):
    """logrotate filters."""

    def filters(self):
        return {'logrotate_rotations': logrotate_rotations}
