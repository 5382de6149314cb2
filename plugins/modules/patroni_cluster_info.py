#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: patroni_cluster_info
short_description: Report a Patroni cluster's leader, members, timelines, lag and pending restarts
version_added: 0.2.0
description:
  - Asks Patroni's REST API (C(GET /cluster)) of the first member in O(endpoints) that answers, and reports the
    leader, each member's role, state, timeline, lag in bytes and pending restart, and the problems that keep the
    cluster from being healthy (no leader or two, a member not streaming or on another timeline, a member missing,
    lag above O(max_lag_bytes)).
  - Reads only; the health checks of the REST API need no credentials.
attributes:
  check_mode:
    description: Read-only; runs the same in check mode.
    support: full
  diff_mode:
    description: Not supported.
    support: none
options:
  timeout:
    description: Seconds to wait for each endpoint.
    type: int
    default: 5
  expected_members:
    description: Member names that must all be in the cluster (an inventory group); a missing one is a problem.
    type: list
    elements: str
  max_lag_bytes:
    description: A replica lagging more than this many bytes is a problem; no bound if not set.
    type: int
extends_documentation_fragment:
  - groundwork.stack.patroni_rest
seealso:
  - module: groundwork.stack.postgresql_replication_info
author:
  - groundwork.stack maintainers (@groundwork)
'''

EXAMPLES = r'''
- name: Find the leader
  groundwork.stack.patroni_cluster_info:
    endpoints: >-
      {{ groups['postgres'] | map('extract', hostvars, 'ansible_host')
         | map('regex_replace', '^', 'https://') | map('regex_replace', '$', ':8008') }}
    ca_path: /usr/local/share/groundwork-ca.crt
    expected_members: "{{ groups['postgres'] }}"
  register: cluster
  until: cluster.healthy
  retries: 30
  delay: 2
'''

RETURN = r'''
endpoint:
  description: The endpoint that answered.
  returned: always
  type: str
scope:
  description: The cluster's name (Patroni's scope).
  returned: always
  type: str
leader:
  description: Name of the running leader; null if there is none or more than one.
  returned: always
  type: str
timeline:
  description: The leader's timeline; null without a leader.
  returned: always
  type: int
members:
  description: Each member (name, role, state, host, port, api_url, timeline, lag_bytes, pending_restart, tags), by name.
  returned: always
  type: list
  elements: dict
replicas:
  description: Names of the members in a replica role.
  returned: always
  type: list
  elements: str
pending_restart:
  description: Names of the members with settings that wait for a restart.
  returned: always
  type: list
  elements: str
paused:
  description: Whether automatic failover is paused (maintenance mode).
  returned: always
  type: bool
problems:
  description: What keeps the cluster from being healthy, one sentence each.
  returned: always
  type: list
  elements: str
healthy:
  description: One running leader, every other member streaming on its timeline, none missing, lag within the bound.
  returned: always
  type: bool
'''

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native
from ansible_collections.groundwork.stack.plugins.module_utils.patroni import summarize_cluster
from ansible_collections.groundwork.stack.plugins.module_utils.patroni_rest import ask_members, rest_argument_spec


def argument_spec():
    return dict(
        rest_argument_spec(credentials=False),
        timeout=dict(type='int', default=5),
        expected_members=dict(type='list', elements='str'),
        max_lag_bytes=dict(type='int'),
    )


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True,
                           required_together=[('client_cert', 'client_key')])
    if not module.params['endpoints']:
        module.fail_json(msg='endpoints: at least one REST API URL is required')
    endpoint, document = ask_members(module, '/cluster')
    try:
        result = summarize_cluster(document, module.params['expected_members'], module.params['max_lag_bytes'])
    except ValueError as error:
        module.fail_json(msg='%s answered: %s' % (endpoint, to_native(error)))
    module.exit_json(changed=False, endpoint=endpoint, **result)


if __name__ == '__main__':
    main()
