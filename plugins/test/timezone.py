# -*- coding: utf-8 -*-
# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: timezone
author: groundwork.stack maintainers
version_added: 0.1.0
short_description: Test whether a string is an IANA time zone name
description:
  - True when the input has the shape of a tz database name and, if the
    controller has a tz database, is one of its zones.
  - Used by roles to reject a bad time zone before changing a host.
options:
  _input:
    description: The time zone name, for example C(Europe/Berlin).
    type: string
    required: true
"""

EXAMPLES = r"""
- name: Refuse an unknown time zone
  ansible.builtin.assert:
    that: base_timezone is groundwork.stack.timezone
"""

RETURN = r"""
_value:
  description: Whether the input is a valid time zone name.
  type: boolean
"""

from ansible_collections.groundwork.stack.plugins.plugin_utils.timezone import is_valid_timezone


def timezone(value):
    """Jinja2 test: ``name is groundwork.stack.timezone``."""
    return is_valid_timezone(value)


class TestModule(object):
    """Time zone tests."""

    def tests(self):
        return {'timezone': timezone}
