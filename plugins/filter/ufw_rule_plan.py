# -*- coding: utf-8 -*-
# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: ufw_rule_plan
author: groundwork.stack maintainers
version_added: 0.1.0
short_description: The ufw rules to add and to delete so that ufw holds the desired set
description:
  - "Reads ufw's C(### tuple ###) lines (the text of C(/etc/ufw/user.rules) and
    C(user6.rules)), IPv4 and IPv6 copies of one rule counted once, and compares
    them with the desired rules (output of C(groundwork.stack.ufw_rules)); the
    comment does not count."
  - Returns C(add), the desired rules ufw does not have, and C(delete), the rules
    ufw has that are not desired (empty unless O(purge)); each carries C(args),
    the parameters of community.general.ufw that add or delete it.
  - Rules whose comment starts with one of O(preserve_comment_prefixes) are
    never deleted (runtime rules of other tools, such as fail2ban bans).
options:
  _input:
    description: Text holding ufw's tuple lines.
    type: string
    required: true
  desired:
    description: The desired rules.
    type: list
    elements: dict
    required: true
  preserve_comment_prefixes:
    description: Comment prefixes of rules to leave alone.
    type: list
    elements: string
    default: []
  purge:
    description: Whether rules that are not desired are deleted.
    type: bool
    default: true
  ipv6:
    description: Whether ufw filters IPv6; a rule for any address held for IPv4 only then counts as missing.
    type: bool
    default: true
"""

EXAMPLES = r"""
- name: Plan the rule changes
  ansible.builtin.set_fact:
    plan: "{{ rules_text | groundwork.stack.ufw_rule_plan(desired_rules, ['by Fail2Ban'], true, true) }}"
"""

RETURN = r"""
_value:
  description: C(add) and C(delete) lists of rules with their C(args).
  type: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.groundwork.stack.plugins.plugin_utils.ufw import UfwRuleError, plan


def ufw_rule_plan(text, desired, preserve_comment_prefixes=(), purge=True, ipv6=True):
    """Filter: rules to add and to delete."""
    try:
        return plan(text, desired, preserve_comment_prefixes, purge, ipv6)
    except UfwRuleError as exc:
        raise AnsibleFilterError(str(exc))


class FilterModule(object):
    """ufw rule filters."""

    def filters(self):
        return {'ufw_rule_plan': ufw_rule_plan}
