# -*- coding: utf-8 -*-
# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every role's meta/argument_specs.yml agrees with its defaults.

For each role under roles/ and each entry point of its argument specs:
every default variable has an option with an identical default (same value
and same YAML type, so "04:00" is not 240 and "no" is not false), every
option with a default has the variable in defaults, option names carry the
role prefix, and every option (and sub-option) has a type and a description.
"""

from __future__ import annotations

import os

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ROLES_DIR = os.path.join(ROOT, 'roles')

# Python types a default may have for each argument spec type ('raw' takes anything).
TYPES = {
    'str': (str,),
    'path': (str,),
    'int': (int,),
    'float': (float, int),
    'bool': (bool,),
    'list': (list,),
    'dict': (dict,),
}


def _load(path, missing=None):
    if not os.path.isfile(path):
        return missing
    with open(path, encoding='utf-8') as f:
        data = yaml.safe_load(f)
    return missing if data is None else data


def _find(role_dir, sub, name):
    for ext in ('yml', 'yaml'):
        path = os.path.join(role_dir, sub, '%s.%s' % (name, ext))
        if os.path.isfile(path):
            return path
    return None


def _load_role(role):
    role_dir = os.path.join(ROLES_DIR, role)
    specs_path = _find(role_dir, 'meta', 'argument_specs')
    specs = (_load(specs_path, {}) if specs_path else {}).get('argument_specs') or {}
    entry_points = {}
    for entry, spec in specs.items():
        defaults_path = _find(role_dir, 'defaults', entry) or _find(role_dir, 'defaults', 'main')
        entry_points[entry] = {
            'options': (spec or {}).get('options') or {},
            'defaults': _load(defaults_path, {}) if defaults_path else {},
            'tasks': _find(role_dir, 'tasks', entry),
        }
    main_defaults_path = _find(role_dir, 'defaults', 'main')
    return {
        'specs_path': specs_path,
        'defaults': _load(main_defaults_path, {}) if main_defaults_path else {},
        'entry_points': entry_points,
    }


ROLE_NAMES = sorted(d for d in os.listdir(ROLES_DIR) if os.path.isdir(os.path.join(ROLES_DIR, d))) if os.path.isdir(ROLES_DIR) else []
ROLES = dict((role, _load_role(role)) for role in ROLE_NAMES)

DEFAULT_CASES = [
    pytest.param(role, var, id='%s:%s' % (role, var))
    for role in ROLE_NAMES
    for var in ROLES[role]['defaults']
]
ENTRY_CASES = [
    pytest.param(role, entry, id='%s:%s' % (role, entry))
    for role in ROLE_NAMES
    for entry in ROLES[role]['entry_points']
]
OPTION_CASES = [
    pytest.param(role, entry, name, id='%s:%s:%s' % (role, entry, name))
    for role in ROLE_NAMES
    for entry, ep in ROLES[role]['entry_points'].items()
    for name in ep['options']
]
OPTION_WITH_DEFAULT_CASES = [
    pytest.param(role, entry, name, id='%s:%s:%s' % (role, entry, name))
    for role in ROLE_NAMES
    for entry, ep in ROLES[role]['entry_points'].items()
    for name, spec in ep['options'].items()
    if 'default' in (spec or {})
]


def _identical(a, b):
    """Equal values with equal types all the way down (1 != True != 1.0, '22' != 22)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_identical(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_identical(x, y) for x, y in zip(a, b))
    return a == b


def _has_type(value, type_name):
    if type_name == 'raw':
        return True
    if type_name not in TYPES:
        return False
    if isinstance(value, bool) and type_name != 'bool':
        return False
    return isinstance(value, TYPES[type_name])


def _option_problems(name, spec, path=''):
    """Missing or empty type/description in an option and its sub-options."""
    problems = []
    where = path + name
    if not isinstance(spec, dict):
        return ['%s: not a mapping' % where]
    if not spec.get('type'):
        problems.append('%s: no type' % where)
    elif spec['type'] not in TYPES and spec['type'] != 'raw':
        problems.append('%s: unknown type %r' % (where, spec['type']))
    if not spec.get('description'):
        problems.append('%s: no description' % where)
    if spec.get('type') == 'list' and spec.get('elements') is None and spec.get('options'):
        problems.append('%s: list with sub-options needs elements: dict' % where)
    for sub_name, sub_spec in (spec.get('options') or {}).items():
        problems.extend(_option_problems(sub_name, sub_spec, where + '.'))
    return problems


def _default_type_problems(spec, value):
    type_name = spec.get('type')
    if not _has_type(value, type_name):
        return ['default %r (%s) is not of type %s' % (value, type(value).__name__, type_name)]
    elements = spec.get('elements')
    if type_name == 'list' and elements:
        return ['element %r (%s) is not of type %s' % (v, type(v).__name__, elements) for v in value if not _has_type(v, elements)]
    return []


def test_roles_found():
    assert ROLE_NAMES, 'no roles under %s' % ROLES_DIR


@pytest.mark.parametrize('role', ROLE_NAMES)
def test_role_has_main_entry_point(role):
    assert ROLES[role]['specs_path'], 'roles/%s has no meta/argument_specs.yml' % role
    assert 'main' in ROLES[role]['entry_points'], 'roles/%s/meta/argument_specs.yml has no main entry point' % role


@pytest.mark.parametrize('role', ROLE_NAMES)
def test_defaults_is_a_mapping(role):
    assert isinstance(ROLES[role]['defaults'], dict)


@pytest.mark.parametrize('role, entry', ENTRY_CASES)
def test_entry_point_has_tasks_file(role, entry):
    assert ROLES[role]['entry_points'][entry]['tasks'], 'entry point %s of role %s has no tasks/%s.yml' % (entry, role, entry)


@pytest.mark.parametrize('role, var', DEFAULT_CASES)
def test_default_has_option_with_identical_default(role, var):
    options = ROLES[role]['entry_points'].get('main', {}).get('options', {})
    assert var in options, '%s is in roles/%s/defaults/main.yml but not in the argument specs (main)' % (var, role)
    spec = options[var] or {}
    assert 'default' in spec, '%s has no default in the argument specs (main)' % var
    value = ROLES[role]['defaults'][var]
    assert _identical(spec['default'], value), '%s: argument specs default %r != defaults/main.yml %r' % (var, spec['default'], value)


@pytest.mark.parametrize('role, entry, name', OPTION_WITH_DEFAULT_CASES)
def test_option_default_is_in_defaults(role, entry, name):
    ep = ROLES[role]['entry_points'][entry]
    assert name in ep['defaults'], '%s has a default in the argument specs (%s) but is not in roles/%s/defaults' % (name, entry, role)
    value = ep['defaults'][name]
    assert _identical(ep['options'][name]['default'], value), '%s: argument specs default %r != defaults %r' % (name, ep['options'][name]['default'], value)


@pytest.mark.parametrize('role, entry, name', OPTION_WITH_DEFAULT_CASES)
def test_option_default_matches_type(role, entry, name):
    spec = ROLES[role]['entry_points'][entry]['options'][name]
    assert _default_type_problems(spec, spec['default']) == []


@pytest.mark.parametrize('role, entry, name', OPTION_CASES)
def test_option_name_has_role_prefix(role, entry, name):
    assert name.startswith(role + '_'), '%s (entry point %s) does not start with %s_' % (name, entry, role)


@pytest.mark.parametrize('role, entry, name', OPTION_CASES)
def test_option_has_type_and_description(role, entry, name):
    assert _option_problems(name, ROLES[role]['entry_points'][entry]['options'][name]) == []


@pytest.mark.parametrize('type_name, value, expected', [
    ('str', '04:00', True),
    ('str', 240, False),
    ('str', False, False),
    ('int', 22, True),
    ('int', True, False),
    ('int', '22', False),
    ('bool', False, True),
    ('bool', 'no', False),
    ('float', 1, True),
    ('list', [], True),
    ('dict', {}, True),
    ('dict', [], False),
    ('raw', None, True),
    ('strr', 'x', False),
])
def test_has_type(type_name, value, expected):
    assert _has_type(value, type_name) is expected


@pytest.mark.parametrize('a, b, expected', [
    ('04:00', '04:00', True),
    ('04:00', 240, False),
    (1, True, False),
    (1, 1.0, False),
    ('no', False, False),
    ([1, 2], [1, 2], True),
    ([1, 2], [2, 1], False),
    ({'a': [1]}, {'a': [1]}, True),
    ({'a': 1}, {'a': '1'}, False),
    ({'a': 1}, {'a': 1, 'b': 2}, False),
])
def test_identical(a, b, expected):
    assert _identical(a, b) is expected
