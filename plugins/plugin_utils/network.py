# -*- coding: utf-8 -*-
# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure helpers to validate network values given in inventories."""

from __future__ import annotations

import ipaddress


def is_cidr(value):
    """True for an IPv4/IPv6 network in CIDR form whose host bits are zero (10.1.0.0/16, ::1/128)."""
    if not isinstance(value, str) or '/' not in value:
        return False
    try:
        ipaddress.ip_network(value, strict=True)
    except ValueError:
        return False
    return True


def _ip(value):
    """``value`` as a normalised IP address, or None when it is not one."""
    try:
        return str(ipaddress.ip_address(str(value)))
    except ValueError:
        return None


def _host_vars(hostvars, host):
    try:
        return hostvars[host] if host in hostvars else {}
    except TypeError:
        return {}


def host_ips(hostvars, host, ipv6=False):
    """IP addresses of inventory host ``host``, from what this run knows of it.

    Its facts' default IPv4 address, else its ``ansible_host`` when that is an IP
    address (a host whose facts were not gathered in this run, e.g. under
    ``--limit``); with ``ipv6``, also its facts' default IPv6 address. Empty when
    none is known: callers that build access rules leave such a host out rather
    than guess.
    """
    hv = _host_vars(hostvars, host)
    facts = hv.get('ansible_facts') or {}
    out = []
    first = _ip((facts.get('default_ipv4') or {}).get('address')) or _ip(hv.get('ansible_host'))
    if first:
        out.append(first)
    if ipv6:
        v6 = _ip((facts.get('default_ipv6') or {}).get('address'))
        if v6 and v6 not in out:
            out.append(v6)
    return out


def host_address(hostvars, host):
    """The address to connect to ``host`` at: its facts' default IPv4 address, else its
    ``ansible_host`` (an IP address or a name), else ``host`` itself (which may be a name
    outside the inventory)."""
    ips = host_ips(hostvars, host)
    if ips:
        return ips[0]
    return str(_host_vars(hostvars, host).get('ansible_host') or host)


def host_url(hostvars, host, port, scheme='https'):
    """``scheme://address:port`` for ``host`` (host_address), an IPv6 address in brackets."""
    address = host_address(hostvars, host)
    return '%s://%s:%d' % (scheme, '[%s]' % address if ':' in address else address, int(port))
