#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: patroni_config
short_description: Bring a Patroni cluster's dynamic configuration (kept in the DCS) to the settings asked
version_added: 0.2.0
description:
  - Reads the dynamic configuration (C(GET /config)) from the first member in O(endpoints) that answers, compares
    the settings named in O(settings) with it, and sends a C(PATCH /config) with the ones that differ, and only
    then. Settings that O(settings) does not name are left as they are. A value of null removes the setting.
  - Every member applies the new configuration at its next loop. PostgreSQL parameters that take a restart (those
    of context C(postmaster)) leave the members pending restart; they are named in RV(restart_parameters).
  - The write needs the REST API's user and password and, when the API checks clients, a client certificate.
attributes:
  check_mode:
    description: Reports what would change and sends nothing.
    support: full
  diff_mode:
    description: The settings that change, before and after.
    support: full
options:
  settings:
    description:
      - The dynamic configuration asked for, nested as Patroni keeps it (C(ttl), C(loop_wait),
        C(postgresql.parameters.max_connections) and so on; see the example).
    type: dict
    required: true
  timeout:
    description: Seconds to wait for each request.
    type: int
    default: 5
extends_documentation_fragment:
  - groundwork.stack.patroni_rest
  - groundwork.stack.patroni_rest.credentials
seealso:
  - module: groundwork.stack.patroni_cluster_info
author:
  - groundwork.stack maintainers (@groundwork)
'''

EXAMPLES = r'''
- name: Keep the shared settings in etcd as the inventory says
  groundwork.stack.patroni_config:
    endpoints: [https://10.0.0.11:8008, https://10.0.0.12:8008]
    ca_path: /etc/patroni/tls/ca.crt
    client_cert: /etc/patroni/tls/patroni.crt
    client_key: /etc/patroni/tls/patroni.key
    password: "{{ patroni_restapi_password }}"
    settings:
      loop_wait: 2
      postgresql:
        parameters:
          max_connections: 200
  register: dcs
'''

RETURN = r'''
endpoint:
  description: The endpoint that answered.
  returned: always
  type: str
changes:
  description: The settings that differ (setting as a dotted path, before, after), sorted by setting.
  returned: always
  type: list
  elements: dict
  sample: [{setting: postgresql.parameters.max_connections, before: 100, after: 200}]
patch:
  description: The body sent (or, in check mode, that would be sent) to C(PATCH /config); empty when nothing differs.
  returned: always
  type: dict
restart_parameters:
  description: PostgreSQL parameters among the changes that take a restart of every member.
  returned: always
  type: list
  elements: str
config:
  description: The dynamic configuration after the change (as Patroni answered the PATCH), or as read.
  returned: always
  type: dict
'''

import json

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native
from ansible_collections.groundwork.stack.plugins.module_utils.patroni import plan_config, restart_parameters
from ansible_collections.groundwork.stack.plugins.module_utils.patroni_rest import ask_members, request, rest_argument_spec


def argument_spec():
    return dict(
        rest_argument_spec(credentials=True),
        settings=dict(type='dict', required=True),
        timeout=dict(type='int', default=5),
    )


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True,
                           required_together=[('client_cert', 'client_key')])
    endpoint, current = ask_members(module, '/config')
    try:
        patch, changes = plan_config(current, module.params['settings'])
    except ValueError as error:
        module.fail_json(msg=to_native(error))
    result = dict(changed=bool(patch), endpoint=endpoint, changes=changes, patch=patch,
                  restart_parameters=restart_parameters(changes), config=current)
    if module._diff and changes:  # pylint: disable=protected-access
        result['diff'] = {
            'before': ''.join('%s: %s\n' % (c['setting'], json.dumps(c['before'])) for c in changes),
            'after': ''.join('%s: %s\n' % (c['setting'], json.dumps(c['after'])) for c in changes),
        }
    if patch and not module.check_mode:
        try:
            result['config'] = request(module, endpoint.rstrip('/') + '/config', method='PATCH', body=patch,
                                       credentials=(module.params['username'], module.params['password']))
        except Exception as error:  # pylint: disable=broad-except
            module.fail_json(msg='%s refused the change: %s' % (endpoint, to_native(error)), **result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
