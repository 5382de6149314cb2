# -*- coding: utf-8 -*-
# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: host_ips
author: groundwork.stack maintainers
version_added: 0.1.0
short_description: The IP addresses of an inventory host, for access rules
description:
  - The host's default IPv4 address from its facts, else its C(ansible_host) when that is an IP address (a
    host whose facts were not gathered in this run, for example under C(--limit)); with O(ipv6), also its
    default IPv6 address from its facts.
  - Empty when none is known, so that rules built from it (pg_hba, ufw, fail2ban) leave the host out rather
    than guess. For an address to connect to, see P(groundwork.stack.host_address#filter).
options:
  _input:
    description: Inventory name of the host.
    type: str
    required: true
  hostvars:
    description: C(hostvars).
    type: dict
    required: true
  ipv6:
    description: Also return the host's default IPv6 address from its facts.
    type: bool
    default: false
"""

EXAMPLES = r"""
client_addresses: "{{ groups['app'] | map('groundwork.stack.host_ips', hostvars) | flatten | list }}"
admin_addresses: "{{ groups['admin'] | map('groundwork.stack.host_ips', hostvars, ipv6=true) | flatten | list }}"
"""

RETURN = r"""
_value:
  description: IP addresses, IPv4 first; empty when none is known.
  type: list
  elements: str
"""

from ansible_collections.groundwork.stack.plugins.plugin_utils.network import host_ips as _host_ips


def host_ips(host, hostvars, ipv6=False):
    """Filter: the IP addresses of ``host`` known to this run."""
    return _host_ips(hostvars, host, ipv6)


class FilterModule(object):
    """Host IP addresses filter."""

    def filters(self):
        return {'host_ips': host_ips}
