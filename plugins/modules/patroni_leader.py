#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: patroni_leader
short_description: Hand a Patroni cluster's leadership to a member (switchover), or force a failover when none leads
version_added: 0.2.0
description:
  - Reads the cluster (C(GET /cluster)) from the first member in O(endpoints) that answers, and decides.
  - With O(action=switchover), a running leader hands over to O(candidate) (C(POST /switchover) to the leader's
    REST API). Patroni shuts the leader down cleanly, so the candidate has all of its WAL before it is promoted,
    and the old leader follows the new one. Nothing is done when O(candidate) leads already. Refused, with the
    reason, when no leader runs or the candidate does not stream from it on its timeline.
  - With O(action=failover), nothing is done while a leader runs (Patroni has failed over by itself, or had no
    need to), and the result says so. Only when none runs (a cluster in maintenance mode, say) is a failover
    forced (C(POST /failover)) to O(candidate), or to the running member with the least lag.
  - After a change, waits until the member asked for is the running leader, for at most O(wait) seconds.
  - The change needs the REST API's user and password and, when the API checks clients, a client certificate.
attributes:
  check_mode:
    description: Reports the decision and sends nothing.
    support: full
  diff_mode:
    description: Not supported.
    support: none
options:
  action:
    description: C(switchover) (planned, from a running leader) or C(failover) (only when no leader runs).
    type: str
    choices: [switchover, failover]
    required: true
  candidate:
    description:
      - The member to lead. Required for a switchover; for a failover, the running member with the least lag
        when not given.
    type: str
  timeout:
    description: Seconds to wait for each request (a switchover request waits for Patroni to carry it out).
    type: int
    default: 60
  wait:
    description: Seconds to wait, after the change, for the member asked for to be the running leader.
    type: int
    default: 90
extends_documentation_fragment:
  - groundwork.stack.patroni_rest
  - groundwork.stack.patroni_rest.credentials
seealso:
  - module: groundwork.stack.patroni_cluster_info
author:
  - groundwork.stack maintainers (@groundwork)
'''

EXAMPLES = r'''
- name: Switch over to db2
  groundwork.stack.patroni_leader:
    action: switchover
    candidate: db2
    endpoints: [https://10.0.0.11:8008, https://10.0.0.12:8008, https://10.0.0.13:8008]
    ca_path: /etc/patroni/tls/ca.crt
    client_cert: /etc/patroni/tls/patroni.crt
    client_key: /etc/patroni/tls/patroni.key
    password: "{{ patroni_restapi_password }}"
'''

RETURN = r'''
leader:
  description: The running leader at the end (the candidate after a change).
  returned: success
  type: str
previous_leader:
  description: The running leader before, or null when none ran.
  returned: success
  type: str
timeline:
  description: The leader's timeline at the end.
  returned: success
  type: int
message:
  description: What was done and why (or would be, in check mode).
  returned: always
  type: str
seconds:
  description: Time from the request until the candidate led.
  returned: when changed and not in check mode
  type: float
'''

import time

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native
from ansible_collections.groundwork.stack.plugins.module_utils.patroni import leader_change_plan, summarize_cluster
from ansible_collections.groundwork.stack.plugins.module_utils.patroni_rest import ask_members, error_text, first_answer, request, rest_argument_spec


def argument_spec():
    return dict(
        rest_argument_spec(credentials=True),
        action=dict(type='str', required=True, choices=['switchover', 'failover']),
        candidate=dict(type='str'),
        timeout=dict(type='int', default=60),
        wait=dict(type='int', default=90),
    )


def _summary(module):
    endpoint, document = ask_members(module, '/cluster')
    try:
        return summarize_cluster(document)
    except ValueError as error:
        module.fail_json(msg='%s answered: %s' % (endpoint, to_native(error)))
    return None


def _api_base(summary, name):
    """A member's REST API base URL, from its api_url in /cluster (https://host:port/patroni)."""
    for member in summary['members']:
        if member['name'] == name and member['api_url']:
            return member['api_url'].rsplit('/', 1)[0]
    return None


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True,
                           required_together=[('client_cert', 'client_key')],
                           required_if=[('action', 'switchover', ['candidate'])])
    params = module.params
    if not params['endpoints']:
        module.fail_json(msg='endpoints: at least one REST API URL is required')
    before = _summary(module)
    try:
        plan = leader_change_plan(before, params['action'], params['candidate'])
    except ValueError as error:
        module.fail_json(msg='%s refused: %s' % (params['action'], to_native(error)))
    result = dict(previous_leader=before['leader'], message=plan['message'])
    if not plan['change'] or module.check_mode:
        module.exit_json(changed=plan['change'], leader=plan['candidate'] if plan['change'] else before['leader'],
                         timeline=before['timeline'], **result)
    # A switchover goes to the leader's API (Patroni's own client, patronictl, does so); a failover to the
    # member that answered, since no leader runs.
    if plan['leader']:
        targets = [_api_base(before, plan['leader'])] + list(params['endpoints'])
        body = {'leader': plan['leader'], 'candidate': plan['candidate']}
        path = '/switchover'
    else:
        targets = list(params['endpoints'])
        body = {'candidate': plan['candidate']}
        path = '/failover'
    started = time.time()
    errors = []
    for base in [t for t in targets if t]:
        try:
            request(module, base.rstrip('/') + path, method='POST', body=body,
                    credentials=(params['username'], params['password']), raw=True)
            break
        except Exception as error:  # pylint: disable=broad-except  # any failure: the next member, or fail
            errors.append('%s%s: %s' % (base, path, error_text(error)))
            # Patroni's refusal (412 and the like) is final: another member would say the same.
            if getattr(error, 'code', None) is not None:
                module.fail_json(msg='%s refused by Patroni: %s' % (params['action'], '; '.join(errors)), **result)
    else:
        module.fail_json(msg='no Patroni REST API took the %s: %s' % (params['action'], '; '.join(errors)), **result)
    deadline = started + params['wait']
    while True:
        # A member may not answer for a moment while it restarts: asked again at the next turn.
        endpoint, document = first_answer(module, '/cluster')
        try:
            now = summarize_cluster(document) if endpoint else None
        except ValueError:
            now = None
        if now is not None and now['leader'] == plan['candidate']:
            module.exit_json(changed=True, leader=now['leader'], timeline=now['timeline'],
                             seconds=round(time.time() - started, 1), **result)
        if time.time() > deadline:
            module.fail_json(msg='%s sent, but %s does not lead after %d s (the leader: %s)'
                             % (params['action'], plan['candidate'], params['wait'],
                                now['leader'] if now else 'unknown'), **result)
        time.sleep(1)


if __name__ == '__main__':
    main()
