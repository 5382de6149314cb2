# -*- coding: utf-8 -*-
# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure helpers for PgBouncer in front of PostgreSQL."""

from __future__ import annotations

import ipaddress
import re

from ansible_collections.groundwork.stack.plugins.plugin_utils.network import host_ips

_ROLE_NAME = re.compile(r'^[a-z_][a-z0-9_]{0,62}$')


def host_address(hostvars, host):
    """IP address of an inventory host (network.host_ips: its facts' default IPv4 address, else ansible_host).

    Raises ValueError when neither is an IP address.
    """
    ips = host_ips(hostvars, host)
    if not ips:
        hv = hostvars.get(host) or {}
        raise ValueError('%s: no IP address (facts default_ipv4 or ansible_host), got %r' % (host, hv.get('ansible_host') or ''))
    return ips[0]


def auth_hba_rules(pgbouncer_hosts, hostvars, server_host, auth_user='pgbouncer_auth', dbname='postgres', pooled=False):
    """pg_hba rules (groundwork.stack.postgresql's postgresql_hba_rules) for PgBouncer.

    One ``hostssl <dbname> <auth_user> <address> cert`` rule per PgBouncer
    host (the lookup role logs in with its certificate); with ``pooled``,
    followed by ``hostssl all all <address> scram-sha-256`` for the
    databases and users it pools (PgBouncer's ``*`` entry: every database,
    every role auth_query returns). A PgBouncer on the server itself
    connects over loopback.
    """
    if not _ROLE_NAME.match(str(auth_user)):
        raise ValueError('auth_user %r is not a plain role name' % (auth_user,))
    if not _ROLE_NAME.match(str(dbname)):
        raise ValueError('dbname %r is not a plain database name' % (dbname,))
    if isinstance(pgbouncer_hosts, str):
        raise TypeError('pgbouncer hosts must be a list of inventory host names, got a string')
    rules = []
    for host in pgbouncer_hosts or []:
        if host == server_host:
            address = '127.0.0.1/32'
        else:
            ip = ipaddress.ip_address(host_address(hostvars, host))
            address = '%s/%d' % (ip, 32 if ip.version == 4 else 128)
        wanted = [{'type': 'hostssl', 'database': dbname, 'user': auth_user, 'address': address, 'method': 'cert'}]
        if pooled:
            wanted.append({'type': 'hostssl', 'database': 'all', 'user': 'all', 'address': address, 'method': 'scram-sha-256'})
        for rule in wanted:
            if rule not in rules:
                rules.append(rule)
    return rules
