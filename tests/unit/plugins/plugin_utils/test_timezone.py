# -*- coding: utf-8 -*-
# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for the time zone helpers and the groundwork.stack.timezone test plugin."""

from __future__ import annotations

import pytest

from ansible_collections.groundwork.stack.plugins.plugin_utils import timezone as tz
from ansible_collections.groundwork.stack.plugins.test import timezone as tz_test

# A stand-in tz database, so results do not depend on the controller's tzdata.
ZONES = frozenset(['Etc/UTC', 'UTC', 'Europe/Berlin', 'America/Argentina/Buenos_Aires'])

ACCEPTED = [
    'Etc/UTC',
    'Europe/Berlin',
    'America/Argentina/Buenos_Aires',
    'UTC',
]

# (value, reason): rejected by the shape check whatever the tz database says.
MALFORMED = [
    ('', 'empty'),
    ('../etc/passwd', 'path traversal'),
    ('/etc/localtime', 'absolute path'),
    ('Europe//Berlin', 'empty component'),
    ('Europe/Berlin/', 'trailing slash'),
    ('Europe/ Berlin', 'space inside'),
    (' Europe/Berlin', 'leading space'),
    ('Europe/Berlin ', 'trailing space'),
    ('New York', 'space, no area'),
    ('Europe/Berlin;reboot', 'shell metacharacter'),
    ('Europe/Berlin\t', 'trailing tab'),
    ('1Europe/Berlin', 'starts with a digit'),
    ('_Europe/Berlin', 'starts with an underscore'),
    ('A/B/C/D', 'more than three components'),
    ('Europe/' + 'a' * 58, 'longer than 64 characters'),
    (None, 'None'),
    (5, 'int'),
    (5.0, 'float'),
    (True, 'bool'),
    (b'Europe/Berlin', 'bytes'),
    (['Europe/Berlin'], 'list'),
    ({'Europe': 'Berlin'}, 'dict'),
]

# Well formed, but not in the tz database.
UNKNOWN = [
    'Europe/Nowhere',
    'Mars/Olympus',
    'Etc/UTC2',
    'europe/berlin',
]


def _ids(cases):
    return [reason for dummy, reason in cases]


@pytest.mark.parametrize('name', ACCEPTED)
def test_accepted_is_well_formed(name):
    assert tz.is_well_formed(name) is True


@pytest.mark.parametrize('name', ACCEPTED)
def test_accepted_with_injected_zones(name):
    assert tz.is_valid_timezone(name, zones=ZONES) is True


@pytest.mark.parametrize('name', ACCEPTED)
def test_accepted_with_controller_zones(name):
    if not tz.known_zones():
        pytest.skip('the controller has no tz database')
    assert tz.is_valid_timezone(name) is True


def test_exactly_64_characters_is_well_formed():
    name = 'Europe/' + 'a' * 57
    assert len(name) == 64
    assert tz.is_well_formed(name) is True


@pytest.mark.parametrize('value', [v for v, dummy in MALFORMED], ids=_ids(MALFORMED))
def test_malformed_is_not_well_formed(value):
    assert tz.is_well_formed(value) is False


@pytest.mark.parametrize('zones', [ZONES, set()], ids=['with-zones', 'no-tz-database'])
@pytest.mark.parametrize('value', [v for v, dummy in MALFORMED], ids=_ids(MALFORMED))
def test_malformed_is_rejected(value, zones):
    # Also when the malformed value is in the zone set: the shape check comes first.
    if isinstance(value, str):
        zones = set(zones) | {value}
    assert tz.is_valid_timezone(value, zones=zones) is False


@pytest.mark.parametrize('name', UNKNOWN)
def test_unknown_is_well_formed(name):
    assert tz.is_well_formed(name) is True


@pytest.mark.parametrize('name', UNKNOWN)
def test_unknown_is_rejected_with_injected_zones(name):
    assert tz.is_valid_timezone(name, zones=ZONES) is False


@pytest.mark.parametrize('name', ['Europe/Nowhere', 'Mars/Olympus'])
def test_unknown_is_rejected_with_controller_zones(name):
    if not tz.known_zones():
        pytest.skip('the controller has no tz database')
    assert tz.is_valid_timezone(name) is False


@pytest.mark.parametrize('name', ACCEPTED + UNKNOWN)
def test_no_tz_database_checks_shape_only(name):
    assert tz.is_valid_timezone(name, zones=set()) is True


@pytest.mark.parametrize('name, expected', [('Europe/Nowhere', True), ('Europe/Berlin', True), ('../etc/passwd', False)])
def test_default_falls_back_to_shape_without_tz_database(monkeypatch, name, expected):
    monkeypatch.setattr(tz, 'known_zones', set)
    assert tz.is_valid_timezone(name) is expected


@pytest.mark.parametrize('name, expected', [('Europe/Berlin', True), ('Europe/Nowhere', False), ('Europe//Berlin', False)])
def test_default_uses_known_zones(monkeypatch, name, expected):
    monkeypatch.setattr(tz, 'known_zones', lambda: set(ZONES))
    assert tz.is_valid_timezone(name) is expected


def test_known_zones_returns_a_set_of_well_formed_names():
    zones = tz.known_zones()
    assert isinstance(zones, set)
    assert [z for z in zones if not tz.is_well_formed(z)] == []


def test_test_plugin_maps_timezone():
    tests = tz_test.TestModule().tests()
    assert set(tests) == {'timezone'}
    assert tests['timezone'] is tz_test.timezone


@pytest.mark.parametrize('value, expected', [
    ('Europe/Berlin', True),
    ('Etc/UTC', True),
    ('Europe/Nowhere', False),
    ('Europe/Berlin/', False),
    (None, False),
    (5, False),
])
def test_test_plugin_delegates_to_is_valid_timezone(monkeypatch, value, expected):
    monkeypatch.setattr(tz, 'known_zones', lambda: set(ZONES))
    assert tz_test.TestModule().tests()['timezone'](value) is expected


@pytest.mark.parametrize('value', ['Europe/Berlin\n', 'localtime', 'posixrules', 'Factory', 'posix/Europe/Berlin', 'right/UTC'])
def test_trailing_newline_and_non_zone_files_are_rejected(value):
    assert tz.is_valid_timezone(value, zones=set()) is False
