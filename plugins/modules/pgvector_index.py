#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: pgvector_index
short_description: Create, drop and rebuild pgvector HNSW and IVFFlat indexes
version_added: 0.1.0
description:
  - Manages one approximate nearest neighbour index (HNSW or IVFFlat) on a pgvector C(vector), C(halfvec) or C(bit) column.
  - Builds the index with C(CREATE INDEX CONCURRENTLY) by default, so reads and writes of the table go on during the build.
  - Compares an existing index with the options (access method, column, operator class, C(m), C(ef_construction),
    C(lists), predicate, table) and rebuilds it when they differ, without blocking reads and writes
    (see O(state) for the sequence).
  - Reports and repairs an INVALID index left by an interrupted concurrent build (drops it concurrently and builds it again).
  - Sets C(maintenance_work_mem) and C(max_parallel_maintenance_workers) for the build session, from the options
    or sized from the table, the host's memory and its CPUs, and returns what it used in RV(build_settings).
options:
  name:
    description:
      - Name of the index. It is created in the schema of its table, O(schema).
      - At most 63 bytes.
    type: str
    required: true
    aliases: [ index ]
  schema:
    description:
      - Schema of the table and of the index.
    type: str
    default: public
  table:
    description:
      - Table (or materialized view) to index. Required with O(state=present) and O(state=rebuilt).
      - With O(state=absent), it is only used to recognise the temporary index of an interrupted rebuild.
    type: str
  column:
    description:
      - Column to index, of type C(vector(n)), C(halfvec(n)) or C(bit(n)) with declared dimensions.
      - Required with O(state=present) and O(state=rebuilt).
    type: str
  method:
    description:
      - Index access method.
      - V(hnsw) has the better speed/recall trade-off and can be built on an empty table; V(ivfflat) builds faster
        and uses less memory, but needs data in the table when it is built.
    type: str
    choices: [ hnsw, ivfflat ]
    default: hnsw
  opclass:
    description:
      - Operator class, that is the distance the index serves; it must match the column type
        (C(vector_*) for C(vector), C(halfvec_*) for C(halfvec), C(bit_*) for C(bit)).
      - V(hnsw) supports all of them. V(ivfflat) supports the C(l2), C(ip) and C(cosine) classes of C(vector) and
        C(halfvec), and V(bit_hamming_ops).
      - Required with O(state=present) and O(state=rebuilt).
    type: str
    choices:
      - vector_l2_ops
      - vector_ip_ops
      - vector_cosine_ops
      - vector_l1_ops
      - halfvec_l2_ops
      - halfvec_ip_ops
      - halfvec_cosine_ops
      - halfvec_l1_ops
      - bit_hamming_ops
      - bit_jaccard_ops
  m:
    description:
      - HNSW only. Maximum number of connections per layer, 2 to 100.
      - Omitted means pgvector's default, 16 (and an index built with another value is rebuilt).
    type: int
  ef_construction:
    description:
      - HNSW only. Size of the candidate list while the graph is built, 4 to 1000, and at least 2 * O(m).
      - Omitted means pgvector's default, 64.
    type: int
  lists:
    description:
      - IVFFlat only. Number of inverted lists, 1 to 32768.
      - Omitted means chosen when the index is built, after pgvector's advice (rows / 1000 up to 1M rows,
        sqrt(rows) above); an existing index then keeps whatever value it has.
    type: int
  predicate:
    description:
      - WHERE clause of a partial index, without the C(WHERE) keyword, for example C(category_id = 123).
      - This is SQL, taken as trusted input from the inventory, not a value. As a guard against mistakes it is
        refused when it holds C(;), C(--), C(/*) or C(*/) outside string literals, or unbalanced parentheses.
      - An existing index whose predicate differs (as PostgreSQL renders it) is rebuilt.
    type: str
  state:
    description:
      - V(present) creates the index, repairs it when INVALID, and rebuilds it when its definition differs.
      - V(absent) drops the index, and the temporary index of an interrupted rebuild when it is on the same table
        (or on O(table), when given).
      - V(rebuilt) rebuilds the index even when it matches (a fresh graph after heavy updates, new IVFFlat centroids);
        this always reports a change.
      - A concurrent rebuild builds the new index under the temporary name C(<name>_gwnew), then runs
        C(DROP INDEX CONCURRENTLY) on the old one and renames the new one to O(name). No step blocks reads or
        writes of the table; between the drop and the rename the index exists only under the temporary name,
        and a run interrupted there is completed by the next run.
    type: str
    choices: [ present, absent, rebuilt ]
    default: present
  concurrently:
    description:
      - Build and drop with C(CONCURRENTLY) (outside a transaction block), so the table stays readable and writable.
      - V(false) builds faster but locks the table against writes during the build, and a rebuild runs
        C(DROP INDEX) and C(CREATE INDEX) in one transaction that also blocks reads. Partitioned tables need V(false).
    type: bool
    default: true
  maintenance_work_mem:
    description:
      - C(maintenance_work_mem) for the build session, for example V(4GB).
      - Omitted means sized automatically, see RV(build_settings) and the notes.
    type: str
  max_parallel_maintenance_workers:
    description:
      - C(max_parallel_maintenance_workers) for the build session (0 to 1024). PostgreSQL may use fewer.
      - Omitted means sized from the CPU count, the table size, C(max_parallel_workers) and the memory.
    type: int
  memory_fraction:
    description:
      - Largest share of the host's memory (C(MemTotal) of C(/proc/meminfo)) the automatic C(maintenance_work_mem) may take,
        more than 0 and at most 0.9.
      - A parallel HNSW build keeps the graph in dynamic shared memory, so C(/dev/shm) must be able to hold it too.
    type: float
    default: 0.25
  progress_log:
    description:
      - File to append the build's progress to while it runs, a line each time it changes (sampled every 2 s from
        C(pg_stat_progress_create_index) over a second connection) - the phase (pgvector's own, such as loading
        tuples or k-means, or a concurrent build's waits and validation), the share of blocks or tuples done, and
        the transactions a concurrent build still waits for.
      - With C(async) and M(groundwork.stack.await_job) reading this file, a long build shows its progress and the
        time left (see the examples).
      - Opened without following a symbolic link, created with mode 0640 by the user the module runs as.
    type: str
attributes:
  check_mode:
    description: Can run in check mode; returns in RV(queries) the statements it would run.
    support: full
  diff_mode:
    description: Returns the index definition before and after.
    support: full
notes:
  - Requires PostgreSQL 12 or later and the C(vector) extension in the database
    (create it with M(community.postgresql.postgresql_ext)). The extension's schema must be on the C(search_path)
    of O(login_user), as the operator classes are named unqualified.
  - The login role must own the table (or be a member of the owning role) to create or drop its indexes.
  - Automatic sizing estimates the HNSW graph pgvector holds in memory while it builds
    (per row about the vector plus 2 * O(m) neighbour candidates of 16 bytes plus 150 bytes of bookkeeping),
    because pgvector's README notes that builds are much faster when the graph fits into C(maintenance_work_mem).
    For IVFFlat it estimates the memory of k-means (which fails the build when C(maintenance_work_mem) is smaller)
    and of sorting the rows. The value is capped at O(memory_fraction) of the host memory and never set below the
    server's setting. Memory and CPUs are read on the host the task runs on; with a remote O(login_host) the
    server's C(maintenance_work_mem) is kept unless O(maintenance_work_mem) is given.
  - The build session also sets C(statement_timeout=0), as a cancelled build leaves an INVALID index behind.
  - A concurrent build waits for transactions running on the table to finish before it starts and before it ends.
seealso:
  - module: groundwork.stack.pgvector_index_info
  - module: community.postgresql.postgresql_ext
  - name: pgvector README, indexing
    description: HNSW and IVFFlat options, build time and memory advice.
    link: https://github.com/pgvector/pgvector#indexing
  - name: Building indexes concurrently
    description: How CREATE INDEX CONCURRENTLY works and what an INVALID index is.
    link: https://www.postgresql.org/docs/current/sql-createindex.html#SQL-CREATEINDEX-CONCURRENTLY
author:
  - groundwork.stack maintainers (@groundwork)
extends_documentation_fragment:
  - groundwork.stack.postgres
'''

EXAMPLES = r'''
- name: Ensure the HNSW cosine index of documents.embedding exists
  become: true
  become_user: postgres
  groundwork.stack.pgvector_index:
    login_db: app
    name: documents_embedding_hnsw
    table: documents
    column: embedding
    method: hnsw
    opclass: vector_cosine_ops
    m: 16
    ef_construction: 128

# A build of hours: run it as a job and show its progress every 30 s (phase, share done, time left).
- name: Note where the build log ends
  ansible.builtin.stat:
    path: /var/log/postgresql/index-build.log
  register: build_log

- name: Start building the HNSW index of documents.embedding
  become: true
  become_user: postgres
  groundwork.stack.pgvector_index:
    login_db: app
    name: documents_embedding_hnsw
    table: documents
    column: embedding
    opclass: vector_cosine_ops
    progress_log: /var/log/postgresql/index-build.log
  async: 86400
  poll: 0
  register: build

- name: Wait for the build, showing its progress
  become: true
  become_user: postgres
  groundwork.stack.await_job:
    jid: "{{ build.ansible_job_id }}"
    label: HNSW build of documents_embedding_hnsw
    log: /var/log/postgresql/index-build.log
    log_offset: "{{ build_log.stat.size | default(0) }}"

- name: Ensure a partial IVFFlat index per tenant, lists chosen from the row count
  groundwork.stack.pgvector_index:
    login_db: app
    schema: search
    name: chunks_tenant_42_ivf
    table: chunks
    column: embedding
    method: ivfflat
    opclass: halfvec_l2_ops
    predicate: tenant_id = 42

- name: Rebuild the index with an explicit memory budget
  groundwork.stack.pgvector_index:
    login_db: app
    name: documents_embedding_hnsw
    table: documents
    column: embedding
    opclass: vector_cosine_ops
    state: rebuilt
    maintenance_work_mem: 8GB
    max_parallel_maintenance_workers: 7

- name: Drop an index no longer used
  groundwork.stack.pgvector_index:
    login_db: app
    name: documents_embedding_ivf
    state: absent
'''

RETURN = r'''
queries:
  description:
    - Statements run, in order (in check mode, the statements that would run), with their parameters bound.
    - Build settings come first, as C(set_config()) calls.
  returned: always
  type: list
  elements: str
  sample:
    - "SELECT pg_catalog.set_config('maintenance_work_mem', '2048MB', false)"
    - "CREATE INDEX CONCURRENTLY \"docs_hnsw_gwnew\" ON \"public\".\"docs\" USING hnsw (\"embedding\" vector_cosine_ops) WITH (m = 32, ef_construction = 128)"
    - "DROP INDEX CONCURRENTLY IF EXISTS \"public\".\"docs_hnsw\""
    - "ALTER INDEX \"public\".\"docs_hnsw_gwnew\" RENAME TO \"docs_hnsw\""
actions:
  description: What the module decided, and why.
  returned: always
  type: list
  elements: dict
  contains:
    action:
      description: One of C(none), C(create), C(rebuild), C(repair), C(drop), C(drop_leftover), C(adopt_leftover).
      type: str
      sample: rebuild
    reason:
      description: Why.
      type: str
      sample: "parameters differ: m 16 -> 32"
    changes:
      description: For C(rebuild), the differing fields with their C(before) and C(after) values.
      type: dict
      sample: {"m": {"before": 16, "after": 32}}
index:
  description:
    - The index after the run (in check mode, as it is now); empty when it does not exist.
  returned: always
  type: dict
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
      description: Indexed column (null for an expression index).
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
      description: Access method.
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
      description: Index storage parameters (C(reloptions)), numbers as integers.
      type: dict
      sample: {"m": 32, "ef_construction": 128}
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
      sample: CREATE INDEX docs_hnsw ON public.docs USING hnsw (embedding vector_cosine_ops) WITH (m='32', ef_construction='128')
build_settings:
  description:
    - The settings of the build session and how they were chosen; empty when nothing is built.
  returned: always
  type: dict
  contains:
    maintenance_work_mem:
      description: Value set for C(maintenance_work_mem).
      type: str
      sample: 2048MB
    maintenance_work_mem_bytes:
      description: The same in bytes.
      type: int
      sample: 2147483648
    max_parallel_maintenance_workers:
      description: Value set for C(max_parallel_maintenance_workers).
      type: int
      sample: 3
    estimated_memory_bytes:
      description: Estimated memory of the build (HNSW graph, or IVFFlat k-means and sort).
      type: int
      sample: 1750000000
    required_memory_bytes:
      description: Memory IVFFlat k-means needs to run at all (0 for HNSW).
      type: int
      sample: 0
    fits_in_memory:
      description: Whether the estimate fits into the chosen C(maintenance_work_mem).
      type: bool
      sample: true
    memory_cap_bytes:
      description: O(memory_fraction) of the host memory, or PostgreSQL's maximum if lower; null when not used.
      type: int
      sample: 4294967296
    host_memory_bytes:
      description: C(MemTotal) of the host the task ran on; null when unknown or not used (remote server).
      type: int
      sample: 17179869184
    cpus:
      description: CPUs available to the task; null when unknown or not used.
      type: int
      sample: 4
    rows:
      description: Estimated rows of the table.
      type: int
      sample: 250000
    method:
      description: Access method the estimate is for.
      type: str
      sample: hnsw
    lists:
      description: C(lists) of an IVFFlat build (given, or chosen from the row count); null for HNSW.
      type: int
      sample: 250
    source:
      description: Where each setting came from, C(option), C(auto) or C(server).
      type: dict
      sample: {"maintenance_work_mem": "auto", "max_parallel_maintenance_workers": "auto"}
    notes:
      description: Remarks on the sizing, also given as warnings.
      type: list
      elements: str
      sample: []
'''

import os

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native
from ansible_collections.groundwork.stack.plugins.module_utils.pgvector import (
    BUILD_PROGRESS_QUERY,
    BuildProgress,
    EXTENSION_QUERY,
    INDEX_BY_NAME_QUERY,
    METHODS,
    OPCLASS_TYPES,
    OPCLASSES,
    SETTINGS_NAMES,
    SETTINGS_QUERY,
    STATES,
    TABLE_QUERY,
    VECTOR_TYPES,
    auto_lists,
    build_settings_statements,
    check_column,
    describe_index,
    effective_options,
    estimate_rows,
    is_leftover,
    needs_build,
    normalize_predicate,
    parse_index,
    parse_memory,
    parse_meminfo,
    plan,
    render_definition,
    size_build_settings,
    statements_for,
    temp_index_name,
    validate_spec,
    value_bytes,
)
from ansible_collections.groundwork.stack.plugins.module_utils.postgres import (
    DatabaseError,
    connect,
    dict_cursor,
    is_remote_host,
    postgres_argument_spec,
    quote_identifier,
    render_query,
    server_version,
)

SPEC_OPTIONS = ('name', 'schema', 'table', 'column', 'method', 'opclass', 'm', 'ef_construction', 'lists', 'predicate', 'state')
REQUIRED_FOR_BUILD = ('table', 'column', 'opclass')


def argument_spec():
    """The module's options: the shared connection options plus the index options."""
    return postgres_argument_spec(
        name=dict(type='str', required=True, aliases=['index']),
        schema=dict(type='str', default='public'),
        table=dict(type='str'),
        column=dict(type='str'),
        method=dict(type='str', default='hnsw', choices=list(METHODS)),
        opclass=dict(type='str', choices=list(OPCLASSES)),
        m=dict(type='int'),
        ef_construction=dict(type='int'),
        lists=dict(type='int'),
        predicate=dict(type='str'),
        state=dict(type='str', default='present', choices=list(STATES)),
        concurrently=dict(type='bool', default=True),
        maintenance_work_mem=dict(type='str'),
        max_parallel_maintenance_workers=dict(type='int'),
        memory_fraction=dict(type='float', default=0.25),
        progress_log=dict(type='str'),
    )


def option_errors(params):
    """Problems of the build-setting options (the index options are checked by validate_spec())."""
    errors = []
    if params['maintenance_work_mem'] is not None:
        try:
            size = parse_memory(params['maintenance_work_mem'])
        except ValueError as e:
            errors.append('maintenance_work_mem=%r: %s' % (params['maintenance_work_mem'], e))
        else:
            if not 1024 * 1024 <= size <= 2147483647 * 1024:
                errors.append('maintenance_work_mem=%r is outside PostgreSQL\'s range, 1MB to 2147483647kB' % params['maintenance_work_mem'])
    workers = params['max_parallel_maintenance_workers']
    if workers is not None and not 0 <= workers <= 1024:
        errors.append('max_parallel_maintenance_workers=%r is outside PostgreSQL\'s range, 0 to 1024' % workers)
    if not 0 < params['memory_fraction'] <= 0.9:
        errors.append('memory_fraction=%r must be more than 0 and at most 0.9' % params['memory_fraction'])
    return errors


def fetch_index(cursor, schema, name):
    cursor.execute(INDEX_BY_NAME_QUERY, {'schema': schema, 'name': name})
    return parse_index(cursor.fetchone())


def fetch_server_settings(cursor):
    """maintenance_work_mem (in bytes) and the worker limits of the server."""
    cursor.execute(SETTINGS_QUERY, {'names': SETTINGS_NAMES})
    settings = {}
    for row in cursor.fetchall():
        value = int(row['setting'])
        if row['name'] == 'maintenance_work_mem':
            settings['maintenance_work_mem_bytes'] = parse_memory('%d%s' % (value, row['unit'] or 'kB'))
        else:
            settings[row['name']] = value
    return settings


def host_resources(params):
    """MemTotal and usable CPUs of this host; (None, None) when the server is on another host."""
    if is_remote_host(params):
        return None, None
    try:
        with open('/proc/meminfo') as f:
            memory = parse_meminfo(f.read())
    except (IOError, OSError):
        memory = None
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:
        cpus = os.cpu_count()
    return memory, cpus


def canonical_predicates(module, conn, cursor, schema, table, predicates):
    """PostgreSQL's own rendering of each predicate, to compare them (in a transaction that is rolled back).

    Each predicate becomes the WHERE clause of a temporary view on the table;
    pg_get_viewdef() prints it with the server's casts and parentheses.
    """
    rendered = []
    conn.autocommit = False
    try:
        for number, predicate in enumerate(predicates):
            view = 'gw_predicate_%d' % number
            cursor.execute('CREATE TEMPORARY VIEW %s AS SELECT 1 AS one FROM %s WHERE (%s)' % (
                quote_identifier(view), quote_identifier(schema, table), predicate))
            cursor.execute('SELECT pg_catalog.pg_get_viewdef(%(view)s::regclass) AS viewdef', {'view': 'pg_temp.' + view})
            rendered.append(cursor.fetchone()['viewdef'])
    except DatabaseError as e:
        conn.rollback()
        conn.autocommit = True
        module.fail_json(msg='predicate=%r cannot be used on table %s.%s: %s' % (
            predicates[len(rendered)], schema, table, to_native(e).strip()))
    conn.rollback()
    conn.autocommit = True
    return rendered


def compare_predicates(module, conn, cursor, desired, indexes):
    """Give ``desired`` and the indexes a ``predicate_canonical`` when the plain comparison is not conclusive."""
    wanted = desired.get('predicate')
    with_predicate = [index for index in indexes if index and index.get('predicate')]
    if not wanted or all(normalize_predicate(index['predicate']) == normalize_predicate(wanted) for index in with_predicate):
        return
    rendered = canonical_predicates(module, conn, cursor, desired['schema'], desired['table'],
                                    [wanted] + [index['predicate'] for index in with_predicate])
    desired['predicate_canonical'] = rendered[0]
    for index, text in zip(with_predicate, rendered[1:]):
        index['predicate_canonical'] = text


def execute(module, conn, cursor, units, executed):
    """Run the units: one statement on its own (autocommit), several in one transaction."""
    for unit in units:
        rendered = [render_query(cursor, sql, params) for sql, params in unit]
        try:
            if len(unit) > 1:
                conn.autocommit = False
            for sql, params in unit:
                cursor.execute(sql, params)
            if len(unit) > 1:
                conn.commit()
        except DatabaseError as e:
            if len(unit) > 1:
                conn.rollback()
            conn.autocommit = True
            module.fail_json(
                msg='Failed on %s: %s. An interrupted concurrent build leaves an INVALID index, which the next run '
                    'drops and builds again.' % (' ; '.join(rendered), to_native(e).strip()),
                queries=executed + rendered)
        conn.autocommit = True
        executed.extend(rendered)


def read_state(module, conn, cursor, desired):
    """The index, the temporary index of an interrupted rebuild, and (unless state=absent) the table row, checked."""
    current = fetch_index(cursor, desired['schema'], desired['name'])
    leftover = fetch_index(cursor, desired['schema'], temp_index_name(desired['name']))
    if desired['state'] == 'absent':
        if not is_leftover(leftover, current['table'] if current else desired['table']):
            leftover = None
        return current, leftover, None

    cursor.execute(EXTENSION_QUERY)
    if cursor.fetchone() is None:
        module.fail_json(msg='the vector extension is not installed in database %r; create it first '
                             '(community.postgresql.postgresql_ext name=vector)' % (module.params['login_db'],))
    cursor.execute(TABLE_QUERY, {'schema': desired['schema'], 'table': desired['table'], 'column': desired['column']})
    table = cursor.fetchone()
    if table is None or table['relkind'] not in ('r', 'p', 'm'):
        module.fail_json(msg='table=%s: no table or materialized view %s.%s' % (desired['table'], desired['schema'], desired['table']))
    if table['relkind'] == 'p' and module.params['concurrently']:
        module.fail_json(msg='table=%s is partitioned: PostgreSQL cannot build its indexes CONCURRENTLY; '
                             'set concurrently=false or index the partitions' % desired['table'])
    errors = check_column(desired, table['type_name'], table['typmod'])
    if errors:
        module.fail_json(msg='; '.join(errors))
    if leftover and not is_leftover(leftover, desired['table']):
        module.fail_json(msg='index %s.%s exists and is not a vector index of table %s; it has the name this module '
                             'uses for rebuilds of name=%s, rename it' % (desired['schema'], leftover['name'], desired['table'], desired['name']))
    compare_predicates(module, conn, cursor, desired, [current, leftover])
    return current, leftover, table


def table_rows(desired, table):
    """Rows of the table, and the dimensions and bytes per element of the indexed column."""
    dims = table['typmod']
    element_bytes = VECTOR_TYPES[OPCLASS_TYPES[desired['opclass']]]['element_bytes']
    return estimate_rows(table['reltuples'], table['table_bytes'], value_bytes(dims, element_bytes)), dims, element_bytes


def choose_build_settings(module, cursor, desired, build_spec, table):
    """Size the build session (see size_build_settings()) and warn about its notes."""
    params = module.params
    rows, dims, element_bytes = table_rows(desired, table)
    memory, cpus = host_resources(params)
    settings = size_build_settings(
        rows, dims, element_bytes, effective_options(desired, 'hnsw')['m'], memory, cpus,
        overrides={'maintenance_work_mem': params['maintenance_work_mem'],
                   'max_parallel_maintenance_workers': params['max_parallel_maintenance_workers']},
        method=desired['method'], lists=build_spec['lists'], table_bytes=table['table_bytes'],
        server=fetch_server_settings(cursor), memory_fraction=params['memory_fraction'])
    settings['lists'] = build_spec['lists'] if desired['method'] == 'ivfflat' else None
    for note in settings['notes']:
        module.warn(note)
    return settings


def open_log(module, path):
    """A line writer appending to ``path`` (never through a symbolic link); fails the module when it cannot."""
    try:
        handle = os.fdopen(os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW, 0o640), 'a')
    except (IOError, OSError) as e:
        module.fail_json(msg='cannot append to progress_log %s: %s' % (path, to_native(e)))

    def write(line):
        handle.write(line + '\n')
        handle.flush()
    return write


def watch_build(module, conn, path, label):
    """Start sampling the progress of the builds ``conn`` runs, over a second connection, into ``path``.

    Returns the function that ends the watch: it writes the last line and closes that connection."""
    write = open_log(module, path)
    watcher_conn = connect(module, autocommit=True, application_name='groundwork.stack.pgvector_index progress')
    watcher = dict_cursor(watcher_conn)
    pid = conn.get_backend_pid()

    def sample():
        watcher.execute(BUILD_PROGRESS_QUERY, (pid,))
        return watcher.fetchone()
    progress = BuildProgress(label, sample, write).start()

    def stop():
        progress.stop()
        watcher_conn.close()
    return stop


def main():
    module = AnsibleModule(
        argument_spec=argument_spec(),
        required_if=[
            ('state', 'present', REQUIRED_FOR_BUILD),
            ('state', 'rebuilt', REQUIRED_FOR_BUILD),
        ],
        supports_check_mode=True,
    )
    params = module.params
    desired = dict((option, params[option]) for option in SPEC_OPTIONS)
    state = params['state']
    errors = validate_spec(desired) + option_errors(params)
    if errors:
        module.fail_json(msg='; '.join(errors))

    conn = connect(module, autocommit=True, application_name='groundwork.stack.pgvector_index')
    cursor = dict_cursor(conn)
    if server_version(conn) < 120000:
        module.fail_json(msg='pgvector_index needs PostgreSQL 12 or later, the server is %s' % server_version(conn))
    current, leftover, table = read_state(module, conn, cursor, desired)
    for index in (current, leftover):
        if index and not index['valid']:
            module.warn('index %s.%s is INVALID (left by an interrupted or failed concurrent build)' % (index['schema'], index['name']))

    actions = plan(current, desired, state, leftover)
    changed = any(action['action'] != 'none' for action in actions)
    build_spec = dict(desired)
    if table and desired['method'] == 'ivfflat' and desired['lists'] is None:
        build_spec['lists'] = auto_lists(table_rows(desired, table)[0])
    units = statements_for(actions, build_spec, params['concurrently'])
    build_settings = {}
    if needs_build(actions):
        build_settings = choose_build_settings(module, cursor, desired, build_spec, table)
        units = [[statement] for statement in build_settings_statements(build_settings)] + units

    queries = []
    after = current
    if module.check_mode:
        queries = [render_query(cursor, sql, values) for unit in units for sql, values in unit]
        after_definition = describe_index(current)
        if changed:
            after_definition = '' if state == 'absent' else render_definition(build_spec)
    else:
        stop_watch = None
        if params['progress_log'] and needs_build(actions):
            stop_watch = watch_build(module, conn, params['progress_log'], 'index %s' % desired['name'])
        execute(module, conn, cursor, units, queries)
        if stop_watch:
            stop_watch()
        after = fetch_index(cursor, desired['schema'], desired['name'])
        after_definition = describe_index(after)
    conn.close()

    result = dict(changed=changed, queries=queries, actions=actions, index=after or {}, build_settings=build_settings)
    if module._diff:
        result['diff'] = dict(before=describe_index(current) + '\n', after=after_definition + '\n')
    module.exit_json(**result)


if __name__ == '__main__':
    main()
