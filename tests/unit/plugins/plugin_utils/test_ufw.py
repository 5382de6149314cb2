# -*- coding: utf-8 -*-
# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.groundwork.stack.plugins.filter import ufw_rule_plan as plan_filter
from ansible_collections.groundwork.stack.plugins.filter import ufw_rules as rules_filter
from ansible_collections.groundwork.stack.plugins.plugin_utils import ufw
from ansible_collections.groundwork.stack.plugins.test import ssh_allowed as ssh_test

GROUP_RULES = [
    {'name': 'postgresql', 'groups': ['postgres'], 'port': 5432, 'from_groups': ['app', 'pgbouncer', 'postgres']},
    {'name': 'pgbouncer', 'groups': ['pgbouncer'], 'port': '6432', 'from_groups': ['app']},
    {'name': 'redis', 'groups': ['redis'], 'port': 6379, 'from_groups': ['app', 'redis']},
    {'name': 'http', 'groups': ['web'], 'port': 80, 'from_cidrs': ['any']},
    {'name': 'node-exporter', 'groups': ['all'], 'port': 9100, 'from_monitoring': True},
]
GROUPS = {
    'all': ['db1', 'db2', 'app1', 'app2', 'web1'],
    'postgres': ['db1', 'db2'], 'app': ['app1', 'app2'], 'pgbouncer': [], 'redis': ['app1'], 'web': ['web1'],
}
ADDRESSES = {'db1': ['10.0.0.1'], 'db2': ['10.0.0.2', 'fd00::2'], 'app1': ['10.0.1.1'], 'app2': ['10.0.1.2'], 'web1': ['10.0.2.1']}


def spec(host, **over):
    groups = [g for g, members in GROUPS.items() if host in members and g != 'all']
    base = {
        'inventory_hostname': host, 'group_names': groups, 'groups': GROUPS, 'addresses': ADDRESSES,
        'group_rules': GROUP_RULES, 'extra_rules': [], 'admin_cidrs': ['192.0.2.0/24'], 'monitoring_cidrs': [],
        'ssh_port': 22, 'ssh_public': False, 'ssh_rate_limit': True,
    }
    base.update(over)
    return base


def summary(rules):
    return [(r['rule'], r['to_port'], r['from_ip']) for r in rules]


@pytest.mark.parametrize('host, over, expected', [
    # db1 publishes 5432 to app hosts and the other postgres host, not to itself nor to web.
    ('db1', {}, [('limit', '22', '192.0.2.0/24'), ('allow', '5432', '10.0.1.1'), ('allow', '5432', '10.0.1.2'),
                 ('allow', '5432', '10.0.0.2'), ('allow', '5432', 'fd00::2')]),
    # app1 is in redis: 6379 from the other app host only (itself excluded, deduplicated).
    ('app1', {}, [('limit', '22', '192.0.2.0/24'), ('allow', '6379', '10.0.1.2')]),
    ('web1', {}, [('limit', '22', '192.0.2.0/24'), ('allow', '80', 'any')]),
    ('web1', {'ssh_public': True, 'ssh_rate_limit': False, 'admin_cidrs': []}, [('allow', '22', 'any'), ('allow', '80', 'any')]),
    ('web1', {'monitoring_cidrs': ['10.9.0.0/16']}, [('limit', '22', '192.0.2.0/24'), ('allow', '80', 'any'), ('allow', '9100', '10.9.0.0/16')]),
    ('web1', {'admin_cidrs': ['192.0.2.7/32', '2001:db8::/32'], 'ssh_port': '2222'},
     [('limit', '2222', '192.0.2.7'), ('limit', '2222', '2001:db8::/32'), ('allow', '80', 'any')]),
    ('web1', {'extra_rules': [{'port': 8443, 'proto': 'tcp', 'from': '10.5.0.0/16'}, {'rule': 'deny', 'from': '203.0.113.9'}]},
     [('limit', '22', '192.0.2.0/24'), ('allow', '80', 'any'), ('allow', '8443', '10.5.0.0/16'), ('deny', 'any', '203.0.113.9')]),
    # A rule listed twice is kept once.
    ('web1', {'extra_rules': [{'port': 80, 'proto': 'tcp'}]}, [('limit', '22', '192.0.2.0/24'), ('allow', '80', 'any')]),
])
def test_desired_rules(host, over, expected):
    rules = ufw.desired_rules(spec(host, **over))
    assert summary(rules) == expected
    assert all(r['args']['rule'] == r['rule'] for r in rules)


def test_adding_a_host_to_a_group_opens_exactly_its_ports():
    before = ufw.desired_rules(spec('db1'))
    groups = dict(GROUPS, app=GROUPS['app'] + ['web1'])
    after = ufw.desired_rules(spec('db1', groups=groups))
    added = [r for r in after if ufw.rule_key(r) not in set(ufw.rule_key(b) for b in before)]
    assert summary(added) == [('allow', '5432', '10.0.2.1')]
    assert ufw.stale_rules(after, before) == [dict(added[0], args=ufw.module_args(added[0], delete=True))]


@pytest.mark.parametrize('over, message', [
    ({'admin_cidrs': ['10.0.0.5/24']}, 'ufw_admin_cidrs'),
    ({'admin_cidrs': '10.0.0.0/24'}, 'ufw_admin_cidrs'),
    ({'monitoring_cidrs': ['nope'], 'group_rules': GROUP_RULES}, 'ufw_monitoring_cidrs'),
    ({'ssh_port': 70000}, 'ufw ssh port'),
    ({'group_rules': [{'groups': ['all'], 'port': 1}]}, 'every entry needs a name'),
    ({'group_rules': [{'name': 'x', 'groups': ['all']}]}, 'ufw_group_rules x: a port is required'),
    ({'group_rules': [{'name': 'x', 'groups': ['all'], 'port': 'http'}]}, 'ufw_group_rules x'),
    ({'group_rules': [{'name': 'x', 'groups': ['all'], 'port': 1, 'form_groups': ['app']}]}, 'unknown keys form_groups'),
    ({'group_rules': [{'name': 'x', 'groups': ['all'], 'port': 1, 'rule': 'permit', 'from_cidrs': ['any']}]}, "rule 'permit'"),
    ({'group_rules': [{'name': 'x', 'groups': ['all'], 'port': 1, 'proto': 'icmp', 'from_cidrs': ['any']}]}, "proto 'icmp'"),
    ({'group_rules': [{'name': 'x', 'groups': ['all'], 'port': True, 'from_cidrs': ['any']}]}, 'is not a port'),
    ({'group_rules': [{'name': 'x', 'groups': ['all'], 'port': '1:70000', 'proto': 'tcp', 'from_cidrs': ['any']}]}, 'out of range'),
    ({'group_rules': [{'name': 'x', 'groups': ['all'], 'port': 'any', 'from_cidrs': ['any']}]}, 'a port is required'),
    ({'addresses': dict(ADDRESSES, app2=[])}, 'host app2 (group app) has no address'),
    ({'addresses': dict(ADDRESSES, app2=['app2.example.com'])}, 'address of app2'),
    ({'extra_rules': [{'port': '80,443'}]}, 'needs proto tcp or udp'),
    ({'extra_rules': [{'port': 80, 'comment': "it's"}]}, 'comment'),
    ({'extra_rules': [{'port': 80, 'direction': 'sideways'}]}, 'direction'),
    ({'extra_rules': [{'port': 80, 'source': '10.0.0.0/8'}]}, 'unknown keys source'),
    ({'extra_rules': ['allow 80']}, 'is not a mapping'),
])
def test_desired_rules_rejects(over, message):
    with pytest.raises(ufw.UfwRuleError, match=None) as info:
        ufw.desired_rules(spec('db1', **over))
    assert message in str(info.value)
    with pytest.raises(AnsibleFilterError):
        rules_filter.FilterModule().filters()['ufw_rules'](spec('db1', **over))


def test_filter_rejects_non_dict():
    with pytest.raises(AnsibleFilterError, match='must be a dict'):
        rules_filter.ufw_rules(['x'])


TUPLES = '''
### tuple ### limit tcp 22 0.0.0.0/0 any 192.0.2.0/24 in comment=7373682066726f6d2061646d696e73
### tuple ### allow tcp 5432 0.0.0.0/0 any 10.0.1.1 in comment=706f737467726573716c
### tuple ### allow tcp 80 0.0.0.0/0 any 0.0.0.0/0 in
### tuple ### allow tcp 80 ::/0 any ::/0 in
### tuple ### reject any any 0.0.0.0/0 any 198.51.100.9 in comment=62792046616932426616e20616674657220332061747465
### tuple ### reject any any 0.0.0.0/0 any 198.51.100.8 in comment=6279204661696c3242616e
### tuple ### allow_log udp 53 0.0.0.0/0 any 0.0.0.0/0 in_eth0
### tuple ### route:allow any any 0.0.0.0/0 any 10.0.0.0/8 in
### tuple ### allow tcp 22 0.0.0.0/0 any 0.0.0.0/0 OpenSSH - in
-A ufw-user-input -p tcp --dport 80 -j ACCEPT
'''


def test_parse_tuples():
    rules = ufw.parse_tuples(TUPLES)
    assert [(r['rule'], r['proto'], r['to_port'], r['from_ip'], r['interface'], r['route'], r['log'], r['app']) for r in rules] == [
        ('limit', 'tcp', '22', '192.0.2.0/24', '', False, '', ''),
        ('allow', 'tcp', '5432', '10.0.1.1', '', False, '', ''),
        ('allow', 'tcp', '80', 'any', '', False, '', ''),
        ('reject', 'any', 'any', '198.51.100.9', '', False, '', ''),
        ('reject', 'any', 'any', '198.51.100.8', '', False, '', ''),
        ('allow', 'udp', '53', 'any', 'eth0', False, 'log', ''),
        ('allow', 'any', 'any', '10.0.0.0/8', '', True, '', ''),
        ('allow', 'tcp', '22', 'any', '', False, '', 'OpenSSH'),
    ]
    assert rules[0]['comment'] == 'ssh from admins'
    assert rules[4]['comment'] == 'by Fail2Ban'
    assert rules[3]['comment'] == ''   # odd-length hex is ignored, not fatal
    assert rules[2]['families'] == [4, 6]
    assert rules[1]['families'] == [4]


@pytest.mark.parametrize('line', [
    '### tuple ### allow tcp 22 0.0.0.0/0 any',
    '### tuple ### allow tcp 22 0.0.0.0/0 any 10.0.0.0/8 in extra',
])
def test_parse_tuples_rejects(line):
    with pytest.raises(ufw.UfwRuleError, match='cannot read the tuple line'):
        ufw.parse_tuples(line)


def test_plan_adds_missing_deletes_stale_and_keeps_bans():
    desired = ufw.desired_rules(spec('web1', admin_cidrs=['192.0.2.0/24'], extra_rules=[{'port': 443, 'proto': 'tcp'}]))
    result = ufw.plan(TUPLES, desired, ['by Fail2Ban'])
    assert summary(result['add']) == [('allow', '443', 'any')]
    assert [(r['rule'], r['to_port'], r['from_ip']) for r in result['delete']] == [
        ('allow', '5432', '10.0.1.1'), ('reject', 'any', '198.51.100.9'), ('allow', '53', 'any'),
        ('allow', 'any', '10.0.0.0/8'), ('allow', '22', 'any')]
    deletes = [r['args'] for r in result['delete']]
    assert deletes[0] == {'rule': 'allow', 'direction': 'in', 'proto': 'tcp', 'to_port': '5432', 'from_ip': '10.0.1.1', 'delete': True}
    assert deletes[2] == {'rule': 'allow', 'direction': 'in', 'proto': 'udp', 'to_port': '53', 'interface': 'eth0', 'log': True, 'delete': True}
    assert deletes[3]['route'] is True
    assert deletes[4] == {'rule': 'allow', 'direction': 'in', 'from_ip': 'any', 'name': 'OpenSSH', 'delete': True} or \
        deletes[4] == {'rule': 'allow', 'direction': 'in', 'name': 'OpenSSH', 'delete': True}
    assert ufw.plan(TUPLES, desired, ['by Fail2Ban'], purge=False)['delete'] == []
    assert plan_filter.FilterModule().filters()['ufw_rule_plan'](TUPLES, desired, ['by Fail2Ban'])['add'] == result['add']


def test_plan_of_a_converged_host_is_empty():
    desired = ufw.desired_rules(spec('db1'))
    lines = []
    for r in desired:
        source = r['from_ip'] if r['from_ip'] != 'any' else '0.0.0.0/0'
        lines.append('### tuple ### %s %s %s 0.0.0.0/0 any %s in' % (r['rule'], r['proto'], r['to_port'], source))
    text = '\n'.join(lines)
    assert ufw.plan(text, desired) == {'add': [], 'delete': []}


@pytest.mark.parametrize('text, ipv6, missing', [
    ('### tuple ### allow tcp 80 0.0.0.0/0 any 0.0.0.0/0 in\n### tuple ### allow tcp 80 ::/0 any ::/0 in', True, []),
    ('### tuple ### allow tcp 80 0.0.0.0/0 any 0.0.0.0/0 in', True, [('allow', '80', 'any')]),   # added while IPv6 was off
    ('### tuple ### allow tcp 80 0.0.0.0/0 any 0.0.0.0/0 in', False, []),
    ('### tuple ### allow tcp 80 ::/0 any ::/0 in', True, []),
])
def test_plan_adds_the_missing_ipv6_copy(text, ipv6, missing):
    desired = [ufw.make_rule('allow', 'tcp', 80)]
    assert summary(ufw.plan(text, desired, ipv6=ipv6)['add']) == missing


def test_plan_filter_rejects_unreadable_rules():
    with pytest.raises(AnsibleFilterError, match='cannot read'):
        plan_filter.ufw_rule_plan('### tuple ### allow', [])


@pytest.mark.parametrize('over, address, port, expected', [
    ({}, '192.0.2.7', 22, True),
    ({}, '198.51.100.1', 22, False),
    ({}, '192.0.2.7', 2222, False),
    ({'ssh_public': True}, '198.51.100.1', 22, True),
    ({'admin_cidrs': [], 'ssh_public': False}, '192.0.2.7', 22, False),
    ({'admin_cidrs': ['2001:db8::/32']}, '2001:db8::5', 22, True),
    ({'extra_rules': [{'port': '20:30', 'proto': 'tcp', 'from': '198.51.100.0/24'}]}, '198.51.100.1', 22, True),
    ({'extra_rules': [{'port': '20,21', 'proto': 'tcp', 'from': '198.51.100.0/24'}]}, '198.51.100.1', 22, False),
    ({'extra_rules': [{'rule': 'deny', 'port': 22, 'proto': 'tcp', 'from': '198.51.100.0/24'}]}, '198.51.100.1', 22, False),
    ({'extra_rules': [{'port': 22, 'proto': 'udp', 'from': '198.51.100.0/24'}]}, '198.51.100.1', 22, False),
    ({}, 'not-an-address', 22, False),
])
def test_allows_ssh_from(over, address, port, expected):
    rules = ufw.desired_rules(spec('web1', **over))
    assert ufw.allows_ssh_from(rules, address, port) is expected
    assert ssh_test.TestModule().tests()['ssh_allowed'](rules, address, port) is expected


@pytest.mark.parametrize('value, expected', [
    (None, 'any'), ('any', 'any'), ('0.0.0.0/0', 'any'), ('::/0', 'any'), ('10.0.0.1/32', '10.0.0.1'),
    ('10.0.0.1', '10.0.0.1'), ('fd00::1/128', 'fd00::1'), ('10.0.0.0/8', '10.0.0.0/8'),
])
def test_normalize_address(value, expected):
    assert ufw.normalize_address(value, 'x') == expected


@pytest.mark.parametrize('value', ['10.0.0.1/8', 'example.com', 5, ''])
def test_normalize_address_rejects(value):
    with pytest.raises(ufw.UfwRuleError, match='^x: '):
        ufw.normalize_address(value, 'x')
