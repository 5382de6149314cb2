# -*- coding: utf-8 -*-
# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: ufw_rules
author: groundwork.stack maintainers
version_added: 0.1.0
short_description: The ufw rules a host needs, derived from inventory group membership
description:
  - Builds the rule set of the C(groundwork.stack.ufw) role from a spec holding the
    host's groups, the inventory's groups, the addresses of the source hosts, the
    group rules, extra rules, admin and monitoring networks and the SSH settings.
  - Rules are normalized (C(any) for no restriction, no C(/32) suffix) and
    deduplicated, so that they compare equal to what ufw stores; each carries
    C(args), the parameters of community.general.ufw that add it.
  - Input that cannot become a rule fails with a message naming the variable.
options:
  _input:
    description:
      - The spec, with keys C(inventory_hostname), C(group_names), C(groups),
        C(addresses) (host to list of addresses), C(group_rules), C(extra_rules),
        C(admin_cidrs), C(monitoring_cidrs), C(ssh_port), C(ssh_public), C(ssh_rate_limit).
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Allow what the inventory asks for
  community.general.ufw: "{{ item.args }}"
  loop: "{{ __ufw_spec | groundwork.stack.ufw_rules }}"
"""

RETURN = r"""
_value:
  description: Rules (keys rule, proto, to_port, to_ip, from_port, from_ip, direction, interface, route, log, app, comment, args).
  type: list
  elements: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.groundwork.stack.plugins.plugin_utils.ufw import UfwRuleError, desired_rules


def ufw_rules(spec):
    """Filter: the desired rules of a host."""
    if not isinstance(spec, dict):
        raise AnsibleFilterError('ufw_rules: the spec must be a dict')
    try:
        return desired_rules(spec)
    except UfwRuleError as exc:
        raise AnsibleFilterError(str(exc))


class FilterModule(object):
    """ufw rule filters."""

    def filters(self):
        return {'ufw_rules': ufw_rules}
