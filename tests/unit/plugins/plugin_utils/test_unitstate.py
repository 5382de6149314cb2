# -*- coding: utf-8 -*-
# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""groundwork.stack.systemd_service's shortcut: which tasks systemctl alone may answer, and its answers."""

from __future__ import annotations

import subprocess

import pytest

from ansible_collections.groundwork.stack.plugins.plugin_utils import unitstate


@pytest.mark.parametrize('args, want', [
    ({'name': 'nginx', 'state': 'started', 'enabled': True}, ('nginx', True, True)),
    ({'name': 'nginx', 'state': 'started'}, ('nginx', True, None)),
    ({'name': 'x.timer', 'enabled': 'yes', 'daemon_reload': False}, ('x.timer', None, True)),
    ({'name': 'x', 'state': 'stopped', 'enabled': False, 'no_block': True}, ('x', False, False)),
    ({'name': 'x', 'state': 'started', 'daemon_reload': True}, None),
    ({'name': 'x', 'state': 'started', 'daemon_reload': '{{ changed }}'}, None),
    ({'name': 'x', 'state': 'restarted'}, None),
    ({'name': 'x', 'state': 'reloaded'}, None),
    ({'name': 'x', 'state': 'started', 'masked': False}, None),
    ({'name': 'x', 'state': 'started', 'scope': 'user'}, None),
    ({'name': 'x', 'enabled': 'perhaps'}, None),
    ({'name': 'x'}, None),
    ({'name': '-x', 'state': 'started'}, None),
    ({'name': 'a b', 'state': 'started'}, None),
    ({'state': 'started'}, None),
])
def test_wanted(args, want):
    assert unitstate.wanted(args) == want


@pytest.mark.parametrize('want, stdout, ok', [
    (('u', True, True), 'enabled\nrc=0\nactive\nrc=0\n', True),
    (('u', True, True), 'static\nrc=0\nactivating\nrc=0\n', True),
    (('u', True, True), 'disabled\nrc=1\nactive\nrc=0\n', False),
    (('u', True, True), 'enabled\nrc=0\nfailed\nrc=3\n', False),
    (('u', True, None), 'masked\nrc=1\nactive\nrc=0\n', True),
    (('u', None, True), 'enabled\nrc=0\ninactive\nrc=3\n', True),
    (('u', False, False), 'disabled\nrc=1\ninactive\nrc=3\n', True),
    (('u', False, False), 'rc=1\ninactive\nrc=3\n', False),
    (('u', False, None), 'enabled\nrc=0\nactive\nrc=0\n', False),
    (('u', True, True), '', False),
    (('u', True, True), 'enabled\nrc=0\nactive\n', False),
])
def test_satisfied(want, stdout, ok):
    assert unitstate.satisfied(want, stdout) is ok


def test_probe_command_quotes_the_unit():
    out = subprocess.run(['/bin/sh', '-c', unitstate.probe_command("x'; touch /tmp/pwned-unit; '")],
                         capture_output=True, text=True, check=False, env={'PATH': '/nonexistent'}).stdout
    # systemctl is not found here: both answers are then empty with rc 127, and nothing else ran.
    assert out.split() == ['rc=127', 'rc=127']
