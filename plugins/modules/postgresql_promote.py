#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: postgresql_promote
short_description: Promote a PostgreSQL standby and wait until it accepts writes
version_added: 0.1.0
description:
  - Promotes the local standby with C(pg_promote()) and waits until it is out of recovery and a write
    transaction (C(pg_current_xact_id())) succeeds.
  - Does nothing on a server that is already a primary (idempotent). Refuses when the server is not running.
  - Removes the standby settings file O(standby_conf_file) after the promotion, so a restart does not carry
    the old C(primary_conninfo).
  - This module does not fence the old primary; the calling playbook must make sure it no longer accepts writes
    (see C(playbooks/failover.yml)).
options:
  timeout:
    description: Seconds to wait for the promotion and the first write.
    type: int
    default: 60
  standby_conf_file:
    description: Standby settings file written by M(groundwork.stack.postgresql_standby), removed after a promotion.
    type: path
extends_documentation_fragment:
  - groundwork.stack.postgres
attributes:
  check_mode:
    description: Reports whether it would promote.
    support: full
  diff_mode:
    description: Not supported.
    support: none
seealso:
  - module: groundwork.stack.postgresql_standby
  - module: groundwork.stack.postgresql_replication_info
author:
  - groundwork.stack maintainers (@groundwork)
'''

EXAMPLES = r'''
- name: Promote this standby
  become: true
  become_user: postgres
  groundwork.stack.postgresql_promote:
    timeout: 60
    standby_conf_file: /etc/postgresql/17/main/conf.d/95-groundwork-standby.conf
'''

RETURN = r'''
action:
  description: C(promote) or C(none).
  returned: always
  type: str
  sample: promote
reason:
  description: Why.
  returned: always
  type: str
  sample: the server is a standby
timeline:
  description: Timeline of the server after the run.
  returned: always
  type: int
  sample: 2
seconds:
  description: Seconds from the promotion request until a write succeeded.
  returned: always
  type: float
  sample: 1.2
'''

import os
import time

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native
from ansible_collections.groundwork.stack.plugins.module_utils.postgres import (
    DatabaseError,
    connect,
    postgres_argument_spec,
)
from ansible_collections.groundwork.stack.plugins.module_utils.replication import plan_promote


def argument_spec():
    return postgres_argument_spec(
        timeout=dict(type='int', default=60),
        standby_conf_file=dict(type='path'),
    )


def one(cursor, sql, params=None):
    cursor.execute(sql, params)
    return cursor.fetchone()[0]


TIMELINE_QUERY = (
    "SELECT CASE WHEN pg_catalog.pg_is_in_recovery() "
    "THEN (SELECT timeline_id FROM pg_catalog.pg_control_checkpoint()) "
    "ELSE ('x' || substr(pg_catalog.pg_walfile_name(pg_catalog.pg_current_wal_lsn()), 1, 8))::bit(32)::int END")


def timeline(cursor):
    """The server's current timeline (on a primary from its WAL file name: the checkpoint may lag a promotion)."""
    return one(cursor, TIMELINE_QUERY)


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    params = module.params
    # A server that is down is reported by connect(): "not running" is a refusal too.
    conn = connect(module, autocommit=True, application_name='groundwork.stack.postgresql_promote')
    cursor = conn.cursor()
    in_recovery = one(cursor, 'SELECT pg_catalog.pg_is_in_recovery()')
    decision = plan_promote({'running': True, 'in_recovery': in_recovery})
    result = dict(action=decision['action'], reason=decision['reason'], seconds=0.0)
    if decision['action'] == 'none' or module.check_mode:
        result['timeline'] = timeline(cursor)
        module.exit_json(changed=decision['action'] != 'none', **result)

    started = time.time()
    deadline = started + params['timeout']
    try:
        one(cursor, 'SELECT pg_catalog.pg_promote(true, %(seconds)s)', {'seconds': max(params['timeout'], 1)})
        while True:
            try:
                if not one(cursor, 'SELECT pg_catalog.pg_is_in_recovery()'):
                    one(cursor, 'SELECT pg_catalog.pg_current_xact_id()::text')
                    break
            except DatabaseError as e:
                if time.time() >= deadline:
                    raise e
            if time.time() >= deadline:
                module.fail_json(msg='the server did not accept writes within %ds of the promotion' % params['timeout'])
            time.sleep(0.2)
    except DatabaseError as e:
        module.fail_json(msg='promotion failed: %s' % to_native(e).strip())
    result['seconds'] = round(time.time() - started, 3)
    result['timeline'] = timeline(cursor)
    conn.close()
    if params['standby_conf_file'] and os.path.exists(params['standby_conf_file']):
        os.unlink(params['standby_conf_file'])
    module.exit_json(changed=True, **result)


if __name__ == '__main__':
    main()
