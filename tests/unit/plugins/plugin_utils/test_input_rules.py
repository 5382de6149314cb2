# -*- coding: utf-8 -*-
# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""groundwork.stack.check_input's logic with a plain Jinja evaluator (Ansible's works the same way)."""

from __future__ import annotations

import re

import jinja2
import pytest

from ansible_collections.groundwork.stack.plugins.plugin_utils import input_rules


def evaluator(variables):
    env = jinja2.Environment(undefined=jinja2.StrictUndefined)
    env.tests['match'] = lambda value, pattern: re.match(pattern, value) is not None
    env.filters['difference'] = lambda a, b: [x for x in a if x not in b]

    def evaluate(expression, local_variables):
        return env.compile_expression(expression, undefined_to_none=False)(**dict(variables, **local_variables))

    def value_of(name):
        return variables.get(name, input_rules.NOT_SET)
    return evaluate, value_of


def check(rules, **variables):
    return input_rules.check(rules, *evaluator(variables))


SITES = {'var': 'nginx_sites', 'each': 'nginx_sites', 'label': 'item.name',
         'rule': "a location's upstream must be one of nginx_upstreams",
         'that': "item.locations | selectattr('upstream', 'defined') | map(attribute='upstream') "
                 "| difference(nginx_upstreams | map(attribute='name') | list) | list | length == 0"}


def test_all_rules_hold():
    assert check([{'var': 'x', 'rule': 'a positive integer', 'that': 'x > 0'}], x=3) == []


def test_every_broken_rule_gives_its_own_message():
    rules = [
        {'var': 'a', 'rule': 'a positive integer', 'that': 'a > 0'},
        {'var': 'b', 'rule': 'one of on, off', 'that': "b in ['on', 'off']"},
        {'var': 'c', 'rule': 'fine', 'that': 'c == 1'},
    ]
    assert check(rules, a=-1, b='maybe', c=1) == [
        'a: a positive integer (got -1)',
        'b: one of on, off (got "maybe")',
    ]


def test_each_element_is_named_by_its_label():
    upstreams = [{'name': 'app'}]
    sites = [{'name': 'good', 'locations': [{'path': '/', 'upstream': 'app'}]},
             {'name': 'lab', 'locations': [{'path': '/', 'upstream': 'nosuchupstream'}]}]
    problems = check([SITES], nginx_sites=sites, nginx_upstreams=upstreams)
    assert len(problems) == 1
    assert problems[0].startswith("nginx_sites[lab]: a location's upstream must be one of nginx_upstreams (got ")
    assert 'nosuchupstream' in problems[0]


def test_a_rule_that_cannot_be_evaluated_names_the_variable():
    # -e postgresql_synchronous_count=1 gives a string: comparing it with a number raises TypeError.
    rules = [{'var': 'postgresql_synchronous_count', 'rule': 'between 1 and the number of replicas',
              'that': 'postgresql_synchronous_count <= replicas'}]
    problems = check(rules, postgresql_synchronous_count='1', replicas=2)
    assert len(problems) == 1
    assert problems[0].startswith('postgresql_synchronous_count: between 1 and the number of replicas (could not be checked: ')
    assert "'<='" in problems[0]


def test_the_first_failing_condition_ends_the_rule():
    rules = [{'var': 'x', 'rule': 'a list of names', 'that': ['x is sequence', 'x | length > 0', 'x[0] == 1']}]
    assert check(rules, x=[]) == ['x: a list of names (got [])']


def test_secrets_are_never_shown():
    rules = [{'var': 'redis_password', 'rule': 'at least 16 characters', 'that': 'redis_password | length >= 16'},
             {'var': 'app_users', 'each': 'app_users', 'label': 'item.name', 'secret': True,
              'rule': 'a password of 12 characters or more', 'that': 'item.password | length >= 12'},
             {'var': 'token_count', 'rule': 'a number', 'that': 'token_count > 1'}]
    problems = check(rules, redis_password='hunter2', app_users=[{'name': 'app', 'password': 'hunter3'}], token_count='x')
    assert problems == ['redis_password: at least 16 characters',
                        'app_users[app]: a password of 12 characters or more',
                        'token_count: a number (could not be checked)']
    assert not any('hunter' in p for p in problems)


def test_undefined_variable_is_shown_as_not_set():
    rules = [{'var': 'cipher_pass_len', 'rule': 'set', 'that': 'cipher_pass_len is defined'},
             {'var': 'nginx_root', 'rule': 'set', 'that': 'nginx_root is defined'}]
    assert check(rules) == ['cipher_pass_len: set', 'nginx_root: set (got not set)']


def test_when_limits_a_rule():
    rules = [{'var': 'tls_cert', 'rule': 'set when TLS is on', 'when': 'tls', 'that': 'tls_cert is defined'}]
    assert check(rules, tls=False) == []
    assert check(rules, tls=True) == ['tls_cert: set when TLS is on (got not set)']


def test_each_over_something_that_is_not_a_list():
    problems = check([SITES], nginx_sites='lab', nginx_upstreams=[])
    assert problems == ['nginx_sites: must be a list (got "lab")']


def test_each_over_a_dict_gives_key_and_value():
    rules = [{'var': 'settings', 'each': 'settings', 'label': 'item.key', 'rule': 'values are numbers',
              'that': 'item.value is number'}]
    assert check(rules, settings={'a': 1, 'b': 'x'}) == ['settings[b]: values are numbers (got {"key": "b", "value": "x"})']


def test_long_values_are_cut():
    problems = check([{'var': 'x', 'rule': 'short', 'that': 'x | length < 3'}], x='y' * 500)
    assert problems[0].endswith('...)') and len(problems[0]) < 200


@pytest.mark.parametrize('rules, message', [
    ('nope', 'rules must be a list'),
    ([{'rule': 'r', 'that': 'x'}], 'rule #1 needs var'),
    ([{'var': 'x', 'that': 'x'}], 'rule #1 needs rule'),
    ([{'var': 'x', 'rule': 'r', 'that': 'x', 'colour': 'red'}], 'unknown keys: colour'),
    ([{'var': 'x', 'rule': 'r', 'that': [1]}], 'that must be a string or a list of strings'),
])
def test_malformed_rules_are_a_bug_of_the_role(rules, message):
    with pytest.raises(input_rules.RuleError, match=message):
        check(rules)
