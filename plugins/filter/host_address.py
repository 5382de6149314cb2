# -*- coding: utf-8 -*-
# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: host_address
author: groundwork.stack maintainers
version_added: 0.1.0
short_description: The address to connect to an inventory host at
description:
  - The host's default IPv4 address from its facts, else its C(ansible_host) (an IP address or a name), else
    the name given, which may be a host outside the inventory.
  - The one place the collection's roles turn another host into an address to connect to; for addresses that
    go into access rules (IP addresses only) see P(groundwork.stack.host_ips#filter).
options:
  _input:
    description: Inventory name of the host (or any name or address outside the inventory).
    type: str
    required: true
  hostvars:
    description: C(hostvars).
    type: dict
    required: true
"""

EXAMPLES = r"""
upstream_address: "{{ pgbouncer_upstream_host | groundwork.stack.host_address(hostvars) }}"
web_addresses: "{{ groups['web'] | map('groundwork.stack.host_address', hostvars) | list }}"
"""

RETURN = r"""
_value:
  description: An IP address, or a name when nothing better is known.
  type: str
"""

from ansible_collections.groundwork.stack.plugins.plugin_utils.network import host_address as _host_address


def host_address(host, hostvars):
    """Filter: the address to connect to ``host`` at."""
    return _host_address(hostvars, host)


class FilterModule(object):
    """Host address filter."""

    def filters(self):
        return {'host_address': host_address}
