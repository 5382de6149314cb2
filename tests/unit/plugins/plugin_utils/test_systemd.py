# -*- coding: utf-8 -*-
# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.groundwork.stack.plugins.filter.systemd_exec import systemd_exec
from ansible_collections.groundwork.stack.plugins.plugin_utils.systemd import exec_arg, exec_line


@pytest.mark.parametrize('value, written', [
    ('/opt/gw/worker/venv/bin/python', '/opt/gw/worker/venv/bin/python'),
    ('-m', '-m'),
    ('app.main:app', 'app.main:app'),
    ('--workers=4', '--workers=4'),
    (8000, '8000'),
    ('two words', '"two words"'),
    ('50%', '"50%%"'),
    ('%h/data', '"%%h/data"'),
    ('$HOME', '"$$HOME"'),
    ('${X}', '"$${X}"'),
    ('say "hi"', '"say \\"hi\\""'),
    ("o'brien", '"o\'brien"'),
    ('back\\slash', '"back\\\\slash"'),
    ('two\nlines', '"two\\nlines"'),
    ('tab\there', '"tab\\there"'),
    ('bell\x07', '"bell\\a"'),
    ('esc\x1b', '"esc\\x1b"'),
    (';', '";"'),
    ('', '""'),
])
def test_exec_arg(value, written):
    assert exec_arg(value) == written


@pytest.mark.parametrize('value', [None, True, 'nul\0byte'])
def test_exec_arg_rejects(value):
    with pytest.raises(ValueError):
        exec_arg(value)


def test_exec_line_joins_quoted_words():
    assert exec_line(['/venv/bin/python', '-m', 'w', '--tag', '50% of $HOME']) == \
        '/venv/bin/python -m w --tag "50%% of $$HOME"'


@pytest.mark.parametrize('value', ['python -m w', [], None])
def test_exec_line_rejects_what_is_not_a_list(value):
    with pytest.raises(ValueError):
        exec_line(value)


def test_filter_reports_bad_input_as_a_filter_error():
    assert systemd_exec(['a b']) == '"a b"'
    with pytest.raises(AnsibleFilterError, match='systemd_exec'):
        systemd_exec('python -m w')
