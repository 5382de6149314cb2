# -*- coding: utf-8 -*-
# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.groundwork.stack.plugins.plugin_utils.pgbouncer import auth_hba_rules, host_address
from ansible_collections.groundwork.stack.plugins.filter.pgbouncer_auth_hba import pgbouncer_auth_hba
from ansible.errors import AnsibleFilterError

HOSTVARS = {
    'db': {'ansible_facts': {'default_ipv4': {'address': '10.0.0.10'}}},
    'app1': {'ansible_facts': {'default_ipv4': {'address': '10.0.0.21'}}, 'ansible_host': '192.0.2.1'},
    'app2': {'ansible_host': '10.0.0.22'},
    'app6': {'ansible_host': '2001:db8::22'},
    'noaddr': {'ansible_host': 'app.example.com'},
    'empty': {},
}


def rule(address, user='pgbouncer_auth', database='postgres'):
    return {'type': 'hostssl', 'database': database, 'user': user, 'address': address, 'method': 'cert'}


def pooled(address):
    return {'type': 'hostssl', 'database': 'all', 'user': 'all', 'address': address, 'method': 'scram-sha-256'}


@pytest.mark.parametrize('hosts, server, kwargs, expected', [
    (['app1'], 'db', {}, [rule('10.0.0.21/32')]),
    (['app2'], 'db', {}, [rule('10.0.0.22/32')]),
    (['app6'], 'db', {}, [rule('2001:db8::22/128')]),
    (['db'], 'db', {}, [rule('127.0.0.1/32')]),
    (['app1', 'app2', 'app1'], 'db', {}, [rule('10.0.0.21/32'), rule('10.0.0.22/32')]),
    (['app1'], 'db', {'auth_user': 'lookup', 'dbname': 'app'}, [rule('10.0.0.21/32', 'lookup', 'app')]),
    ([], 'db', {}, []),
    (None, 'db', {}, []),
    (['app1', 'db'], 'db', {'pooled': True},
     [rule('10.0.0.21/32'), pooled('10.0.0.21/32'), rule('127.0.0.1/32'), pooled('127.0.0.1/32')]),
    (['app1', 'app1'], 'db', {'pooled': True}, [rule('10.0.0.21/32'), pooled('10.0.0.21/32')]),
    (['app6'], 'db', {'pooled': True, 'auth_user': 'lookup'}, [rule('2001:db8::22/128', 'lookup'), pooled('2001:db8::22/128')]),
])
def test_rules(hosts, server, kwargs, expected):
    assert auth_hba_rules(hosts, HOSTVARS, server, **kwargs) == expected


@pytest.mark.parametrize('hosts, kwargs, error, match', [
    (['noaddr'], {}, ValueError, 'no IP address'),
    (['empty'], {}, ValueError, 'no IP address'),
    (['unknown'], {}, ValueError, 'no IP address'),
    (['app1'], {'auth_user': 'Bad-Name'}, ValueError, 'auth_user'),
    (['app1'], {'auth_user': 'x; DROP'}, ValueError, 'auth_user'),
    (['app1'], {'dbname': 'a b'}, ValueError, 'dbname'),
    ('app1', {}, TypeError, 'list'),
])
def test_rejections(hosts, kwargs, error, match):
    with pytest.raises(error, match=match):
        auth_hba_rules(hosts, HOSTVARS, 'db', **kwargs)


@pytest.mark.parametrize('host, expected', [
    ('db', '10.0.0.10'),
    ('app1', '10.0.0.21'),
    ('app2', '10.0.0.22'),
])
def test_host_address(host, expected):
    assert host_address(HOSTVARS, host) == expected


@pytest.mark.parametrize('hosts, kwargs', [
    (['noaddr'], {}),
    ('app1', {}),
    (['app1'], {'dbname': 'A'}),
])
def test_filter_reports_errors_as_filter_errors(hosts, kwargs):
    with pytest.raises(AnsibleFilterError, match='pgbouncer_auth_hba'):
        pgbouncer_auth_hba(hosts, HOSTVARS, 'db', **kwargs)


def test_filter_returns_rules():
    assert pgbouncer_auth_hba(['app1'], HOSTVARS, 'db') == [rule('10.0.0.21/32')]


def test_filter_returns_pooled_rules():
    assert pgbouncer_auth_hba(['app1'], HOSTVARS, 'db', pooled=True) == [rule('10.0.0.21/32'), pooled('10.0.0.21/32')]
