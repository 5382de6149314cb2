# -*- coding: utf-8 -*-
# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""groundwork.stack.lineinfile's decision, checked against ansible.builtin.lineinfile itself: for each case the
module runs in check mode on a real file, and the shortcut must say "unchanged" exactly when it reports no change."""

from __future__ import annotations

import pytest

from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args
from ansible.modules import lineinfile as module

from ansible_collections.groundwork.stack.plugins.plugin_utils import lineplan

TEXT = 'UMASK\t022\n#PASS_MAX_DAYS\t99999\nPASS_MIN_DAYS\t0\nPASS_MIN_DAYS\t1\nlast line no newline'


class Exit(Exception):
    pass


def module_changes(monkeypatch, path, args):
    def _exit(self, **kwargs):
        raise Exit(kwargs)
    monkeypatch.setattr(basic.AnsibleModule, 'exit_json', _exit)
    monkeypatch.setattr(basic.AnsibleModule, 'fail_json', _exit)
    with patch_module_args(dict(args, path=path, _ansible_check_mode=True)), pytest.raises(Exit) as result:
        module.main()
    return result.value.args[0]['changed']


@pytest.mark.parametrize('args', [
    {'regexp': r'^#?\s*UMASK\s', 'line': 'UMASK\t022'},
    {'regexp': r'^#?\s*UMASK\s', 'line': 'UMASK\t027'},
    {'regexp': r'^#?\s*PASS_MAX_DAYS\s', 'line': 'PASS_MAX_DAYS\t99999'},
    {'regexp': r'^PASS_MIN_DAYS\s', 'line': 'PASS_MIN_DAYS\t1'},
    {'regexp': r'^PASS_MIN_DAYS\s', 'line': 'PASS_MIN_DAYS\t0'},
    {'regexp': r'^PASS_MIN_DAYS\s', 'line': 'PASS_MIN_DAYS\t0', 'firstmatch': True},
    {'regexp': r'^NOPE=', 'line': 'UMASK\t022'},
    {'regexp': r'^NOPE=', 'line': 'NOPE=1'},
    {'regexp': r'^last line', 'line': 'last line no newline'},
    {'line': 'UMASK\t022'},
    {'line': 'UMASK 022'},
    {'regexp': r'^NOPE=', 'line': 'NOPE=1', 'insertbefore': '^UMASK'},
    {'regexp': r'^PASS_MIN', 'state': 'absent'},
    {'regexp': r'^NOPE', 'state': 'absent'},
    {'line': 'UMASK\t022', 'state': 'absent'},
    {'line': 'UMASK', 'state': 'absent'},
])
def test_the_shortcut_agrees_with_the_module(monkeypatch, tmp_path, args):
    path = tmp_path / 'login.defs'
    path.write_text(TEXT)
    spec = lineplan.shortcut_args(dict(args, path=str(path)))
    assert spec is not None
    assert lineplan.unchanged(spec, TEXT) is not module_changes(monkeypatch, str(path), args)


@pytest.mark.parametrize('args', [
    {'path': '/etc/x', 'line': 'a', 'backrefs': True, 'regexp': 'a'},
    {'path': '/etc/x', 'line': 'a', 'create': True},
    {'path': '/etc/x', 'line': 'a', 'mode': '0644'},
    {'path': 'relative', 'line': 'a'},
    {'path': '/etc/x'},
    {'path': '/etc/x', 'state': 'absent'},
    {'path': '/etc/x', 'line': 'a', 'regexp': '('},
    {'path': '/etc/x', 'line': 'a', 'firstmatch': 'maybe'},
])
def test_the_module_decides_the_rest(args):
    assert lineplan.shortcut_args(args) is None
