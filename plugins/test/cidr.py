# -*- coding: utf-8 -*-
# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: cidr
author: groundwork.stack maintainers
version_added: 0.1.0
short_description: Test whether a string is a network in CIDR notation
description:
  - True for an IPv4 or IPv6 network written as C(address/prefix) whose host
    bits are zero, for example C(10.20.0.0/16) or C(192.0.2.7/32).
  - A bare address, a prefix out of range or host bits set (C(10.0.0.5/24)) fail,
    so that a typo in a firewall or pg_hba rule is caught before it is applied.
options:
  _input:
    description: The value to test.
    type: string
    required: true
"""

EXAMPLES = r"""
- name: Refuse a malformed network
  ansible.builtin.assert:
    that: item.address is groundwork.stack.cidr
  loop: "{{ postgresql_hba_rules }}"
"""

RETURN = r"""
_value:
  description: Whether the input is a network in CIDR notation.
  type: boolean
"""

from ansible_collections.groundwork.stack.plugins.plugin_utils.network import is_cidr


def cidr(value):
    """Jinja2 test: ``value is groundwork.stack.cidr``."""
    return is_cidr(value)


class TestModule(object):
    """Network tests."""

    def tests(self):
        return {'cidr': cidr}
