# -*- coding: utf-8 -*-
# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure planning and SQL building for pgvector HNSW and IVFFlat indexes.

Nothing here talks to a database: the modules read the catalog, hand the rows
to these functions and execute the statements they return. Unit tests call
them directly.

Rebuild sequence (``plan()`` action ``rebuild`` with ``concurrently=True``)::

    CREATE INDEX CONCURRENTLY "<name>_gwnew" ... -- new parameters, old index still serves queries
    DROP INDEX CONCURRENTLY "<schema>"."<name>"   -- waits for running queries, blocks none
    ALTER INDEX "<schema>"."<name>_gwnew" RENAME TO "<name>"

It is the sequence pgvector's README gives for rebuilding an index without
REINDEX CONCURRENTLY. No step takes a lock that blocks reads or writes of the
table (PostgreSQL 12+ renames an index under ShareUpdateExclusiveLock); the
alternative, ``DROP INDEX`` + ``RENAME`` in one transaction, needs an ACCESS
EXCLUSIVE lock on the table, which queues every query behind it while it
waits. The price is a moment in which the index is reachable only under its
temporary name; a run interrupted there is finished by the next run, which
adopts (renames) a valid temporary index that matches the wanted definition
or drops it otherwise. REINDEX CONCURRENTLY is not used: it cannot change
parameters.
"""

from __future__ import annotations

import math
import re

from ansible_collections.groundwork.stack.plugins.module_utils.postgres import (
    MAX_IDENTIFIER_BYTES,
    identifier_error,
    quote_identifier,
    truncate_identifier,
)

METHODS = ('hnsw', 'ivfflat')
STATES = ('present', 'absent', 'rebuilt')

# Operator class -> the column type it indexes (pgvector 0.8).
OPCLASS_TYPES = {
    'vector_l2_ops': 'vector',
    'vector_ip_ops': 'vector',
    'vector_cosine_ops': 'vector',
    'vector_l1_ops': 'vector',
    'halfvec_l2_ops': 'halfvec',
    'halfvec_ip_ops': 'halfvec',
    'halfvec_cosine_ops': 'halfvec',
    'halfvec_l1_ops': 'halfvec',
    'bit_hamming_ops': 'bit',
    'bit_jaccard_ops': 'bit',
}
OPCLASSES = tuple(OPCLASS_TYPES)

# HNSW takes every class above; IVFFlat has no L1 and no Jaccard support.
METHOD_OPCLASSES = {
    'hnsw': OPCLASSES,
    'ivfflat': (
        'vector_l2_ops', 'vector_ip_ops', 'vector_cosine_ops',
        'halfvec_l2_ops', 'halfvec_ip_ops', 'halfvec_cosine_ops',
        'bit_hamming_ops',
    ),
}

# Bytes per element and the most dimensions an index accepts ("Supported types" in the README).
VECTOR_TYPES = {
    'vector': {'element_bytes': 4.0, 'max_dims': 2000},
    'halfvec': {'element_bytes': 2.0, 'max_dims': 4000},
    'bit': {'element_bytes': 0.125, 'max_dims': 64000},
}

# WITH options of each method, pgvector's defaults and accepted ranges (src/hnsw.h, src/ivfflat.h).
METHOD_OPTIONS = {'hnsw': ('m', 'ef_construction'), 'ivfflat': ('lists',)}
OPTION_DEFAULTS = {'m': 16, 'ef_construction': 64, 'lists': 100}
OPTION_LIMITS = {'m': (2, 100), 'ef_construction': (4, 1000), 'lists': (1, 32768)}

# Suffix of the index a rebuild builds next to the old one.
TEMP_SUFFIX = '_gwnew'

ACTIONS = ('none', 'create', 'rebuild', 'repair', 'drop', 'drop_leftover', 'adopt_leftover')
BUILD_ACTIONS = ('create', 'rebuild', 'repair')

KIB = 1024
MIB = 1024 * 1024
# maintenance_work_mem: 1MB .. MAX_KILOBYTES (INT_MAX kB on 64-bit builds).
PG_MIN_MAINTENANCE_WORK_MEM = MIB
PG_MAX_MAINTENANCE_WORK_MEM = 2147483647 * KIB
PG_MAX_PARALLEL_WORKERS = 1024
# PostgreSQL plans no parallel index build below min_parallel_table_scan_size (8MB by default)
# and one more worker each time the table triples (compute_parallel_worker()).
MIN_PARALLEL_TABLE_SCAN_BYTES = 8 * MIB
# plan_create_index_workers() leaves every participant at least 32MB of maintenance_work_mem.
PARTICIPANT_MIN_MEMORY = 32 * MIB
DEFAULT_SERVER_SETTINGS = {
    'maintenance_work_mem_bytes': 64 * MIB,
    'max_parallel_maintenance_workers': 2,
    'max_parallel_workers': 8,
}

# In-memory HNSW graph, per element (pgvector 0.8 src/hnsw.h): HnswElementData with its ten heap
# TIDs and LWLock (~128 bytes), the array of neighbour-list pointers, and one header per list.
HNSW_ELEMENT_OVERHEAD = 144
# HnswCandidate: element pointer (8) + distance (4) + flag, padded to 16.
HNSW_CANDIDATE_BYTES = 16
# Margin over the estimate for allocator rounding, plus a fixed amount for the build's own state.
ESTIMATE_MARGIN = 1.1
ESTIMATE_FIXED = 16 * MIB

# ---------------------------------------------------------------------------
# Catalog queries (values bound as parameters; run by the modules).

_INDEX_SELECT = """
SELECT n.nspname::text AS schema_name,
       ci.relname::text AS index_name,
       ct.relname::text AS table_name,
       am.amname::text AS method,
       i.indisvalid AS valid,
       i.indisready AS ready,
       ci.reloptions AS reloptions,
       ARRAY(SELECT COALESCE(a.attname::text, pg_catalog.pg_get_indexdef(i.indexrelid, k.n, true))
               FROM pg_catalog.generate_series(1, i.indnkeyatts::int) AS k(n)
               LEFT JOIN pg_catalog.pg_attribute AS a
                 ON a.attrelid = i.indrelid AND a.attnum = i.indkey[k.n - 1]
              ORDER BY k.n) AS columns,
       ARRAY(SELECT oc.opcname::text
               FROM pg_catalog.generate_series(1, i.indnkeyatts::int) AS k(n)
               JOIN pg_catalog.pg_opclass AS oc ON oc.oid = i.indclass[k.n - 1]
              ORDER BY k.n) AS opclasses,
       i.indexprs IS NOT NULL AS has_expressions,
       pg_catalog.pg_get_expr(i.indpred, i.indrelid) AS predicate,
       pg_catalog.pg_get_indexdef(i.indexrelid) AS definition,
       pg_catalog.pg_relation_size(i.indexrelid) AS size_bytes
  FROM pg_catalog.pg_index AS i
  JOIN pg_catalog.pg_class AS ci ON ci.oid = i.indexrelid
  JOIN pg_catalog.pg_namespace AS n ON n.oid = ci.relnamespace
  JOIN pg_catalog.pg_class AS ct ON ct.oid = i.indrelid
  JOIN pg_catalog.pg_am AS am ON am.oid = ci.relam
"""

# One index by schema and name: params schema, name.
INDEX_BY_NAME_QUERY = _INDEX_SELECT + ' WHERE n.nspname = %(schema)s AND ci.relname = %(name)s'

# Every HNSW/IVFFlat index, optionally of one schema and/or table: params methods, schema, table.
VECTOR_INDEXES_QUERY = _INDEX_SELECT + """ WHERE am.amname::text = ANY(%(methods)s)
   AND (%(schema)s::text IS NULL OR n.nspname = %(schema)s)
   AND (%(table)s::text IS NULL OR ct.relname = %(table)s)
 ORDER BY n.nspname, ct.relname, ci.relname"""

# The table and the indexed column: params schema, table, column.
TABLE_QUERY = """
SELECT c.relkind::text AS relkind,
       c.reltuples::float8 AS reltuples,
       pg_catalog.pg_table_size(c.oid) AS table_bytes,
       t.typname::text AS type_name,
       a.atttypmod AS typmod,
       pg_catalog.format_type(a.atttypid, a.atttypmod) AS column_type
  FROM pg_catalog.pg_class AS c
  JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
  LEFT JOIN pg_catalog.pg_attribute AS a
    ON a.attrelid = c.oid AND a.attname = %(column)s AND a.attnum > 0 AND NOT a.attisdropped
  LEFT JOIN pg_catalog.pg_type AS t ON t.oid = a.atttypid
 WHERE n.nspname = %(schema)s AND c.relname = %(table)s
"""

# Settings the sizing takes into account: params names.
SETTINGS_QUERY = """
SELECT name, setting, unit FROM pg_catalog.pg_settings WHERE name = ANY(%(names)s)
"""
SETTINGS_NAMES = ['maintenance_work_mem', 'max_parallel_maintenance_workers', 'max_parallel_workers']

EXTENSION_QUERY = "SELECT extversion FROM pg_catalog.pg_extension WHERE extname = 'vector'"

_SET_CONFIG = 'SELECT pg_catalog.set_config(%(name)s, %(value)s, false)'


# ---------------------------------------------------------------------------
# Validation


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def effective_options(options, method):
    """The WITH options of ``method`` with pgvector's defaults filled in.

    ``options`` is a spec or a parsed ``reloptions`` dict. A missing ``lists``
    stays None: the module then picks it from the row count when it builds,
    and does not treat a different value on an existing index as drift.
    """
    result = {}
    for option in METHOD_OPTIONS.get(method, ()):
        value = options.get(option)
        if value is None and option != 'lists':
            value = OPTION_DEFAULTS[option]
        result[option] = value
    return result


def validate_spec(spec):
    """Return the list of problems of an index spec (empty when it can be applied).

    ``spec`` holds the module options: name, schema, state, and for
    state=present/rebuilt also table, column, method, opclass, m,
    ef_construction, lists and predicate. Every message names the option and
    the value.
    """
    errors = []
    state = spec.get('state') or 'present'
    if state not in STATES:
        errors.append('state=%r is not supported; choose one of: %s' % (state, ', '.join(STATES)))
    for option in ('name', 'schema'):
        error = identifier_error(spec.get(option), option)
        if error:
            errors.append(error)
    if state == 'absent':
        return errors

    for option in ('table', 'column'):
        error = identifier_error(spec.get(option), option)
        if error:
            errors.append(error)

    method = spec.get('method')
    if method not in METHODS:
        errors.append('method=%r is not supported; choose one of: %s' % (method, ', '.join(METHODS)))
    opclass = spec.get('opclass')
    if opclass not in OPCLASS_TYPES:
        errors.append('opclass=%r is not a supported operator class; choose one of: %s' % (opclass, ', '.join(OPCLASSES)))
    elif method in METHODS and opclass not in METHOD_OPCLASSES[method]:
        errors.append('opclass=%s cannot be used with method=%s; %s supports: %s' % (
            opclass, method, method, ', '.join(METHOD_OPCLASSES[method])))

    for option in ('m', 'ef_construction', 'lists'):
        value = spec.get(option)
        if value is None:
            continue
        low, high = OPTION_LIMITS[option]
        if method in METHODS and option not in METHOD_OPTIONS[method]:
            errors.append('%s=%r is an option of method=%s only; method=%s does not accept it' % (
                option, value, 'ivfflat' if option == 'lists' else 'hnsw', method))
        elif not _is_int(value) or not low <= value <= high:
            errors.append('%s=%r is out of range; pgvector accepts %d to %d' % (option, value, low, high))

    if method == 'hnsw':
        options = effective_options(spec, method)
        m, ef_construction = options['m'], options['ef_construction']
        in_range = all(_is_int(options[o]) and OPTION_LIMITS[o][0] <= options[o] <= OPTION_LIMITS[o][1] for o in options)
        if in_range and ef_construction < 2 * m:
            errors.append('ef_construction=%d must be at least 2 * m (m=%d, so ef_construction >= %d)' % (ef_construction, m, 2 * m))

    error = predicate_error(spec.get('predicate'))
    if error:
        errors.append(error)
    return errors


def check_column(spec, type_name, typmod):
    """Problems of the indexed column for ``spec`` (type from pg_type, dimensions from atttypmod)."""
    column = '%s.%s.%s' % (spec.get('schema'), spec.get('table'), spec.get('column'))
    if type_name is None:
        return ['column=%s: no such column' % column]
    wanted = OPCLASS_TYPES.get(spec.get('opclass'))
    if type_name != wanted:
        return ['column=%s has type %s; opclass=%s indexes %s columns' % (column, type_name, spec.get('opclass'), wanted)]
    if typmod is None or typmod < 1:
        return ['column=%s has no declared dimensions; declare it as %s(n) to index it' % (column, type_name)]
    max_dims = VECTOR_TYPES[type_name]['max_dims']
    if typmod > max_dims:
        return ['column=%s has %d dimensions; %s indexes of %s columns support at most %d' % (
            column, typmod, spec.get('method'), type_name, max_dims)]
    return []


_DOLLAR_TAG = re.compile(r'\$(?:[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$')


def _is_word_char(char):
    return char.isalnum() or char in '_$'


def _quoted_end(text, start, quote, backslash_escapes):
    """Index just past the literal or quoted identifier that opens at ``start``."""
    i = start + 1
    while i < len(text):
        char = text[i]
        if backslash_escapes and char == '\\':
            i += 2
            continue
        if char == quote:
            if text.startswith(quote, i + 1):
                i += 2
                continue
            return i + 1
        i += 1
    raise ValueError('has an unterminated %s' % ('string literal' if quote == "'" else 'quoted identifier'))


def scan_sql(text):
    """Split an SQL expression into ('code' | 'literal' | 'quoted', text) segments.

    String literals ('...', E'...', $tag$...$tag$) and quoted identifiers are
    kept whole; in the code between them ``;``, comment markers and unbalanced
    parentheses raise ValueError. The segments joined give ``text`` back.
    """
    segments = []
    code = []
    depth = 0
    i = 0

    def flush():
        if code:
            segments.append(('code', ''.join(code)))
            del code[:]

    while i < len(text):
        char = text[i]
        if char == '\x00':
            raise ValueError('contains a NUL character')
        if char == "'":
            # E'...' (escape string syntax): backslash escapes, including \'
            escape = bool(code) and code[-1] in 'eE' and (len(code) < 2 or not _is_word_char(code[-2]))
            end = _quoted_end(text, i, "'", escape)
            prefix = code.pop() if escape else ''
            flush()
            segments.append(('literal', prefix + text[i:end]))
            i = end
            continue
        if char == '"':
            end = _quoted_end(text, i, '"', False)
            flush()
            segments.append(('quoted', text[i:end]))
            i = end
            continue
        if char == '$' and not (code and _is_word_char(code[-1])):
            match = _DOLLAR_TAG.match(text, i)
            if match:
                close = text.find(match.group(0), match.end())
                if close < 0:
                    raise ValueError('has an unterminated dollar-quoted string')
                end = close + len(match.group(0))
                flush()
                segments.append(('literal', text[i:end]))
                i = end
                continue
        if char == ';':
            raise ValueError("contains ';' outside a string literal; give one boolean expression")
        marker = text[i:i + 2]
        if marker in ('--', '/*', '*/'):
            raise ValueError('contains the comment marker %r outside a string literal' % marker)
        if char == '(':
            depth += 1
        elif char == ')':
            depth -= 1
            if depth < 0:
                raise ValueError("has a ')' without a matching '('")
        code.append(char)
        i += 1
    if depth:
        raise ValueError("has %d '(' without a matching ')'" % depth)
    flush()
    return segments


def predicate_error(predicate):
    """Why ``predicate`` cannot be used as a partial-index WHERE clause, or None."""
    if predicate is None:
        return None
    if not isinstance(predicate, str) or not predicate.strip():
        return 'predicate must be a non-empty SQL boolean expression, got %r' % (predicate,)
    try:
        scan_sql(predicate)
    except ValueError as e:
        return 'predicate=%r %s' % (predicate, e)
    return None


def _strip_outer_parentheses(text):
    while text.startswith('(') and text.endswith(')'):
        depth = 0
        position = 0
        for kind, value in scan_sql(text):
            if kind == 'code':
                for offset, char in enumerate(value):
                    if char == '(':
                        depth += 1
                    elif char == ')':
                        depth -= 1
                        if depth == 0 and position + offset != len(text) - 1:
                            return text
            position += len(value)
        text = text[1:-1].strip()
    return text


def normalize_predicate(predicate):
    """A comparison key for a predicate: case and spacing of the code folded, outer parentheses removed.

    ``(category_id = 123)`` (as pg_get_expr() prints it) and ``category_id = 123``
    give the same key. Casts the server adds (``'a'::text``) are not undone
    here: the module compares the server's own rendering in that case.
    """
    if predicate is None or not predicate.strip():
        return None
    parts = []
    for kind, value in scan_sql(predicate):
        if kind == 'code':
            value = re.sub(r'\s+', ' ', value.lower())
            value = re.sub(r'\(\s+', '(', value)
            value = re.sub(r'\s+\)', ')', value)
        parts.append(value)
    return _strip_outer_parentheses(''.join(parts).strip())


# ---------------------------------------------------------------------------
# Catalog rows


def parse_reloptions(reloptions):
    """``['m=16', 'ef_construction=64']`` -> ``{'m': 16, 'ef_construction': 64}``."""
    result = {}
    for item in reloptions or []:
        key, sep, value = item.partition('=')
        if not sep:
            continue
        result[key] = int(value) if re.match(r'^-?\d+$', value) else value
    return result


def parse_index(row):
    """Turn a row of ``INDEX_BY_NAME_QUERY`` / ``VECTOR_INDEXES_QUERY`` into the index dict the modules return."""
    if row is None:
        return None
    columns = list(row.get('columns') or [])
    opclasses = list(row.get('opclasses') or [])
    expression = bool(row.get('has_expressions'))
    size = row.get('size_bytes')
    return {
        'schema': row.get('schema_name'),
        'name': row.get('index_name'),
        'table': row.get('table_name'),
        'columns': columns,
        'column': columns[0] if len(columns) == 1 and not expression else None,
        'expression': expression,
        'method': row.get('method'),
        'opclasses': opclasses,
        'opclass': opclasses[0] if len(opclasses) == 1 else None,
        'options': parse_reloptions(row.get('reloptions')),
        'predicate': row.get('predicate'),
        'valid': bool(row.get('valid')),
        'ready': bool(row.get('ready')),
        'size_bytes': int(size) if size is not None else None,
        'definition': row.get('definition'),
    }


def temp_index_name(name):
    """The name a rebuild gives the new index until the swap (at most 63 bytes)."""
    return truncate_identifier(name, MAX_IDENTIFIER_BYTES - len(TEMP_SUFFIX)) + TEMP_SUFFIX


def is_leftover(index, table):
    """True when ``index`` (found under the temporary name) is a vector index of ``table``: one a rebuild left."""
    return bool(index) and index.get('method') in METHODS and index.get('table') == table


# ---------------------------------------------------------------------------
# Planning


def _predicate_key(index):
    if index.get('predicate_canonical'):
        return index['predicate_canonical']
    return normalize_predicate(index.get('predicate'))


def index_drift(current, desired):
    """Differences between an existing index and the spec: {field: {'before': ..., 'after': ...}}."""
    changes = {}

    def compare(field, before, after):
        if before != after:
            changes[field] = {'before': before, 'after': after}

    compare('table', current.get('table'), desired.get('table'))
    compare('method', current.get('method'), desired.get('method'))
    if current.get('column') is not None:
        current_column = current['column']
    else:
        current_column = ', '.join(current.get('columns') or []) or None
    compare('column', current_column, desired.get('column'))
    compare('opclass', current.get('opclass'), desired.get('opclass'))
    if current.get('method') == desired.get('method'):
        before = effective_options(current.get('options') or {}, current.get('method'))
        after = effective_options(desired, desired.get('method'))
        for option in METHOD_OPTIONS.get(desired.get('method'), ()):
            if after[option] is not None:
                compare(option, before.get(option), after[option])
    if _predicate_key(current) != _predicate_key(desired):
        changes['predicate'] = {'before': current.get('predicate'), 'after': desired.get('predicate')}
    return changes


def _action(kind, reason, changes=None):
    return {'action': kind, 'reason': reason, 'changes': changes or {}}


def plan(current, desired, state, leftover=None):
    """Decide what to do, as a list of actions (see ``ACTIONS``).

    ``current`` is the parsed index under the wanted name (None when absent),
    ``desired`` the validated spec and ``leftover`` the parsed index under the
    temporary name when it belongs to this table (an interrupted rebuild).
    """
    if state not in STATES:
        raise ValueError('state=%r is not supported' % (state,))
    actions = []
    if state == 'absent':
        if leftover:
            actions.append(_action('drop_leftover', 'temporary index %s of an interrupted rebuild exists' % leftover.get('name')))
        if current:
            reason = 'index exists' if current.get('valid') else 'index exists (INVALID)'
            actions.append(_action('drop', reason))
        return actions or [_action('none', 'index does not exist')]

    if leftover:
        if current is None and state == 'present' and leftover.get('valid') and not index_drift(leftover, desired):
            return [_action('adopt_leftover', 'a rebuild was interrupted after dropping the old index; '
                                              'its valid new index %s matches and takes the name' % leftover.get('name'))]
        actions.append(_action('drop_leftover', 'temporary index %s of an interrupted rebuild exists%s' % (
            leftover.get('name'), '' if leftover.get('valid') else ' (INVALID)')))

    if current is None:
        actions.append(_action('create', 'index does not exist'))
    elif not current.get('valid'):
        actions.append(_action('repair', 'index is INVALID (an interrupted concurrent build); drop it and build it again'))
    elif state == 'rebuilt':
        actions.append(_action('rebuild', 'state=rebuilt forces a rebuild'))
    else:
        changes = index_drift(current, desired)
        if changes:
            reason = 'parameters differ: ' + ', '.join(
                '%s %s -> %s' % (field, change['before'], change['after']) for field, change in sorted(changes.items()))
            actions.append(_action('rebuild', reason, changes))
    return actions or [_action('none', 'index matches the spec')]


def needs_build(actions):
    """True when the actions build an index (and so need the build settings)."""
    return any(a['action'] in BUILD_ACTIONS for a in actions)


# ---------------------------------------------------------------------------
# SQL building


def index_options(spec):
    """The WITH options of the spec as an ordered list of (name, value); ``lists`` must be resolved."""
    method = spec.get('method')
    options = effective_options(spec, method)
    for option, value in options.items():
        low, high = OPTION_LIMITS[option]
        if not _is_int(value) or not low <= value <= high:
            raise ValueError('%s=%r is not a resolved value in %d..%d' % (option, value, low, high))
    return [(option, options[option]) for option in METHOD_OPTIONS[method]]


def build_create_index(spec, name=None, concurrently=True):
    """``CREATE INDEX [CONCURRENTLY]`` for ``spec`` under ``name`` (default: the spec's name) -> (sql, params)."""
    method = spec.get('method')
    opclass = spec.get('opclass')
    if method not in METHODS:
        raise ValueError('method=%r is not supported' % (method,))
    if opclass not in METHOD_OPCLASSES[method]:
        raise ValueError('opclass=%r is not supported by method=%s' % (opclass, method))
    options = index_options(spec)
    predicate = spec.get('predicate')
    if predicate:
        error = predicate_error(predicate)
        if error:
            raise ValueError(error)
    # The statement has %(name)s placeholders, so a literal % (in a name or the predicate) is doubled.
    sql = 'CREATE INDEX %s%s ON %s USING %s (%s %s) WITH (%s)' % (
        'CONCURRENTLY ' if concurrently else '',
        _escape_percent(quote_identifier(name or spec['name'])),
        _escape_percent(quote_identifier(spec['schema'], spec['table'])),
        method,
        _escape_percent(quote_identifier(spec['column'])),
        opclass,
        ', '.join('%s = %%(%s)s' % (option, option) for option, dummy in options),
    )
    if predicate:
        sql += ' WHERE (%s)' % _escape_percent(predicate.strip())
    return sql, dict(options)


def _escape_percent(text):
    return text.replace('%', '%%')


def build_drop_index(schema, name, concurrently=True):
    """``DROP INDEX [CONCURRENTLY] IF EXISTS`` -> (sql, None)."""
    return 'DROP INDEX %sIF EXISTS %s' % ('CONCURRENTLY ' if concurrently else '', quote_identifier(schema, name)), None


def build_rename_index(schema, name, new_name):
    """``ALTER INDEX ... RENAME TO`` (the new name stays in the same schema) -> (sql, None)."""
    return 'ALTER INDEX %s RENAME TO %s' % (quote_identifier(schema, name), quote_identifier(new_name)), None


def build_settings_statements(settings):
    """Session settings for the build, as set_config() calls with bound values."""
    values = (
        ('maintenance_work_mem', settings['maintenance_work_mem']),
        ('max_parallel_maintenance_workers', str(settings['max_parallel_maintenance_workers'])),
        # A build can outlast a statement_timeout set for the role; a cancelled build leaves an INVALID index.
        ('statement_timeout', '0'),
    )
    return [(_SET_CONFIG, {'name': name, 'value': value}) for name, value in values]


def statements_for(actions, desired, concurrently=True):
    """The statements that carry out ``actions``, as a list of units.

    Each unit is a list of (sql, params). A unit of one statement runs on its
    own (outside a transaction block: CONCURRENTLY requires it); a unit of
    several statements runs in one transaction.
    """
    schema, name = desired['schema'], desired['name']
    temp = temp_index_name(name)
    units = []
    for action in actions:
        kind = action['action']
        if kind == 'none':
            continue
        if kind == 'drop_leftover':
            units.append([build_drop_index(schema, temp, concurrently)])
        elif kind == 'adopt_leftover':
            units.append([build_rename_index(schema, temp, name)])
        elif kind == 'create':
            units.append([build_create_index(desired, name, concurrently)])
        elif kind == 'drop':
            units.append([build_drop_index(schema, name, concurrently)])
        elif kind == 'repair':
            if concurrently:
                units.append([build_drop_index(schema, name, True)])
                units.append([build_create_index(desired, name, True)])
            else:
                units.append([build_drop_index(schema, name, False), build_create_index(desired, name, False)])
        elif kind == 'rebuild':
            if concurrently:
                units.append([build_create_index(desired, temp, True)])
                units.append([build_drop_index(schema, name, True)])
                units.append([build_rename_index(schema, temp, name)])
            else:
                units.append([build_drop_index(schema, name, False), build_create_index(desired, name, False)])
        else:
            raise ValueError('unknown action %r' % (kind,))
    return units


def render_definition(spec):
    """The index definition ``spec`` gives, as text (for diff in check mode)."""
    sql, params = build_create_index(spec, concurrently=False)
    for option, value in params.items():
        sql = sql.replace('%%(%s)s' % option, str(int(value)))
    return sql.replace('%%', '%')


def describe_index(index):
    """An existing index as ``render_definition()`` would write it, so a diff shows only real differences.

    Indexes this module cannot express (expressions, several columns, other
    methods or operator classes) are described by pg_get_indexdef() instead.
    """
    if not index:
        return ''
    method, opclass = index.get('method'), index.get('opclass')
    if index.get('column') is None or method not in METHODS or opclass not in METHOD_OPCLASSES[method]:
        return index.get('definition') or ''
    spec = dict(name=index['name'], schema=index['schema'], table=index['table'], column=index['column'],
                method=method, opclass=opclass, predicate=index.get('predicate'))
    options = index.get('options') or {}
    for option in METHOD_OPTIONS[method]:
        spec[option] = options.get(option, OPTION_DEFAULTS[option])
    try:
        return render_definition(spec)
    except ValueError:
        return index.get('definition') or ''


# ---------------------------------------------------------------------------
# Build settings


def _maxalign(size):
    return (size + 7) // 8 * 8


def value_bytes(dims, element_bytes):
    """Size of one stored value: 8-byte header (varlena + dimensions) + the elements, 8-aligned."""
    return _maxalign(8 + int(math.ceil(dims * element_bytes)))


def hnsw_graph_bytes(rows, dims, element_bytes, m):
    """Estimated size of the in-memory HNSW graph pgvector builds for ``rows`` vectors.

    Per element: the value, the element header (HNSW_ELEMENT_OVERHEAD), the
    layer-0 neighbour list of 2*m candidates of HNSW_CANDIDATE_BYTES, and the
    upper layers (m candidates each; an element reaches layer l with
    probability m**-l, so 1/(m-1) upper layers on average).
    """
    upper_layers = int(math.ceil((8 + m * HNSW_CANDIDATE_BYTES) / float(m - 1)))
    per_element = HNSW_ELEMENT_OVERHEAD + value_bytes(dims, element_bytes) + 2 * m * HNSW_CANDIDATE_BYTES + upper_layers
    return int(rows) * per_element


def ivfflat_kmeans_bytes(rows, dims, element_bytes, lists):
    """Memory IVFFlat's k-means needs (it stops with "memory required is ..." when maintenance_work_mem is smaller).

    Follows the sizes pgvector's ivfkmeans.c adds up: samples (50 per list, at
    least 10000), centers twice, float aggregates for non-float types, and
    Elkan's bounds (samples x lists and lists x lists floats).
    """
    allocated_samples = max(50 * lists, 10000)
    samples = max(min(allocated_samples, int(rows)), 1)
    item = value_bytes(dims, element_bytes)
    size = (allocated_samples + 2 * lists) * item
    if element_bytes != 4.0:
        size += lists * value_bytes(dims, 4.0)
    size += 4 * (lists + samples + samples * lists + samples + lists + lists * lists + lists)
    return size


def auto_lists(rows):
    """pgvector's advice for ``lists``: rows / 1000 up to 1M rows, sqrt(rows) above."""
    rows = int(rows)
    if rows <= 1000000:
        lists = rows // 1000
    else:
        lists = int(math.sqrt(rows))
    return min(max(lists, 1), OPTION_LIMITS['lists'][1])


def estimate_rows(reltuples, table_bytes, value_size):
    """Rows of the table: pg_class.reltuples, or table size / row size when the table was never analyzed."""
    if reltuples is not None and reltuples > 0:
        return int(reltuples)
    if table_bytes:
        return int(table_bytes) // (value_size + 32)
    return 0


_MEMORY_UNITS = {'': KIB, 'kb': KIB, 'mb': MIB, 'gb': 1024 * MIB, 'tb': 1024 * 1024 * MIB}


def parse_memory(value):
    """A PostgreSQL memory setting (``'512MB'``, ``'2GB'``, ``'65536kB'``, or kB as a number) in bytes."""
    if _is_int(value):
        return value * KIB
    match = re.match(r'^\s*(\d+)\s*([kKmMgGtT][bB])?\s*$', str(value))
    if not match:
        raise ValueError('%r is not a memory size such as 512MB, 2GB or 65536kB' % (value,))
    return int(match.group(1)) * _MEMORY_UNITS[(match.group(2) or '').lower()]


def format_memory(size):
    """Bytes as a maintenance_work_mem value, rounded up to whole MB."""
    return '%dMB' % int(math.ceil(size / float(MIB)))


def parse_meminfo(text):
    """MemTotal of a /proc/meminfo text, in bytes (None when absent)."""
    match = re.search(r'^MemTotal:\s+(\d+)\s*kB', text or '', re.MULTILINE)
    return int(match.group(1)) * KIB if match else None


def parallel_workers_for_table(table_bytes):
    """Workers PostgreSQL would plan for a table of this size (compute_parallel_worker())."""
    if not table_bytes or table_bytes < MIN_PARALLEL_TABLE_SCAN_BYTES:
        return 0
    workers = 1
    threshold = MIN_PARALLEL_TABLE_SCAN_BYTES
    while table_bytes >= threshold * 3:
        workers += 1
        threshold *= 3
    return workers


def size_build_settings(rows, dims, element_bytes, m, mem_total_bytes, cpus, overrides=None,
                        method='hnsw', lists=None, table_bytes=0, server=None, memory_fraction=0.25):
    """Choose maintenance_work_mem and max_parallel_maintenance_workers for one index build.

    maintenance_work_mem: pgvector's README says HNSW builds "significantly
    faster when the graph fits into maintenance_work_mem" and warns not to set
    it so high that it exhausts the server's memory. So: the estimate
    (``hnsw_graph_bytes`` or, for IVFFlat, the larger of its k-means memory and
    an in-memory sort of all rows) x ESTIMATE_MARGIN + ESTIMATE_FIXED, capped at
    ``memory_fraction`` of the host's MemTotal and at PostgreSQL's maximum,
    never below the server's current value. Unknown host memory keeps the
    server's value.

    max_parallel_maintenance_workers: the fewest of one per CPU besides the
    leader, what PostgreSQL would plan for the table size (one from 8MB, one
    more each time the size triples), max_parallel_workers, and 32MB of
    maintenance_work_mem per participant.

    ``overrides`` (``maintenance_work_mem``, ``max_parallel_maintenance_workers``)
    are taken as given. Returns what was chosen, the inputs and notes.
    """
    overrides = overrides or {}
    settings = dict(DEFAULT_SERVER_SETTINGS)
    settings.update(server or {})
    notes = []
    rows = max(int(rows or 0), 0)

    if method == 'hnsw':
        estimate = hnsw_graph_bytes(rows, dims, element_bytes, m)
        required = 0
    else:
        lists = lists or auto_lists(rows)
        required = ivfflat_kmeans_bytes(rows, dims, element_bytes, lists)
        estimate = max(required, rows * (value_bytes(dims, element_bytes) + 48))
    wanted = int(estimate * ESTIMATE_MARGIN) + ESTIMATE_FIXED
    current = settings['maintenance_work_mem_bytes']
    cap = None

    if overrides.get('maintenance_work_mem') is not None:
        memory = parse_memory(overrides['maintenance_work_mem'])
        memory_source = 'option'
    elif mem_total_bytes:
        cap = min(int(mem_total_bytes * memory_fraction), PG_MAX_MAINTENANCE_WORK_MEM)
        memory = max(min(wanted, cap), current)
        memory_source = 'auto'
        if wanted > cap:
            notes.append('the build wants about %s but is capped at %s (%.0f%% of host memory)' % (
                format_memory(wanted), format_memory(cap), memory_fraction * 100))
    else:
        memory = current
        memory_source = 'server'
        notes.append('host memory unknown: the server\'s maintenance_work_mem is kept')
    # Whole MB, within PostgreSQL's limits (its maximum is not a whole MB: round that one down).
    memory = int(math.ceil(max(memory, PG_MIN_MAINTENANCE_WORK_MEM) / float(MIB))) * MIB
    memory = min(memory, PG_MAX_MAINTENANCE_WORK_MEM // MIB * MIB)
    if method == 'hnsw' and memory < estimate:
        notes.append('the HNSW graph (about %s) does not fit in maintenance_work_mem=%s: the build will be slower' % (
            format_memory(estimate), format_memory(memory)))
    if method == 'ivfflat' and memory < required:
        notes.append('IVFFlat k-means needs about %s but maintenance_work_mem=%s: the build will fail; lower lists '
                     'or raise maintenance_work_mem' % (format_memory(required), format_memory(memory)))

    if overrides.get('max_parallel_maintenance_workers') is not None:
        workers = int(overrides['max_parallel_maintenance_workers'])
        workers_source = 'option'
    else:
        limits = [
            parallel_workers_for_table(table_bytes),
            settings['max_parallel_workers'],
            max(memory // PARTICIPANT_MIN_MEMORY - 1, 0),
            PG_MAX_PARALLEL_WORKERS,
        ]
        if cpus:
            limits.append(max(int(cpus) - 1, 0))
        else:
            limits.append(settings['max_parallel_maintenance_workers'])
            notes.append('CPU count unknown: at most the server\'s max_parallel_maintenance_workers')
        workers = max(min(limits), 0)
        workers_source = 'auto'

    return {
        'maintenance_work_mem': format_memory(memory),
        'maintenance_work_mem_bytes': memory,
        'max_parallel_maintenance_workers': workers,
        'estimated_memory_bytes': estimate,
        'required_memory_bytes': required,
        'fits_in_memory': memory >= estimate,
        'memory_cap_bytes': cap,
        'host_memory_bytes': mem_total_bytes,
        'cpus': cpus,
        'rows': rows,
        'method': method,
        'source': {'maintenance_work_mem': memory_source, 'max_parallel_maintenance_workers': workers_source},
        'notes': notes,
    }


# Progress of an index build (pg_stat_progress_create_index, PostgreSQL 12+) of one backend. pgvector reports
# its phases there too: HNSW "loading tuples", IVFFlat "performing k-means", "assigning tuples", "loading tuples".
BUILD_PROGRESS_QUERY = (
    'SELECT phase, blocks_total, blocks_done, tuples_total, tuples_done, lockers_total, lockers_done '
    'FROM pg_catalog.pg_stat_progress_create_index WHERE pid = %s'
)


def build_progress_line(label, row):
    """One line of a build's progress from a row of BUILD_PROGRESS_QUERY (a dict), for a log.

    The share done is of blocks when PostgreSQL counts blocks in this phase, else of tuples; a build that waits
    for other transactions (CONCURRENTLY) says how many it still waits for. A concurrent build scans the table
    more than once, so the share starts again at each phase: the phase is always named.
    """
    parts = ['%s: %s' % (label, row.get('phase') or 'unknown phase')]
    for unit in ('blocks', 'tuples'):
        total, done = row.get('%s_total' % unit) or 0, row.get('%s_done' % unit) or 0
        if total > 0:
            parts.append('%.1f%% of %s (%d of %d)' % (min(100.0, 100.0 * done / total), unit, done, total))
            break
    lockers_total, lockers_done = row.get('lockers_total') or 0, row.get('lockers_done') or 0
    if lockers_total > 0:
        parts.append('waiting for %d of %d transactions' % (lockers_total - lockers_done, lockers_total))
    return ', '.join(parts)


class BuildProgress(object):
    """Samples a build's progress in a thread while the build's own connection is busy, and writes a line each
    time it changes (BUILD_PROGRESS_QUERY, build_progress_line).

    ``sample()`` returns the row of the build's backend (or None once it has none), ``write(line)`` appends
    one line to the log. A sample that fails is written once and ends the watch; the build goes on.
    """

    def __init__(self, label, sample, write, every=2.0):
        import threading
        self.label = label
        self.sample = sample
        self.write = write
        self.every = every
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, name='build-progress')
        self.thread.daemon = True

    def start(self):
        self.write('%s: started' % self.label)
        self.thread.start()
        return self

    def stop(self, outcome='finished'):
        self.stopped.set()
        self.thread.join()
        self.write('%s: %s' % (self.label, outcome))

    def _run(self):
        last = None
        while True:
            try:
                row = self.sample()
            except Exception as e:  # pylint: disable=broad-except
                self.write('%s: progress unavailable (%s)' % (self.label, str(e).strip()))
                return
            if row:
                line = build_progress_line(self.label, row)
                if line != last:
                    self.write(line)
                    last = line
            if self.stopped.wait(self.every):
                return
