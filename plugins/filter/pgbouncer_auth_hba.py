# -*- coding: utf-8 -*-
# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: pgbouncer_auth_hba
author: groundwork.stack maintainers
version_added: 0.1.0
short_description: pg_hba rules that let PgBouncer's lookup role log in with its certificate
description:
  - Returns one C(hostssl <dbname> <auth_user> <address>/32 cert) rule per PgBouncer host, in the
    form of groundwork.stack.postgresql's C(postgresql_hba_rules). A PgBouncer on the server itself
    connects over loopback (C(127.0.0.1/32)).
  - groundwork.stack.postgresql applies these rules itself (with O(pooled=true)) to the hosts of
    the C(pgbouncer) group, see C(postgresql_pgbouncer_hba); this filter is for other setups.
  - The address of a host comes from its facts (C(default_ipv4)), else from C(ansible_host).
options:
  _input:
    description: Inventory names of the PgBouncer hosts (usually C(groups['pgbouncer'])).
    type: list
    elements: str
    required: true
  hostvars:
    description: C(hostvars).
    type: dict
    required: true
  server_host:
    description: Inventory name of the PostgreSQL server the rules are for (usually C(inventory_hostname)).
    type: str
    required: true
  auth_user:
    description: The lookup role (C(pgbouncer_auth_user)).
    type: str
    default: pgbouncer_auth
  dbname:
    description: Database holding the lookup function (C(pgbouncer_auth_dbname)).
    type: str
    default: postgres
  pooled:
    description:
      - Also return C(hostssl all all <address> scram-sha-256) after each host's C(cert) rule, for the
        databases and users PgBouncer pools.
    type: bool
    default: false
"""

EXAMPLES = r"""
# groundwork.stack.postgresql adds these rules by itself (postgresql_pgbouncer_hba).
# For a PostgreSQL server managed some other way:
pgbouncer_rules: "{{ groups['pgbouncer'] | groundwork.stack.pgbouncer_auth_hba(hostvars, inventory_hostname, pooled=true) }}"
"""

RETURN = r"""
_value:
  description: List of rules with C(type), C(database), C(user), C(address), C(method).
  type: list
  elements: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.groundwork.stack.plugins.plugin_utils.pgbouncer import auth_hba_rules


def pgbouncer_auth_hba(hosts, hostvars, server_host, auth_user='pgbouncer_auth', dbname='postgres', pooled=False):
    """Filter: pg_hba rules for PgBouncer's lookup role (and, with pooled, its pooled connections)."""
    try:
        return auth_hba_rules(hosts, hostvars, server_host, auth_user, dbname, pooled)
    except (TypeError, ValueError) as e:
        raise AnsibleFilterError('pgbouncer_auth_hba: %s' % e)


class FilterModule(object):
    """PgBouncer filters."""

    def filters(self):
        return {'pgbouncer_auth_hba': pgbouncer_auth_hba}
