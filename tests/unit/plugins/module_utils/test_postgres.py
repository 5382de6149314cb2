# -*- coding: utf-8 -*-
# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for the connection options, connection parameters and identifier quoting."""

from __future__ import annotations

import pytest
import yaml

from ansible_collections.groundwork.stack.plugins.doc_fragments.postgres import ModuleDocFragment
from ansible_collections.groundwork.stack.plugins.module_utils import postgres

QUOTED = [
    (('items',), '"items"'),
    (('Items',), '"Items"'),
    (('public', 'items'), '"public"."items"'),
    (('my schema', 'my table'), '"my schema"."my table"'),
    (('we"ird',), '"we""ird"'),
    (('"',), '""""'),
    (('a.b',), '"a.b"'),
    (('s', 'a.b'), '"s"."a.b"'),
    (('idx; DROP TABLE x; --',), '"idx; DROP TABLE x; --"'),
    (('vecteur_été',), '"vecteur_été"'),
    (('x' * 63,), '"%s"' % ('x' * 63)),
    (('é' * 31 + 'x',), '"%s"' % ('é' * 31 + 'x')),
]

# (parts, fragment of the error): every way a name is refused.
REFUSED = [
    ((), 'at least one name'),
    (('',), 'non-empty'),
    (('public', ''), 'non-empty'),
    ((None,), 'non-empty'),
    ((42,), 'non-empty'),
    (('x' * 64,), '64 bytes'),
    (('é' * 32,), '64 bytes'),
    (('public', 'y' * 100), '100 bytes'),
    (('a\x00b',), 'NUL'),
]


@pytest.mark.parametrize('parts, expected', QUOTED)
def test_quote_identifier(parts, expected):
    assert postgres.quote_identifier(*parts) == expected


@pytest.mark.parametrize('parts, fragment', REFUSED)
def test_quote_identifier_refuses(parts, fragment):
    with pytest.raises(ValueError, match=fragment):
        postgres.quote_identifier(*parts)


@pytest.mark.parametrize('value, option, fragment', [
    ('', 'table', 'table must be a non-empty string'),
    (None, 'column', 'column must be a non-empty string'),
    ('x' * 64, 'name', 'name='),
    ('\x00', 'schema', 'schema='),
])
def test_identifier_error_names_the_option(value, option, fragment):
    assert fragment in postgres.identifier_error(value, option)


@pytest.mark.parametrize('value', ['items', 'x' * 63, 'é' * 31, 'with space', 'MiXeD'])
def test_identifier_error_accepts(value):
    assert postgres.identifier_error(value, 'table') is None


@pytest.mark.parametrize('value, size, expected', [
    ('abc', 63, 'abc'),
    ('x' * 70, 63, 'x' * 63),
    ('é' * 40, 63, 'é' * 31),
    ('aé', 2, 'a'),
])
def test_truncate_identifier_keeps_whole_characters(value, size, expected):
    assert postgres.truncate_identifier(value, size) == expected


def test_argument_spec_options_and_secrets():
    spec = postgres.postgres_argument_spec()
    assert set(spec) == {
        'login_user', 'login_password', 'login_host', 'login_port', 'login_unix_socket', 'login_db',
        'ssl_mode', 'ca_cert', 'ssl_cert', 'ssl_key', 'connect_params',
    }
    assert spec['login_password']['no_log'] is True
    # connect_params may carry a password (audit finding): hidden as well.
    assert spec['connect_params']['no_log'] is True
    assert spec['ssl_mode']['choices'] == ['allow', 'disable', 'prefer', 'require', 'verify-ca', 'verify-full']
    assert spec['login_port'] == {'type': 'int', 'default': 5432}


def test_argument_spec_takes_module_options_and_returns_fresh_dicts():
    spec = postgres.postgres_argument_spec(name=dict(type='str', required=True), login_db=dict(type='str', required=True))
    assert spec['name'] == {'type': 'str', 'required': True}
    assert spec['login_db'] == {'type': 'str', 'required': True}
    assert 'required' not in postgres.postgres_argument_spec()['login_db']


def _fragment_options():
    return yaml.safe_load(ModuleDocFragment.DOCUMENTATION)['options']


def test_doc_fragment_documents_exactly_the_argument_spec():
    assert set(_fragment_options()) == set(postgres.postgres_argument_spec())


@pytest.mark.parametrize('option', sorted(postgres.postgres_argument_spec()))
def test_doc_fragment_agrees_with_argument_spec(option):
    doc = _fragment_options()[option]
    spec = postgres.postgres_argument_spec()[option]
    assert doc['type'] == spec['type']
    assert doc.get('default') == spec.get('default')
    assert doc.get('choices') == spec.get('choices')
    assert doc.get('aliases') == spec.get('aliases')
    assert doc['description']


PARAMS = dict(login_user='postgres', login_password='', login_host='', login_port=5432, login_unix_socket='',
              login_db=None, ssl_mode='prefer', ca_cert=None, ssl_cert=None, ssl_key=None, connect_params={})


@pytest.mark.parametrize('changes, expected', [
    ({}, {'user': 'postgres', 'port': 5432, 'sslmode': 'prefer'}),
    ({'login_db': 'app', 'login_password': 's3cret'},
     {'user': 'postgres', 'password': 's3cret', 'port': 5432, 'sslmode': 'prefer', 'dbname': 'app'}),
    ({'login_unix_socket': '/run/postgresql'},
     {'user': 'postgres', 'port': 5432, 'sslmode': 'prefer', 'host': '/run/postgresql'}),
    ({'login_host': 'localhost', 'login_unix_socket': '/run/postgresql'},
     {'user': 'postgres', 'port': 5432, 'sslmode': 'prefer', 'host': '/run/postgresql'}),
    ({'login_host': 'db1.example.org', 'login_unix_socket': '/run/postgresql'},
     {'user': 'postgres', 'port': 5432, 'sslmode': 'prefer', 'host': 'db1.example.org'}),
    ({'ssl_mode': 'verify-full', 'ca_cert': '/etc/ca.pem', 'ssl_cert': '/c.pem', 'ssl_key': '/c.key'},
     {'user': 'postgres', 'port': 5432, 'sslmode': 'verify-full', 'sslrootcert': '/etc/ca.pem',
      'sslcert': '/c.pem', 'sslkey': '/c.key'}),
    ({'connect_params': {'connect_timeout': 5, 'sslmode': 'disable'}},
     {'user': 'postgres', 'port': 5432, 'sslmode': 'disable', 'connect_timeout': 5}),
])
def test_connection_params(changes, expected):
    params = dict(PARAMS, **changes)
    assert postgres.connection_params(params) == expected


def test_connection_params_application_name_yields_to_connect_params():
    assert postgres.connection_params(PARAMS, application_name='gw')['application_name'] == 'gw'
    params = dict(PARAMS, connect_params={'application_name': 'mine'})
    assert postgres.connection_params(params, application_name='gw')['application_name'] == 'mine'


@pytest.mark.parametrize('host, remote', [
    ('', False),
    ('/run/postgresql', False),
    ('localhost', False),
    ('127.0.0.1', False),
    ('::1', False),
    ('db1.example.org', True),
    ('10.0.0.5', True),
])
def test_is_remote_host(host, remote):
    assert postgres.is_remote_host({'login_host': host}) is remote


class _Failed(Exception):
    pass


class _FakeModule:
    params = PARAMS

    def fail_json(self, **kwargs):
        raise _Failed(kwargs)


def test_missing_psycopg2_is_reported_with_missing_required_lib(monkeypatch):
    monkeypatch.setattr(postgres, 'HAS_PSYCOPG2', False)
    with pytest.raises(_Failed) as failed:
        postgres.ensure_psycopg2(_FakeModule())
    assert 'psycopg2' in failed.value.args[0]['msg']


def test_connection_failure_is_reported(monkeypatch):
    if not postgres.HAS_PSYCOPG2:
        pytest.skip('psycopg2 is not installed')

    def refuse(**kwargs):
        raise postgres.psycopg2.OperationalError('connection refused')

    monkeypatch.setattr(postgres.psycopg2, 'connect', refuse)
    with pytest.raises(_Failed) as failed:
        postgres.connect(_FakeModule())
    assert failed.value.args[0]['msg'] == 'Unable to connect to PostgreSQL: connection refused'
