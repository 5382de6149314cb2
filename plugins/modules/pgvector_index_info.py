#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: pgvector_index_info
short_description: List the pgvector HNSW and IVFFlat indexes of a database
version_added: 0.1.0
description:
  - Lists the indexes of access method C(hnsw) or C(ivfflat) in the database, with their table, columns, operator
    classes, parameters, size, validity and definition.
  - Read-only; works on a hot standby too.
options:
  schema:
    description:
      - Only indexes in this schema.
    type: str
  table:
    description:
      - Only indexes of tables with this name.
    type: str
attributes:
  check_mode:
    description: Reads only, so it runs the same in check mode.
    support: full
  diff_mode:
    description: Returns no diff.
    support: none
notes:
  - Without the C(vector) extension in the database the list is empty.
seealso:
  - module: groundwork.stack.pgvector_index
author:
  - groundwork.stack maintainers (@groundwork)
extends_documentation_fragment:
  - groundwork.stack.postgres
'''

EXAMPLES = r'''
- name: Read the vector indexes of the documents table
  groundwork.stack.pgvector_index_info:
    login_db: app
    table: documents
  register: vector_indexes

- name: Ensure no vector index is INVALID
  ansible.builtin.assert:
    that: vector_indexes.indexes | rejectattr('valid') | list | length == 0
    fail_msg: "INVALID: {{ vector_indexes.indexes | rejectattr('valid') | map(attribute='name') | join(', ') }}"
'''

RETURN = r'''
indexes:
  description: The HNSW and IVFFlat indexes, ordered by schema, table and name.
  returned: always
  type: list
  elements: dict
  contains:
    schema:
      description: Schema of the index.
      type: str
      sample: public
    name:
      description: Name of the index.
      type: str
      sample: docs_hnsw
    table:
      description: Indexed table.
      type: str
      sample: docs
    column:
      description: Indexed column (null for an expression or multi-column index).
      type: str
      sample: embedding
    columns:
      description: Key columns (or expressions) of the index.
      type: list
      elements: str
      sample: [embedding]
    expression:
      description: Whether the index is on an expression rather than a plain column.
      type: bool
      sample: false
    method:
      description: Access method, C(hnsw) or C(ivfflat).
      type: str
      sample: hnsw
    opclass:
      description: Operator class of the key column.
      type: str
      sample: vector_cosine_ops
    opclasses:
      description: Operator classes of all key columns.
      type: list
      elements: str
      sample: [vector_cosine_ops]
    options:
      description: Index storage parameters (C(reloptions)) as a dict, numbers as integers.
      type: dict
      sample: {"m": 16, "ef_construction": 64}
    predicate:
      description: WHERE clause of a partial index, as PostgreSQL renders it; null otherwise.
      type: str
      sample: (tenant_id = 42)
    valid:
      description: False for an INVALID index (an interrupted or failed concurrent build).
      type: bool
      sample: true
    ready:
      description: Whether the index takes inserts.
      type: bool
      sample: true
    size_bytes:
      description: Size of the index on disk.
      type: int
      sample: 81920
    definition:
      description: C(pg_get_indexdef()) of the index.
      type: str
      sample: CREATE INDEX docs_hnsw ON public.docs USING hnsw (embedding vector_cosine_ops)
vector_version:
  description: Version of the C(vector) extension in the database; null when it is not installed.
  returned: always
  type: str
  sample: 0.8.0
'''

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.groundwork.stack.plugins.module_utils.pgvector import (
    EXTENSION_QUERY,
    METHODS,
    VECTOR_INDEXES_QUERY,
    parse_index,
)
from ansible_collections.groundwork.stack.plugins.module_utils.postgres import (
    connect,
    dict_cursor,
    identifier_error,
    postgres_argument_spec,
)


def argument_spec():
    """The module's options: the shared connection options plus the filters."""
    return postgres_argument_spec(
        schema=dict(type='str'),
        table=dict(type='str'),
    )


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    errors = [identifier_error(module.params[option], option) for option in ('schema', 'table') if module.params[option] is not None]
    errors = [error for error in errors if error]
    if errors:
        module.fail_json(msg='; '.join(errors))

    conn = connect(module, autocommit=True, application_name='groundwork.stack.pgvector_index_info')
    cursor = dict_cursor(conn)
    cursor.execute(EXTENSION_QUERY)
    extension = cursor.fetchone()
    cursor.execute(VECTOR_INDEXES_QUERY, {'methods': list(METHODS), 'schema': module.params['schema'], 'table': module.params['table']})
    indexes = [parse_index(row) for row in cursor.fetchall()]
    conn.close()

    module.exit_json(changed=False, indexes=indexes, vector_version=extension['extversion'] if extension else None)


if __name__ == '__main__':
    main()
