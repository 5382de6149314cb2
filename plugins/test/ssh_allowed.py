# -*- coding: utf-8 -*-
# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: ssh_allowed
author: groundwork.stack maintainers
version_added: 0.1.0
short_description: Test whether ufw rules let an address reach SSH
description:
  - True when one of the rules (output of C(groundwork.stack.ufw_rules)) allows or
    rate-limits incoming TCP to O(port) from O(address). The ufw role uses it to
    refuse a rule set that would shut out the controller before changing anything.
options:
  _input:
    description: The rules.
    type: list
    elements: dict
    required: true
  address:
    description: The address the controller connects from.
    type: string
    required: true
  port:
    description: The SSH port.
    type: int
    default: 22
"""

EXAMPLES = r"""
- name: Refuse rules that shut the controller out
  ansible.builtin.assert:
    that: __ufw_rules is groundwork.stack.ssh_allowed('192.0.2.10', 22)
"""

RETURN = r"""
_value:
  description: Whether SSH from the address is allowed.
  type: boolean
"""

from ansible_collections.groundwork.stack.plugins.plugin_utils.ufw import allows_ssh_from


def ssh_allowed(rules, address, port=22):
    """Jinja2 test: ``rules is groundwork.stack.ssh_allowed(address, port)``."""
    return allows_ssh_from(rules, address, port)


class TestModule(object):
    """ufw tests."""

    def tests(self):
        return {'ssh_allowed': ssh_allowed}
