# -*- coding: utf-8 -*-
# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for the pure pgvector index helpers: validation, SQL, catalog parsing, planning, sizing."""

from __future__ import annotations

import re
import time

import pytest

from ansible_collections.groundwork.stack.plugins.module_utils import pgvector as pv

GIB = 1024 * pv.MIB


def spec(**changes):
    """A valid HNSW spec, with ``changes`` applied (None removes nothing: it sets the option to None)."""
    base = dict(name='items_embedding_idx', schema='public', table='items', column='embedding', method='hnsw',
                opclass='vector_l2_ops', m=None, ef_construction=None, lists=None, predicate=None, state='present')
    base.update(changes)
    return base


def ivf(**changes):
    return spec(method='ivfflat', **changes)


def row(**changes):
    """A catalog row as INDEX_BY_NAME_QUERY returns it (psycopg2 RealDictCursor)."""
    base = dict(schema_name='public', index_name='items_embedding_idx', table_name='items', method='hnsw',
                valid=True, ready=True, reloptions=['m=16', 'ef_construction=64'], columns=['embedding'],
                opclasses=['vector_l2_ops'], has_expressions=False, predicate=None,
                definition='CREATE INDEX items_embedding_idx ON public.items USING hnsw (embedding vector_l2_ops) '
                           "WITH (m='16', ef_construction='64')",
                size_bytes=8192)
    base.update(changes)
    return base


def index(**changes):
    return pv.parse_index(row(**changes))


# ---------------------------------------------------------------------------
# validate_spec


VALID_SPECS = [
    spec(),
    spec(m=2, ef_construction=4),
    spec(m=100, ef_construction=1000),
    spec(m=32, ef_construction=64),
    spec(m=8),
    spec(ef_construction=32),
    spec(opclass='bit_jaccard_ops'),
    spec(opclass='halfvec_l1_ops'),
    ivf(),
    ivf(lists=1),
    ivf(lists=32768),
    ivf(opclass='bit_hamming_ops', lists=10),
    spec(predicate='category_id = 123'),
    spec(predicate="status = 'a;b -- c /* d */'"),
    spec(predicate="note = E'it\\'s; fine'"),
    spec(predicate='body = $$x; -- y$$'),
    spec(predicate='body = $t$x; /* y */$t$'),
    spec(predicate='"weird;col" IS NOT NULL'),
    spec(predicate='(a = 1) AND (b = 2 OR c IN (1, 2))'),
    spec(predicate="title LIKE 'abc%'"),
    spec(name='x' * 63, table='t' * 63, column='é' * 31),
    dict(name='items_embedding_idx', schema='public', state='absent'),
    dict(name='items_embedding_idx', schema='public', state='absent', method='bogus', opclass='bogus', m=1000),
    spec(state='rebuilt'),
]


@pytest.mark.parametrize('candidate', VALID_SPECS)
def test_validate_spec_accepts(candidate):
    assert pv.validate_spec(candidate) == []


# (spec, fragment of the one error expected): every rejection path.
REJECTED_SPECS = [
    (spec(method='diskann'), "method='diskann' is not supported"),
    (spec(method=None), 'method=None is not supported'),
    (spec(opclass='vector_hamming_ops'), "opclass='vector_hamming_ops' is not a supported operator class"),
    (spec(opclass='sparsevec_l2_ops'), "opclass='sparsevec_l2_ops' is not a supported operator class"),
    (spec(opclass=None), 'opclass=None is not a supported operator class'),
    (ivf(opclass='vector_l1_ops'), 'opclass=vector_l1_ops cannot be used with method=ivfflat'),
    (ivf(opclass='halfvec_l1_ops'), 'opclass=halfvec_l1_ops cannot be used with method=ivfflat'),
    (ivf(opclass='bit_jaccard_ops'), 'opclass=bit_jaccard_ops cannot be used with method=ivfflat'),
    (spec(m=1), 'm=1 is out of range; pgvector accepts 2 to 100'),
    (spec(m=101, ef_construction=1000), 'm=101 is out of range'),
    (spec(m='16'), "m='16' is out of range"),
    (spec(m=True), 'm=True is out of range'),
    (spec(ef_construction=3), 'ef_construction=3 is out of range; pgvector accepts 4 to 1000'),
    (spec(ef_construction=1001), 'ef_construction=1001 is out of range'),
    (spec(m=16, ef_construction=31), 'ef_construction=31 must be at least 2 * m (m=16, so ef_construction >= 32)'),
    (spec(m=40), 'ef_construction=64 must be at least 2 * m (m=40, so ef_construction >= 80)'),
    (ivf(lists=0), 'lists=0 is out of range; pgvector accepts 1 to 32768'),
    (ivf(lists=32769), 'lists=32769 is out of range'),
    (spec(lists=100), 'lists=100 is an option of method=ivfflat only; method=hnsw does not accept it'),
    (ivf(m=16), 'm=16 is an option of method=hnsw only; method=ivfflat does not accept it'),
    (ivf(ef_construction=64), 'ef_construction=64 is an option of method=hnsw only'),
    (spec(predicate='a = 1; DROP TABLE items'), "contains ';' outside a string literal"),
    (spec(predicate='a = 1 -- comment'), "contains the comment marker '--'"),
    (spec(predicate='a = 1 /* comment */'), "contains the comment marker '/*'"),
    (spec(predicate='a = 1 */'), "contains the comment marker '*/'"),
    (spec(predicate="a = 'open"), 'has an unterminated string literal'),
    (spec(predicate='"open = 1'), 'has an unterminated quoted identifier'),
    (spec(predicate='a = $$open'), 'has an unterminated dollar-quoted string'),
    (spec(predicate="a = E'x\\'; DROP"), 'has an unterminated string literal'),
    (spec(predicate="a = 'x\\'; DROP TABLE t; --'"), "contains ';' outside a string literal"),
    (spec(predicate='(a = 1'), "has 1 '(' without a matching ')'"),
    (spec(predicate='a = 1) OR (b = 2'), "has a ')' without a matching '('"),
    (spec(predicate='a = 1\x00'), 'contains a NUL character'),
    (spec(predicate=''), 'predicate must be a non-empty SQL boolean expression'),
    (spec(predicate='   '), 'predicate must be a non-empty SQL boolean expression'),
    (spec(name='x' * 64), "name='xxxx"),
    (spec(name=''), 'name must be a non-empty string'),
    (spec(name=None), 'name must be a non-empty string'),
    (spec(schema='s' * 64), 'is 64 bytes long'),
    (spec(table='é' * 32), 'is 64 bytes long'),
    (spec(table=''), 'table must be a non-empty string'),
    (spec(table=None), 'table must be a non-empty string'),
    (spec(column=''), 'column must be a non-empty string'),
    (spec(column=None), 'column must be a non-empty string'),
    (spec(column='c' * 64), 'is 64 bytes long'),
    (spec(column='a\x00b'), 'contains a NUL character'),
    (spec(state='gone'), "state='gone' is not supported"),
]


@pytest.mark.parametrize('candidate, fragment', REJECTED_SPECS)
def test_validate_spec_rejects(candidate, fragment):
    errors = pv.validate_spec(candidate)
    assert len(errors) == 1, errors
    assert fragment in errors[0]


def test_validate_spec_reports_every_problem_at_once():
    errors = pv.validate_spec(spec(table='', column='', method='ivfflat', opclass='vector_l1_ops', m=5, predicate='x;'))
    assert len(errors) == 5


def test_method_opclass_allow_lists_follow_pgvector():
    assert set(pv.METHOD_OPCLASSES['hnsw']) == set(pv.OPCLASS_TYPES)
    assert set(pv.OPCLASS_TYPES) - set(pv.METHOD_OPCLASSES['ivfflat']) == {'vector_l1_ops', 'halfvec_l1_ops', 'bit_jaccard_ops'}


# ---------------------------------------------------------------------------
# check_column


@pytest.mark.parametrize('candidate, type_name, typmod', [
    (spec(), 'vector', 1536),
    (spec(), 'vector', 2000),
    (spec(opclass='halfvec_cosine_ops'), 'halfvec', 4000),
    (spec(opclass='bit_hamming_ops'), 'bit', 64000),
    (ivf(opclass='vector_ip_ops'), 'vector', 3),
])
def test_check_column_accepts(candidate, type_name, typmod):
    assert pv.check_column(candidate, type_name, typmod) == []


@pytest.mark.parametrize('candidate, type_name, typmod, fragment', [
    (spec(), None, None, 'column=public.items.embedding: no such column'),
    (spec(), 'halfvec', 768, 'has type halfvec; opclass=vector_l2_ops indexes vector columns'),
    (spec(opclass='bit_hamming_ops'), 'vector', 768, 'has type vector; opclass=bit_hamming_ops indexes bit columns'),
    (spec(), 'text', -1, 'has type text'),
    (spec(), 'vector', -1, 'has no declared dimensions; declare it as vector(n)'),
    (spec(), 'vector', 2001, 'has 2001 dimensions; hnsw indexes of vector columns support at most 2000'),
    (spec(opclass='halfvec_l2_ops'), 'halfvec', 4001, 'support at most 4000'),
    (ivf(opclass='bit_hamming_ops'), 'bit', 64001, 'ivfflat indexes of bit columns support at most 64000'),
])
def test_check_column_rejects(candidate, type_name, typmod, fragment):
    errors = pv.check_column(candidate, type_name, typmod)
    assert len(errors) == 1
    assert fragment in errors[0]


# ---------------------------------------------------------------------------
# SQL building

HNSW_WITH = 'WITH (m = %(m)s, ef_construction = %(ef_construction)s)'
IVF_WITH = 'WITH (lists = %(lists)s)'


@pytest.mark.parametrize('opclass', pv.METHOD_OPCLASSES['hnsw'])
def test_build_create_index_hnsw_every_opclass(opclass):
    sql, params = pv.build_create_index(spec(opclass=opclass))
    assert sql == ('CREATE INDEX CONCURRENTLY "items_embedding_idx" ON "public"."items" USING hnsw ("embedding" %s) %s'
                   % (opclass, HNSW_WITH))
    assert params == {'m': 16, 'ef_construction': 64}


@pytest.mark.parametrize('opclass', pv.METHOD_OPCLASSES['ivfflat'])
def test_build_create_index_ivfflat_every_opclass(opclass):
    sql, params = pv.build_create_index(ivf(opclass=opclass, lists=250))
    assert sql == ('CREATE INDEX CONCURRENTLY "items_embedding_idx" ON "public"."items" USING ivfflat ("embedding" %s) %s'
                   % (opclass, IVF_WITH))
    assert params == {'lists': 250}


@pytest.mark.parametrize('candidate, name, concurrently, expected_sql, expected_params', [
    (spec(m=32, ef_construction=200), None, False,
     'CREATE INDEX "items_embedding_idx" ON "public"."items" USING hnsw ("embedding" vector_l2_ops) ' + HNSW_WITH,
     {'m': 32, 'ef_construction': 200}),
    (spec(), 'items_embedding_idx_gwnew', True,
     'CREATE INDEX CONCURRENTLY "items_embedding_idx_gwnew" ON "public"."items" USING hnsw ("embedding" vector_l2_ops) ' + HNSW_WITH,
     {'m': 16, 'ef_construction': 64}),
    (spec(schema='Search', table='My "Docs"', column='Emb', name='i'), None, True,
     'CREATE INDEX CONCURRENTLY "i" ON "Search"."My ""Docs""" USING hnsw ("Emb" vector_l2_ops) ' + HNSW_WITH,
     {'m': 16, 'ef_construction': 64}),
    (spec(predicate=' category_id = 123 '), None, True,
     'CREATE INDEX CONCURRENTLY "items_embedding_idx" ON "public"."items" USING hnsw ("embedding" vector_l2_ops) '
     + HNSW_WITH + ' WHERE (category_id = 123)',
     {'m': 16, 'ef_construction': 64}),
    (ivf(lists=100, predicate="title LIKE 'a%'"), None, True,
     'CREATE INDEX CONCURRENTLY "items_embedding_idx" ON "public"."items" USING ivfflat ("embedding" vector_l2_ops) '
     + IVF_WITH + " WHERE (title LIKE 'a%%')",
     {'lists': 100}),
    (spec(name='idx%1', column='c%'), None, True,
     'CREATE INDEX CONCURRENTLY "idx%%1" ON "public"."items" USING hnsw ("c%%" vector_l2_ops) ' + HNSW_WITH,
     {'m': 16, 'ef_construction': 64}),
])
def test_build_create_index(candidate, name, concurrently, expected_sql, expected_params):
    sql, params = pv.build_create_index(candidate, name=name, concurrently=concurrently)
    assert sql == expected_sql
    assert params == expected_params
    # Every placeholder has a parameter and the text formats cleanly, as psycopg2 will format it.
    assert set(re.findall(r'%\((\w+)\)s', sql)) == set(params)
    assert '%(' not in sql % params


@pytest.mark.parametrize('candidate, fragment', [
    (spec(method='diskann'), 'method'),
    (ivf(opclass='vector_l1_ops', lists=10), 'opclass'),
    (ivf(), 'lists=None is not a resolved value'),
    (spec(m=1), 'm=1 is not a resolved value'),
    (spec(predicate='1=1; DROP TABLE items'), "';'"),
])
def test_build_create_index_refuses_what_validation_refuses(candidate, fragment):
    with pytest.raises(ValueError, match=re.escape(fragment)):
        pv.build_create_index(candidate)


@pytest.mark.parametrize('concurrently, expected', [
    (True, 'DROP INDEX CONCURRENTLY IF EXISTS "public"."items_embedding_idx"'),
    (False, 'DROP INDEX IF EXISTS "public"."items_embedding_idx"'),
])
def test_build_drop_index(concurrently, expected):
    assert pv.build_drop_index('public', 'items_embedding_idx', concurrently) == (expected, None)


def test_build_rename_index():
    assert pv.build_rename_index('s"x', 'a_gwnew', 'a') == ('ALTER INDEX "s""x"."a_gwnew" RENAME TO "a"', None)


def test_build_settings_statements_bind_values():
    statements = pv.build_settings_statements({'maintenance_work_mem': '2048MB', 'max_parallel_maintenance_workers': 3})
    assert statements == [
        ('SELECT pg_catalog.set_config(%(name)s, %(value)s, false)', {'name': 'maintenance_work_mem', 'value': '2048MB'}),
        ('SELECT pg_catalog.set_config(%(name)s, %(value)s, false)', {'name': 'max_parallel_maintenance_workers', 'value': '3'}),
        ('SELECT pg_catalog.set_config(%(name)s, %(value)s, false)', {'name': 'statement_timeout', 'value': '0'}),
    ]


@pytest.mark.parametrize('name, expected', [
    ('items_embedding_idx', 'items_embedding_idx_gwnew'),
    ('x' * 63, 'x' * 57 + '_gwnew'),
    ('é' * 31, 'é' * 28 + '_gwnew'),
])
def test_temp_index_name_fits(name, expected):
    assert pv.temp_index_name(name) == expected
    assert len(pv.temp_index_name(name).encode('utf-8')) <= 63


def test_render_definition():
    assert pv.render_definition(spec(m=24, ef_construction=100, predicate="t LIKE 'a%'")) == (
        'CREATE INDEX "items_embedding_idx" ON "public"."items" USING hnsw ("embedding" vector_l2_ops) '
        "WITH (m = 24, ef_construction = 100) WHERE (t LIKE 'a%')")


@pytest.mark.parametrize('candidate, expected', [
    (None, ''),
    (index(), 'CREATE INDEX "items_embedding_idx" ON "public"."items" USING hnsw ("embedding" vector_l2_ops) '
              'WITH (m = 16, ef_construction = 64)'),
    (index(reloptions=None, predicate='(a = 1)'),
     'CREATE INDEX "items_embedding_idx" ON "public"."items" USING hnsw ("embedding" vector_l2_ops) '
     'WITH (m = 16, ef_construction = 64) WHERE ((a = 1))'),
    (index(method='ivfflat', reloptions=None),
     'CREATE INDEX "items_embedding_idx" ON "public"."items" USING ivfflat ("embedding" vector_l2_ops) WITH (lists = 100)'),
    (index(columns=['((embedding)::halfvec(3))'], has_expressions=True, definition='CREATE INDEX x ON t USING hnsw (expr)'),
     'CREATE INDEX x ON t USING hnsw (expr)'),
    (index(method='btree', opclasses=['int4_ops'], definition='CREATE INDEX y ON t USING btree (c)'),
     'CREATE INDEX y ON t USING btree (c)'),
    (index(reloptions=['m=1'], definition='CREATE INDEX z'), 'CREATE INDEX z'),
])
def test_describe_index(candidate, expected):
    assert pv.describe_index(candidate) == expected


# ---------------------------------------------------------------------------
# Catalog parsing


@pytest.mark.parametrize('reloptions, expected', [
    (None, {}),
    ([], {}),
    (['m=16', 'ef_construction=64'], {'m': 16, 'ef_construction': 64}),
    (['lists=100'], {'lists': 100}),
    (['fillfactor=90', 'odd=x=y', 'broken'], {'fillfactor': 90, 'odd': 'x=y'}),
])
def test_parse_reloptions(reloptions, expected):
    assert pv.parse_reloptions(reloptions) == expected


def test_parse_index():
    parsed = index(predicate='(category_id = 123)', valid=False, size_bytes=16384)
    assert parsed == {
        'schema': 'public', 'name': 'items_embedding_idx', 'table': 'items', 'columns': ['embedding'],
        'column': 'embedding', 'expression': False, 'method': 'hnsw', 'opclasses': ['vector_l2_ops'],
        'opclass': 'vector_l2_ops', 'options': {'m': 16, 'ef_construction': 64}, 'predicate': '(category_id = 123)',
        'valid': False, 'ready': True, 'size_bytes': 16384, 'definition': row()['definition'],
    }


def test_parse_index_expression_and_missing():
    parsed = index(columns=['((embedding)::halfvec(3))'], opclasses=['halfvec_l2_ops'], has_expressions=True,
                   reloptions=None, size_bytes=None)
    assert parsed['column'] is None and parsed['expression'] is True
    assert parsed['options'] == {} and parsed['size_bytes'] is None
    assert pv.parse_index(None) is None


@pytest.mark.parametrize('candidate, table, expected', [
    (index(index_name='items_embedding_idx_gwnew'), 'items', True),
    (index(index_name='items_embedding_idx_gwnew', method='ivfflat'), 'items', True),
    (index(index_name='items_embedding_idx_gwnew', method='btree'), 'items', False),
    (index(index_name='items_embedding_idx_gwnew'), 'other', False),
    (None, 'items', False),
])
def test_is_leftover(candidate, table, expected):
    assert pv.is_leftover(candidate, table) is expected


# ---------------------------------------------------------------------------
# Predicates


@pytest.mark.parametrize('left, right', [
    ('category_id = 123', '(category_id = 123)'),
    ('category_id = 123', '((category_id   =   123))'),
    ('Category_ID = 123', 'category_id = 123'),
    ('(a = 1) AND (b = 2)', '( (a = 1) AND (b = 2) )'),
    ("s = 'X  Y'", "(s = 'X  Y')"),
])
def test_normalize_predicate_equal(left, right):
    assert pv.normalize_predicate(left) == pv.normalize_predicate(right)


@pytest.mark.parametrize('left, right', [
    ("s = 'X'", "s = 'x'"),
    ('"Col" = 1', '"col" = 1'),
    ('(a = 1) AND (b = 2)', 'a = 1 AND b = 3'),
    ('a = 1', 'a = 2'),
])
def test_normalize_predicate_different(left, right):
    assert pv.normalize_predicate(left) != pv.normalize_predicate(right)


@pytest.mark.parametrize('value, expected', [
    (None, None),
    ('', None),
    ('(a = 1) AND (b = 2)', '(a = 1) and (b = 2)'),
    ("((s = 'A  B'))", "s = 'A  B'"),
])
def test_normalize_predicate(value, expected):
    assert pv.normalize_predicate(value) == expected


def test_scan_sql_segments_join_back():
    text = "a = E'x\\'y' AND \"Q;\" = $t$;$t$ AND b = 'c''d'"
    segments = pv.scan_sql(text)
    assert ''.join(value for kind, value in segments) == text
    assert [kind for kind, value in segments] == ['code', 'literal', 'code', 'quoted', 'code', 'literal', 'code', 'literal']


# ---------------------------------------------------------------------------
# plan()


def kinds(actions):
    return [action['action'] for action in actions]


@pytest.mark.parametrize('current, desired, state, leftover, expected', [
    # absent -> create
    (None, spec(), 'present', None, ['create']),
    (None, ivf(lists=10), 'present', None, ['create']),
    # equal -> none
    (index(), spec(), 'present', None, ['none']),
    (index(), spec(m=16, ef_construction=64), 'present', None, ['none']),
    (index(reloptions=None), spec(), 'present', None, ['none']),
    (index(predicate='(category_id = 123)'), spec(predicate='category_id = 123'), 'present', None, ['none']),
    (index(method='ivfflat', reloptions=['lists=42']), ivf(), 'present', None, ['none']),
    (index(method='ivfflat', reloptions=['lists=42']), ivf(lists=42), 'present', None, ['none']),
    # drift -> rebuild
    (index(), spec(m=32), 'present', None, ['rebuild']),
    (index(), spec(ef_construction=128), 'present', None, ['rebuild']),
    (index(reloptions=['m=24']), spec(), 'present', None, ['rebuild']),
    (index(method='ivfflat', reloptions=['lists=42']), ivf(lists=100), 'present', None, ['rebuild']),
    (index(), spec(opclass='vector_cosine_ops'), 'present', None, ['rebuild']),
    (index(), ivf(lists=10), 'present', None, ['rebuild']),
    (index(), spec(column='embedding2'), 'present', None, ['rebuild']),
    (index(columns=['((embedding)::halfvec(3))'], has_expressions=True), spec(), 'present', None, ['rebuild']),
    (index(), spec(table='other'), 'present', None, ['rebuild']),
    (index(), spec(predicate='category_id = 1'), 'present', None, ['rebuild']),
    (index(predicate='(category_id = 1)'), spec(), 'present', None, ['rebuild']),
    (index(predicate='(category_id = 1)'), spec(predicate='category_id = 2'), 'present', None, ['rebuild']),
    # invalid -> repair
    (index(valid=False), spec(), 'present', None, ['repair']),
    (index(valid=False), spec(m=32), 'present', None, ['repair']),
    (index(valid=False), spec(), 'rebuilt', None, ['repair']),
    # present -> absent
    (index(), spec(state='absent'), 'absent', None, ['drop']),
    (index(valid=False), spec(state='absent'), 'absent', None, ['drop']),
    # absent -> absent
    (None, spec(state='absent'), 'absent', None, ['none']),
    # rebuilt
    (index(), spec(), 'rebuilt', None, ['rebuild']),
    (None, spec(), 'rebuilt', None, ['create']),
    # leftovers of an interrupted rebuild
    (None, spec(), 'present', index(index_name='items_embedding_idx_gwnew'), ['adopt_leftover']),
    (None, spec(m=32), 'present', index(index_name='items_embedding_idx_gwnew'), ['drop_leftover', 'create']),
    (None, spec(), 'present', index(index_name='items_embedding_idx_gwnew', valid=False), ['drop_leftover', 'create']),
    (index(), spec(), 'present', index(index_name='items_embedding_idx_gwnew', valid=False), ['drop_leftover']),
    (index(), spec(m=32), 'present', index(index_name='items_embedding_idx_gwnew'), ['drop_leftover', 'rebuild']),
    (None, spec(), 'rebuilt', index(index_name='items_embedding_idx_gwnew'), ['drop_leftover', 'create']),
    (index(), spec(state='absent'), 'absent', index(index_name='items_embedding_idx_gwnew'), ['drop_leftover', 'drop']),
])
def test_plan(current, desired, state, leftover, expected):
    assert kinds(pv.plan(current, desired, state, leftover)) == expected


def test_plan_rebuild_reports_the_changes():
    actions = pv.plan(index(), spec(m=32, opclass='vector_cosine_ops', predicate='a = 1'), 'present')
    assert actions[0]['changes'] == {
        'm': {'before': 16, 'after': 32},
        'opclass': {'before': 'vector_l2_ops', 'after': 'vector_cosine_ops'},
        'predicate': {'before': None, 'after': 'a = 1'},
    }
    assert actions[0]['reason'] == 'parameters differ: m 16 -> 32, opclass vector_l2_ops -> vector_cosine_ops, predicate None -> a = 1'


def test_plan_method_change_reports_method_not_options():
    actions = pv.plan(index(), ivf(lists=10), 'present')
    assert actions[0]['changes'] == {'method': {'before': 'hnsw', 'after': 'ivfflat'}}


def test_plan_uses_canonical_predicates_when_given():
    current = index(predicate="(status = 'a'::text)")
    desired = spec(predicate="status = 'a'")
    assert kinds(pv.plan(current, desired, 'present')) == ['rebuild']
    current['predicate_canonical'] = desired['predicate_canonical'] = "SELECT 1 WHERE (items.status = 'a'::text);"
    assert kinds(pv.plan(current, desired, 'present')) == ['none']


def test_plan_refuses_unknown_state():
    with pytest.raises(ValueError):
        pv.plan(None, spec(), 'latest')


@pytest.mark.parametrize('actions, expected', [
    ([{'action': 'none'}], False),
    ([{'action': 'drop'}], False),
    ([{'action': 'drop_leftover'}, {'action': 'adopt_leftover'}], False),
    ([{'action': 'create'}], True),
    ([{'action': 'drop_leftover'}, {'action': 'rebuild'}], True),
    ([{'action': 'repair'}], True),
])
def test_needs_build(actions, expected):
    assert pv.needs_build(actions) is expected


CREATE = 'CREATE INDEX CONCURRENTLY "items_embedding_idx" ON "public"."items" USING hnsw ("embedding" vector_l2_ops) ' + HNSW_WITH
CREATE_TEMP = CREATE.replace('"items_embedding_idx"', '"items_embedding_idx_gwnew"')
CREATE_LOCKING = CREATE.replace('CONCURRENTLY ', '')
DROP = 'DROP INDEX CONCURRENTLY IF EXISTS "public"."items_embedding_idx"'
DROP_TEMP = 'DROP INDEX CONCURRENTLY IF EXISTS "public"."items_embedding_idx_gwnew"'
DROP_LOCKING = 'DROP INDEX IF EXISTS "public"."items_embedding_idx"'
RENAME = 'ALTER INDEX "public"."items_embedding_idx_gwnew" RENAME TO "items_embedding_idx"'


@pytest.mark.parametrize('kinds_, concurrently, expected', [
    (['none'], True, []),
    (['create'], True, [[CREATE]]),
    (['create'], False, [[CREATE_LOCKING]]),
    (['drop'], True, [[DROP]]),
    (['drop'], False, [[DROP_LOCKING]]),
    (['repair'], True, [[DROP], [CREATE]]),
    (['repair'], False, [[DROP_LOCKING, CREATE_LOCKING]]),
    (['rebuild'], True, [[CREATE_TEMP], [DROP], [RENAME]]),
    (['rebuild'], False, [[DROP_LOCKING, CREATE_LOCKING]]),
    (['drop_leftover', 'create'], True, [[DROP_TEMP], [CREATE]]),
    (['adopt_leftover'], True, [[RENAME]]),
])
def test_statements_for(kinds_, concurrently, expected):
    actions = [{'action': kind, 'reason': '', 'changes': {}} for kind in kinds_]
    units = pv.statements_for(actions, spec(), concurrently)
    assert [[sql for sql, params in unit] for unit in units] == expected


def test_statements_for_refuses_unknown_action():
    with pytest.raises(ValueError):
        pv.statements_for([{'action': 'vacuum'}], spec())


# ---------------------------------------------------------------------------
# Sizing


@pytest.mark.parametrize('dims, element_bytes, expected', [
    (3, 4.0, 24),
    (1536, 4.0, 6152),
    (1536, 2.0, 3080),
    (1024, 0.125, 136),
    (1, 0.125, 16),
])
def test_value_bytes(dims, element_bytes, expected):
    assert pv.value_bytes(dims, element_bytes) == expected


def test_hnsw_graph_bytes():
    # 144 overhead + 6152 value + 2 * 16 * 16 layer-0 candidates + ceil((8 + 16 * 16) / 15) upper layers
    assert pv.hnsw_graph_bytes(1, 1536, 4.0, 16) == 144 + 6152 + 512 + 18
    assert pv.hnsw_graph_bytes(1000000, 1536, 4.0, 16) == 6826 * 1000000
    assert pv.hnsw_graph_bytes(1000, 768, 2.0, 16) < pv.hnsw_graph_bytes(1000, 768, 4.0, 16)
    assert pv.hnsw_graph_bytes(1000, 768, 4.0, 48) > pv.hnsw_graph_bytes(1000, 768, 4.0, 16)
    assert pv.hnsw_graph_bytes(0, 768, 4.0, 16) == 0


def test_ivfflat_kmeans_bytes():
    # 10000 samples (the minimum), 100 lists, 768 dims: samples + 2 * centers, then Elkan's bounds.
    expected = (10000 + 200) * 3080 + 4 * (100 + 10000 + 10000 * 100 + 10000 + 100 + 100 * 100 + 100)
    assert pv.ivfflat_kmeans_bytes(100000, 768, 4.0, 100) == expected
    # 50 samples per list above 200 lists; halfvec adds float aggregates of the centers
    assert pv.ivfflat_kmeans_bytes(10 ** 7, 768, 4.0, 1000) > 200 * pv.MIB
    assert pv.ivfflat_kmeans_bytes(10 ** 6, 768, 2.0, 100) > pv.ivfflat_kmeans_bytes(10 ** 6, 768, 2.0, 50)


@pytest.mark.parametrize('rows, expected', [
    (0, 1),
    (999, 1),
    (250000, 250),
    (1000000, 1000),
    (4000000, 2000),
    (10 ** 10, 32768),
])
def test_auto_lists(rows, expected):
    assert pv.auto_lists(rows) == expected


@pytest.mark.parametrize('reltuples, table_bytes, value_size, expected', [
    (12345.0, 10 ** 9, 6152, 12345),
    (-1.0, 6184 * 1000, 6152, 1000),
    (0.0, 0, 6152, 0),
    (None, None, 6152, 0),
])
def test_estimate_rows(reltuples, table_bytes, value_size, expected):
    assert pv.estimate_rows(reltuples, table_bytes, value_size) == expected


@pytest.mark.parametrize('value, expected', [
    ('512MB', 512 * pv.MIB),
    ('2GB', 2 * GIB),
    ('2gb', 2 * GIB),
    ('65536kB', 64 * pv.MIB),
    ('1TB', 1024 * GIB),
    ('1024', pv.MIB),
    (1024, pv.MIB),
])
def test_parse_memory(value, expected):
    assert pv.parse_memory(value) == expected


@pytest.mark.parametrize('value', ['', 'lots', '1.5GB', '-1MB', '10 PB', '1GiB'])
def test_parse_memory_rejects(value):
    with pytest.raises(ValueError, match='is not a memory size'):
        pv.parse_memory(value)


def test_parse_meminfo():
    assert pv.parse_meminfo('MemTotal:       16318712 kB\nMemFree:         1006160 kB\n') == 16318712 * 1024
    assert pv.parse_meminfo('nothing here') is None
    assert pv.parse_meminfo(None) is None


@pytest.mark.parametrize('table_bytes, expected', [
    (0, 0),
    (8 * pv.MIB - 1, 0),
    (8 * pv.MIB, 1),
    (24 * pv.MIB - 1, 1),
    (24 * pv.MIB, 2),
    (72 * pv.MIB, 3),
    (8 * GIB, 7),
])
def test_parallel_workers_for_table(table_bytes, expected):
    assert pv.parallel_workers_for_table(table_bytes) == expected


def test_size_small_table_keeps_server_memory_and_no_workers():
    settings = pv.size_build_settings(1000, 1536, 4.0, 16, 16 * GIB, 8, table_bytes=7 * pv.MIB)
    assert settings['maintenance_work_mem'] == '64MB'  # the estimate (~23MB) is below the server's 64MB
    assert settings['max_parallel_maintenance_workers'] == 0
    assert settings['fits_in_memory'] is True
    assert settings['estimated_memory_bytes'] == 6826 * 1000
    assert settings['source'] == {'maintenance_work_mem': 'auto', 'max_parallel_maintenance_workers': 'auto'}
    assert settings['notes'] == []


def test_size_large_table_sized_to_the_graph():
    settings = pv.size_build_settings(1000000, 1536, 4.0, 16, 64 * GIB, 8, table_bytes=8 * GIB,
                                      server={'max_parallel_workers': 8})
    wanted = int(6826 * 1000000 * pv.ESTIMATE_MARGIN) + pv.ESTIMATE_FIXED
    assert settings['maintenance_work_mem_bytes'] == -(-wanted // pv.MIB) * pv.MIB
    assert settings['maintenance_work_mem'] == '%dMB' % -(-wanted // pv.MIB)
    assert settings['fits_in_memory'] is True
    assert settings['memory_cap_bytes'] == 16 * GIB
    assert settings['max_parallel_maintenance_workers'] == 7  # 8 CPUs less the leader; the table allows 7
    assert settings['notes'] == []


def test_size_capped_by_host_memory():
    settings = pv.size_build_settings(1000000, 1536, 4.0, 16, 8 * GIB, 4, table_bytes=8 * GIB)
    assert settings['maintenance_work_mem'] == '2048MB'  # 25% of 8GB
    assert settings['fits_in_memory'] is False
    assert settings['max_parallel_maintenance_workers'] == 3  # 4 CPUs less the leader
    assert any('capped at 2048MB' in note for note in settings['notes'])
    assert any('does not fit' in note for note in settings['notes'])


def test_size_memory_fraction():
    settings = pv.size_build_settings(1000000, 1536, 4.0, 16, 8 * GIB, 4, memory_fraction=0.5)
    assert settings['maintenance_work_mem'] == '4096MB'


def test_size_workers_limited_by_server_and_memory():
    settings = pv.size_build_settings(10 ** 6, 1536, 4.0, 16, 64 * GIB, 32, table_bytes=100 * GIB,
                                      server={'max_parallel_workers': 4})
    assert settings['max_parallel_maintenance_workers'] == 4
    settings = pv.size_build_settings(0, 3, 4.0, 16, 64 * GIB, 32, table_bytes=100 * GIB,
                                      server={'maintenance_work_mem_bytes': 64 * pv.MIB})
    assert settings['max_parallel_maintenance_workers'] == 1  # 64MB leaves 32MB for the leader and one worker


def test_size_overrides_win():
    settings = pv.size_build_settings(1000000, 1536, 4.0, 16, 8 * GIB, 4, table_bytes=8 * GIB,
                                      overrides={'maintenance_work_mem': '1GB', 'max_parallel_maintenance_workers': 0})
    assert settings['maintenance_work_mem'] == '1024MB'
    assert settings['max_parallel_maintenance_workers'] == 0
    assert settings['memory_cap_bytes'] is None
    assert settings['source'] == {'maintenance_work_mem': 'option', 'max_parallel_maintenance_workers': 'option'}


def test_size_unknown_host_keeps_server_settings():
    settings = pv.size_build_settings(1000000, 1536, 4.0, 16, None, None, table_bytes=8 * GIB,
                                      server={'maintenance_work_mem_bytes': 256 * pv.MIB, 'max_parallel_maintenance_workers': 2})
    assert settings['maintenance_work_mem'] == '256MB'
    assert settings['max_parallel_maintenance_workers'] == 2
    assert settings['source']['maintenance_work_mem'] == 'server'
    assert any('host memory unknown' in note for note in settings['notes'])
    assert any('CPU count unknown' in note for note in settings['notes'])


def test_size_never_lowers_the_server_setting():
    settings = pv.size_build_settings(10, 3, 4.0, 16, 1 * GIB, 2, server={'maintenance_work_mem_bytes': 512 * pv.MIB})
    assert settings['maintenance_work_mem'] == '512MB'


def test_size_ivfflat_uses_kmeans_memory():
    settings = pv.size_build_settings(100000, 768, 4.0, 16, 16 * GIB, 4, method='ivfflat', lists=100, table_bytes=320 * pv.MIB)
    assert settings['required_memory_bytes'] == pv.ivfflat_kmeans_bytes(100000, 768, 4.0, 100)
    assert settings['estimated_memory_bytes'] == 100000 * (3080 + 48)
    assert settings['fits_in_memory'] is True
    assert settings['notes'] == []


def test_size_ivfflat_warns_when_kmeans_cannot_run():
    settings = pv.size_build_settings(10 ** 8, 2000, 4.0, 16, 4 * GIB, 4, method='ivfflat', lists=32768)
    assert any('the build will fail' in note for note in settings['notes'])


def test_size_ivfflat_picks_lists_from_rows():
    settings = pv.size_build_settings(250000, 768, 4.0, 16, 16 * GIB, 4, method='ivfflat')
    assert settings['required_memory_bytes'] == pv.ivfflat_kmeans_bytes(250000, 768, 4.0, 250)


def test_size_clamped_to_postgres_limits():
    settings = pv.size_build_settings(10 ** 12, 2000, 4.0, 100, 2 ** 50, 4, memory_fraction=0.9)
    assert settings['maintenance_work_mem_bytes'] <= pv.PG_MAX_MAINTENANCE_WORK_MEM
    assert settings['maintenance_work_mem'] == '2097151MB'
    settings = pv.size_build_settings(0, 3, 4.0, 16, 2 * GIB, 1, server={'maintenance_work_mem_bytes': 1024})
    assert settings['maintenance_work_mem'] == '16MB'  # an empty table still gets the fixed 16MB
    settings = pv.size_build_settings(0, 3, 4.0, 16, None, 1, server={'maintenance_work_mem_bytes': 1024})
    assert settings['maintenance_work_mem'] == '1MB'  # never below PostgreSQL's minimum


# --- an index build's progress (pg_stat_progress_create_index) ---

def test_build_progress_line_gives_the_phase_and_the_share_of_blocks():
    row = {'phase': 'building index: loading tuples', 'blocks_total': 2730, 'blocks_done': 1234,
           'tuples_total': 0, 'tuples_done': 50000, 'lockers_total': 0, 'lockers_done': 0}
    assert pv.build_progress_line('index docs_hnsw', row) == \
        'index docs_hnsw: building index: loading tuples, 45.2% of blocks (1234 of 2730)'


def test_build_progress_line_falls_back_to_tuples_and_names_the_waits():
    row = {'phase': 'index validation: sorting tuples', 'blocks_total': 0, 'blocks_done': 0,
           'tuples_total': 400, 'tuples_done': 100, 'lockers_total': 0, 'lockers_done': 0}
    assert pv.build_progress_line('index x', row) == 'index x: index validation: sorting tuples, 25.0% of tuples (100 of 400)'
    row = {'phase': 'waiting for writers before build', 'blocks_total': 0, 'blocks_done': 0,
           'tuples_total': 0, 'tuples_done': 0, 'lockers_total': 3, 'lockers_done': 1}
    assert pv.build_progress_line('index x', row) == 'index x: waiting for writers before build, waiting for 2 of 3 transactions'
    assert pv.build_progress_line('index x', {'phase': None}) == 'index x: unknown phase'


def test_build_progress_writes_each_change_once_and_how_it_ended():
    rows = [{'phase': 'initializing'}, {'phase': 'initializing'},
            {'phase': 'building index: loading tuples', 'blocks_total': 10, 'blocks_done': 5}, None]
    lines = []
    done = []

    def sample():
        row = rows.pop(0) if rows else None
        if not rows:
            done.append(True)
        return row

    watch = pv.BuildProgress('index x', sample, lines.append, every=0.001).start()
    while not done:
        time.sleep(0.001)
    watch.stop()
    assert lines == ['index x: started', 'index x: initializing',
                     'index x: building index: loading tuples, 50.0% of blocks (5 of 10)', 'index x: finished']


def test_build_progress_stops_watching_when_a_sample_fails():
    lines = []

    def sample():
        raise RuntimeError('connection lost')

    watch = pv.BuildProgress('index x', sample, lines.append, every=0.001).start()
    watch.thread.join(5)
    watch.stop('failed')
    assert lines == ['index x: started', 'index x: progress unavailable (connection lost)', 'index x: failed']
