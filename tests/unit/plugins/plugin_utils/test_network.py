# -*- coding: utf-8 -*-
# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

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
