# -*- coding: utf-8 -*-
# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""groundwork.stack.command's shortcut: which tasks may run over the connection alone, and the shell lines,
run here by /bin/sh."""

from __future__ import annotations

import subprocess

import pytest

from ansible_collections.groundwork.stack.plugins.plugin_utils import lowcommand


@pytest.mark.parametrize('args, argv', [
    ({'argv': ['nginx', '-v']}, ['nginx', '-v']),
    ({'argv': ['a'], 'creates': '/etc/x'}, ['a']),
    ({'argv': ['a'], 'chdir': '/tmp'}, None),
    ({'argv': ['a'], 'stdin': 'secret'}, None),
    ({'cmd': 'a b'}, None),
    ({'argv': []}, None),
    ({'argv': 'a b'}, None),
    ({'argv': ['echo', '$HOME']}, None),
    ({'argv': ['ls', '~/x']}, None),
    ({'argv': ['sh', '-c', 'echo $0'], 'expand_argument_vars': False}, ['sh', '-c', 'echo $0']),
    ({'argv': ['sh', '-c', 'echo $0'], 'expand_argument_vars': 'no'}, None),
    ({'argv': ['a'], 'creates': '/etc/*.conf'}, None),
    ({'argv': ['a'], 'removes': 'relative'}, None),
    ({'argv': ['a', 1]}, None),
])
def test_argv_of(args, argv):
    assert lowcommand.argv_of(args) == argv


def sh(line):
    return subprocess.run(['/bin/sh', '-c', line], capture_output=True, text=True, check=False)


def test_shell_line_passes_every_argument_unparsed(tmp_path):
    argv = ['printf', '%s|', "it's", 'a b', ';', 'touch %s' % (tmp_path / 'pwned'), '`id`', '"q"']
    out = sh(lowcommand.shell_line(argv))
    assert out.stdout == "it's|a b|;|touch %s|`id`|\"q\"|" % (tmp_path / 'pwned')
    assert not (tmp_path / 'pwned').exists()


@pytest.mark.parametrize('status', [0, 1, 3, 254, 255])
def test_every_exit_status_comes_back_as_it_was(status):
    # 255 travels as 254 plus a marker (Ansible's ssh connection reads 255 as its own failure).
    out = sh('{ %s\n} </dev/null' % lowcommand.shell_line(['sh', '-c', 'echo err >&2; exit %d' % status]))
    assert out.returncode == (254 if status == 255 else status)
    result = lowcommand.result_of(['x'], out.returncode, out.stdout, out.stderr)
    assert result['rc'] == status and result['stderr'] == 'err'


def test_guard_line(tmp_path):
    there = str(tmp_path / "it's here")
    open(there, 'w').close()
    missing = str(tmp_path / 'missing')
    assert sh(lowcommand.guard_line({'creates': there})).stdout.strip() == 'skip'
    assert sh(lowcommand.guard_line({'creates': missing})).stdout.strip() == 'run'
    assert sh(lowcommand.guard_line({'removes': missing})).stdout.strip() == 'skip'
    assert sh(lowcommand.guard_line({'removes': there})).stdout.strip() == 'run'
    assert sh(lowcommand.guard_line({'creates': missing, 'removes': there})).stdout.strip() == 'run'


def test_result_of_mirrors_the_module():
    ok = lowcommand.result_of(['a'], 0, 'one\ntwo\n', '')
    assert ok == {'cmd': ['a'], 'rc': 0, 'stdout': 'one\ntwo', 'stderr': '', 'stdout_lines': ['one', 'two'],
                  'stderr_lines': [], 'changed': True}
    bad = lowcommand.result_of(['a'], 3, '', 'no\n')
    assert bad['failed'] and bad['msg'] == 'non-zero return code' and bad['stderr_lines'] == ['no']
