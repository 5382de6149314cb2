#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: postgresql_replication_info
short_description: Report a PostgreSQL server's replication role, timeline, upstream, replicas, lag and slots
version_added: 0.1.0
description:
  - Reads, without changing anything, whether the server is a primary or a standby, its timeline and system
    identifier, its upstream (on a standby), the replicas streaming from it with their sent/flush/replay positions
    and lag in bytes and seconds, and its replication slots with the WAL they retain.
extends_documentation_fragment:
  - groundwork.stack.postgres
attributes:
  check_mode:
    description: Read-only; runs the same in check mode.
    support: full
  diff_mode:
    description: Not supported.
    support: none
seealso:
  - module: groundwork.stack.postgresql_standby
  - module: groundwork.stack.postgresql_promote
author:
  - groundwork.stack maintainers (@groundwork)
'''

EXAMPLES = r'''
- name: Read the replication state
  become: true
  become_user: postgres
  groundwork.stack.postgresql_replication_info:
  register: replication

- name: Show the lag of each replica
  ansible.builtin.debug:
    msg: "{{ replication.replicas | items2dict(key_name='application_name', value_name='lag_bytes') }}"
'''

RETURN = r'''
role:
  description: C(primary) or C(standby).
  returned: always
  type: str
  sample: primary
timeline:
  description: Current timeline.
  returned: always
  type: int
  sample: 1
system_identifier:
  description: Database system identifier (the same on a primary and all its standbys).
  returned: always
  type: str
  sample: "7440001234567890123"
current_lsn:
  description: Current WAL write position (primary only, null on a standby).
  returned: always
  type: str
  sample: 0/3000148
upstream:
  description: On a standby, its wal receiver (host, port, status, slot_name, receive_lsn, replay_lsn, lag_bytes, replay_age_seconds); null on a primary.
  returned: always
  type: dict
replicas:
  description: Replicas streaming from this server (application_name, client_addr, state, sync_state, sent/flush/replay_lsn, lag_bytes, replay_lag_seconds).
  returned: always
  type: list
  elements: dict
slots:
  description: Physical replication slots (slot_name, active, restart_lsn, wal_status, retained_bytes).
  returned: always
  type: list
  elements: dict
'''

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.groundwork.stack.plugins.module_utils.postgres import (
    connect,
    dict_cursor,
    postgres_argument_spec,
)
from ansible_collections.groundwork.stack.plugins.module_utils.replication import summarize_replication

STATUS_QUERY = """
SELECT pg_catalog.pg_is_in_recovery() AS in_recovery,
       (SELECT system_identifier::text FROM pg_catalog.pg_control_system()) AS system_identifier,
       CASE WHEN pg_catalog.pg_is_in_recovery()
            THEN COALESCE((SELECT received_tli FROM pg_catalog.pg_stat_wal_receiver),
                          (SELECT timeline_id FROM pg_catalog.pg_control_checkpoint()))
            ELSE ('x' || substr(pg_catalog.pg_walfile_name(pg_catalog.pg_current_wal_lsn()), 1, 8))::bit(32)::int
       END AS timeline,
       CASE WHEN pg_catalog.pg_is_in_recovery() THEN NULL ELSE pg_catalog.pg_current_wal_lsn()::text END AS current_lsn,
       pg_catalog.pg_last_wal_receive_lsn()::text AS receive_lsn,
       pg_catalog.pg_last_wal_replay_lsn()::text AS replay_lsn,
       EXTRACT(epoch FROM now() - pg_catalog.pg_last_xact_replay_timestamp())::float AS replay_age_seconds
"""

REPLICAS_QUERY = """
SELECT application_name, host(client_addr) AS client_addr, state, sync_state,
       sent_lsn::text, flush_lsn::text, replay_lsn::text,
       EXTRACT(epoch FROM replay_lag)::float AS replay_lag_seconds
FROM pg_catalog.pg_stat_replication ORDER BY application_name
"""

SLOTS_QUERY = """
SELECT slot_name, active, restart_lsn::text, wal_status
FROM pg_catalog.pg_replication_slots WHERE slot_type = 'physical' ORDER BY slot_name
"""

RECEIVER_QUERY = """
SELECT status, sender_host, sender_port, slot_name FROM pg_catalog.pg_stat_wal_receiver
"""


def argument_spec():
    return postgres_argument_spec()


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    conn = connect(module, autocommit=True, application_name='groundwork.stack.postgresql_replication_info')
    cursor = dict_cursor(conn)
    cursor.execute(STATUS_QUERY)
    status = dict(cursor.fetchone())
    cursor.execute(REPLICAS_QUERY)
    replicas = [dict(row) for row in cursor.fetchall()]
    cursor.execute(SLOTS_QUERY)
    slots = [dict(row) for row in cursor.fetchall()]
    cursor.execute(RECEIVER_QUERY)
    receiver = cursor.fetchone()
    conn.close()
    module.exit_json(changed=False, **summarize_replication(status, replicas, slots, dict(receiver) if receiver else None))


if __name__ == '__main__':
    main()
