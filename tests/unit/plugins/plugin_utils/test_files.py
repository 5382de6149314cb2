# -*- coding: utf-8 -*-
# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""groundwork.stack.files' controller side: items, the probe's command and answers, and the decision to send
an item to the module. The probe is also run here against real files with /bin/sh."""

from __future__ import annotations

import os
import subprocess

import pytest

from ansible_collections.groundwork.stack.plugins.plugin_utils import files as plan


@pytest.mark.parametrize('mode, expected', [
    (None, None), ('0640', 0o640), ('640', 0o640), ('01777', 0o1777), (0o600, 0o600),
    ('u=rw,g=r', False), ('0999', False), (True, False),
])
def test_mode_value(mode, expected):
    assert plan.mode_value(mode) == expected


@pytest.mark.parametrize('items, message', [
    ('x', 'files must be a list'),
    (['x'], 'files[0] must be a dictionary'),
    ([{'dest': 'relative', 'content': 'x'}], 'dest must be an absolute path'),
    ([{'dest': '/a', 'content': 'x', 'colour': 'red'}], 'unknown key(s) colour'),
    ([{'dest': '/a'}], 'state must be one of'),
    ([{'dest': '/a', 'content': 'x', 'template': 't.j2'}], 'exactly one of template, src or content'),
    ([{'dest': '/a', 'state': 'directory', 'content': 'x'}], 'content is for files only'),
    ([{'dest': '/a', 'content': 'x', 'when': 'maybe'}], "when must be a boolean, got 'maybe'"),
    ([{'dest': '/a', 'state': 'absent', 'validate': 'true %s'}], 'validate and force are for files only'),
    ([{'dest': '/a', 'content': 'x', 'validate': 'sshd -t'}], 'validate must contain %s'),
    ([{'dest': '/a', 'content': 'x', 'vars': {'a': 1}}], 'vars are for templates only'),
    ([{'dest': '/a', 'content': 'x'}, {'dest': '/a', 'state': 'absent'}], 'files[1] (/a): the same dest is listed twice'),
])
def test_normalize_rejects(items, message):
    with pytest.raises(plan.ItemError) as error:
        plan.normalize(items)
    assert message in str(error.value)


def test_normalize_applies_defaults_and_the_file_mode_to_files_only():
    items = plan.normalize([{'dest': '/d', 'state': 'directory'}, {'dest': '/d/f', 'template': 't.j2'},
                            {'dest': '/d/g', 'content': 'x', 'mode': '0600', 'owner': 'postgres'}],
                           {'owner': 'root', 'group': 'root', 'mode': '0644'})
    assert items[0] == {'dest': '/d', 'state': 'directory', 'owner': 'root', 'group': 'root', 'force': True, 'secret': False}
    assert items[1]['mode'] == '0644' and items[1]['state'] == 'file' and items[1]['owner'] == 'root'
    assert items[2]['mode'] == '0600' and items[2]['owner'] == 'postgres'
    with pytest.raises(plan.ItemError):
        plan.normalize([], {'validate': 'x %s'})


def test_when_false_leaves_an_item_out_and_absent_ignores_its_source():
    items = plan.normalize([{'dest': '/a', 'content': 'x', 'when': False}, {'dest': '/a', 'content': 'y', 'when': 'true'},
                            {'dest': '/b', 'template': 't.j2', 'vars': {'v': 1}, 'state': 'absent'}])
    assert [(i['dest'], i.get('content')) for i in items] == [('/a', 'y'), ('/b', None)]
    assert 'template' not in items[1] and 'vars' not in items[1] and 'when' not in items[0]


def test_parse_probe_reads_each_kind_and_leaves_garbage_unanswered():
    out = '\n'.join([
        '0 file 0 root 4 adm 640 ' + 'a' * 40,
        '1 directory 108 postgres 113 postgres 700',
        '2 link', '3 absent', '4 other',
        '5 file 0 root 0 root 644',          # no checksum: unreadable
        '6 file x root 0 root 644 ' + 'b' * 40,  # malformed
        '99 absent', 'noise',
    ])
    states = plan.parse_probe(out, 8)
    assert states[0] == {'kind': 'file', 'uid': 0, 'user': 'root', 'gid': 4, 'group': 'adm', 'mode': 0o640, 'sha1': 'a' * 40}
    assert states[1]['kind'] == 'directory' and states[1]['user'] == 'postgres' and states[1]['mode'] == 0o700
    assert [s['kind'] for s in states[2:5]] == ['link', 'absent', 'other']
    assert 'sha1' not in states[5]
    assert states[6] is None and states[7] is None


FILE = {'kind': 'file', 'uid': 0, 'user': 'root', 'gid': 4, 'group': 'adm', 'mode': 0o640, 'sha1': 'a' * 40}


@pytest.mark.parametrize('item, state, reason', [
    ({'state': 'file', 'owner': 'root', 'group': 'adm', 'mode': '0640'}, FILE, None),
    ({'state': 'file', 'owner': '0', 'group': '4', 'mode': 0o640}, FILE, None),
    ({'state': 'file'}, FILE, None),
    ({'state': 'file'}, None, 'not probed'),
    ({'state': 'file'}, dict(FILE, sha1='b' * 40), 'content'),
    ({'state': 'file'}, {k: v for k, v in FILE.items() if k != 'sha1'}, 'content unreadable'),
    ({'state': 'file', 'force': False}, dict(FILE, sha1='b' * 40, mode=0o777), None),
    ({'state': 'file'}, {'kind': 'absent'}, 'missing'),
    ({'state': 'file'}, {'kind': 'link'}, 'not a regular file (link)'),
    ({'state': 'file', 'owner': 'postgres'}, FILE, 'owner'),
    ({'state': 'file', 'group': 'root'}, FILE, 'group'),
    ({'state': 'file', 'group': '0'}, FILE, 'group'),
    ({'state': 'file', 'mode': '0600'}, FILE, 'mode'),
    ({'state': 'file', 'mode': 'u=rw'}, FILE, 'symbolic mode'),
    ({'state': 'directory', 'mode': '0640'}, dict(FILE, kind='directory'), None),
    ({'state': 'directory'}, FILE, 'not a directory (file)'),
    ({'state': 'directory'}, {'kind': 'absent'}, 'not a directory (absent)'),
    ({'state': 'absent'}, {'kind': 'absent'}, None),
    ({'state': 'absent'}, {'kind': 'link'}, 'present'),
])
def test_difference(item, state, reason):
    assert plan.difference(item, state, 'a' * 40) == reason


def test_probe_command_against_real_files(tmp_path):
    """The command as the action sends it, run by /bin/sh: names with spaces and quotes stay arguments."""
    (tmp_path / "it's a file").write_bytes(b'hello\n')
    os.chmod(tmp_path / "it's a file", 0o640)
    (tmp_path / 'dir').mkdir(mode=0o750)
    os.chmod(tmp_path / 'dir', 0o750)
    os.symlink('/etc/passwd', tmp_path / 'link')
    items = plan.normalize([
        {'dest': str(tmp_path / "it's a file"), 'content': 'hello\n'},
        {'dest': str(tmp_path / 'dir'), 'state': 'directory'},
        {'dest': str(tmp_path / 'link'), 'content': 'x'},
        {'dest': str(tmp_path / 'nothing; touch /tmp/pwned'), 'state': 'absent'},
    ])
    out = subprocess.run(['/bin/sh', '-c', plan.probe_command(items)], capture_output=True, text=True, check=True).stdout
    states = plan.parse_probe(out, len(items))
    assert states[0]['kind'] == 'file' and states[0]['mode'] == 0o640
    assert states[0]['sha1'] == plan.checksum(b'hello\n')
    assert plan.difference(items[0], states[0], plan.checksum(b'hello\n')) is None
    assert plan.difference(items[0], states[0], plan.checksum(b'other\n')) == 'content'
    assert states[1]['kind'] == 'directory' and states[1]['mode'] == 0o750
    assert states[2] == {'kind': 'link'}
    assert states[3] == {'kind': 'absent'}
    assert not os.path.exists('/tmp/pwned')
