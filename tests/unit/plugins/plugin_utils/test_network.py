# -*- coding: utf-8 -*-
# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.groundwork.stack.plugins.filter import host_url as host_url_filter
from ansible_collections.groundwork.stack.plugins.plugin_utils import network
from ansible_collections.groundwork.stack.plugins.plugin_utils.network import is_cidr
from ansible_collections.groundwork.stack.plugins.test import cidr as cidr_test


@pytest.mark.parametrize('value', [
    '10.0.0.0/8', '10.213.0.0/24', '192.0.2.7/32', '0.0.0.0/0', '::/0', '::1/128', '2001:db8::/32',
])
def test_accepted(value):
    assert is_cidr(value) is True
    assert cidr_test.TestModule().tests()['cidr'](value) is True


@pytest.mark.parametrize('value', [
    '10.0.0.5/24',        # host bits set
    '10.0.0.0/33',        # prefix out of range
    '10.0.0.0',           # no prefix
    '300.1.1.1/32',       # not an address
    '10.0.0.0/24 ',       # trailing space
    '10.0.0.0/24\n',      # trailing newline
    'samenet',
    '',
    None,
    24,
    ['10.0.0.0/8'],
    '2001:db8::1/32',     # host bits set (IPv6)
])
def test_rejected(value):
    assert is_cidr(value) is False


HOSTVARS = {
    # Facts gathered in this run: they win over ansible_host.
    'db': {'ansible_host': '192.0.2.10', 'ansible_facts': {'default_ipv4': {'address': '10.0.0.10'},
                                                           'default_ipv6': {'address': '2001:db8:0::10'}}},
    # No facts (left out by --limit): ansible_host, an IP address.
    'app': {'ansible_host': '10.0.0.21'},
    'app6': {'ansible_host': '2001:db8::22'},
    # No facts, ansible_host a name: an address to connect to, but not an IP address for rules.
    'named': {'ansible_host': 'app.example.internal'},
    # Facts without a default route; nothing else.
    'bare': {'ansible_facts': {}},
    # Odd values are not addresses.
    'odd': {'ansible_host': '10.0.0.999', 'ansible_facts': {'default_ipv4': {'address': ''}}},
}


@pytest.mark.parametrize('host, ipv6, expected', [
    ('db', False, ['10.0.0.10']),
    ('db', True, ['10.0.0.10', '2001:db8::10']),
    ('app', False, ['10.0.0.21']),
    ('app', True, ['10.0.0.21']),
    ('app6', False, ['2001:db8::22']),
    ('named', False, []),
    ('bare', True, []),
    ('odd', False, []),
    ('not-in-inventory', False, []),
])
def test_host_ips(host, ipv6, expected):
    assert network.host_ips(HOSTVARS, host, ipv6) == expected


@pytest.mark.parametrize('host, expected', [
    ('db', '10.0.0.10'),
    ('app', '10.0.0.21'),
    ('app6', '2001:db8::22'),
    ('named', 'app.example.internal'),
    ('bare', 'bare'),
    ('odd', '10.0.0.999'),
    ('pg.example.org', 'pg.example.org'),
])
def test_host_address(host, expected):
    assert network.host_address(HOSTVARS, host) == expected


@pytest.mark.parametrize('host, port, scheme, expected', [
    ('db', 8008, 'https', 'https://10.0.0.10:8008'),
    ('app6', '8008', 'https', 'https://[2001:db8::22]:8008'),
    ('named', 2379, 'http', 'http://app.example.internal:2379'),
    ('pg.example.org', 5000, 'https', 'https://pg.example.org:5000'),
])
def test_host_url(host, port, scheme, expected):
    assert network.host_url(HOSTVARS, host, port, scheme) == expected
    assert host_url_filter.FilterModule().filters()['host_url'](host, HOSTVARS, port, scheme) == expected
