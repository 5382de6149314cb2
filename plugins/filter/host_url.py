# -*- coding: utf-8 -*-
# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: host_url
author: groundwork.stack maintainers
version_added: 0.1.0
short_description: A URL for a service on an inventory host
description:
  - C(scheme://address:port), the address from P(groundwork.stack.host_address#filter) (facts, else
    C(ansible_host), else the name), an IPv6 address in brackets.
  - For the REST APIs the roles and playbooks call on other hosts (Patroni's, say).
options:
  _input:
    description: Inventory name of the host (or any name or address outside the inventory).
    type: str
    required: true
  hostvars:
    description: C(hostvars).
    type: dict
    required: true
  port:
    description: The service's port.
    type: int
    required: true
  scheme:
    description: The URL's scheme.
    type: str
    default: https
"""

EXAMPLES = r"""
patroni_apis: "{{ groups['postgres'] | map('groundwork.stack.host_url', hostvars, 8008) | list }}"
"""

RETURN = r"""
_value:
  description: A URL such as C(https://10.0.0.5:8008) or C(https://[2001:db8::5]:8008).
  type: str
"""

from ansible_collections.groundwork.stack.plugins.plugin_utils.network import host_url as _host_url


def host_url(host, hostvars, port, scheme='https'):
    """Filter: ``scheme://address:port`` for ``host``."""
    return _host_url(hostvars, host, port, scheme)


class FilterModule(object):
    """Host URL filter."""

    def filters(self):
        return {'host_url': host_url}
