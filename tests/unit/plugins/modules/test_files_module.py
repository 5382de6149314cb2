# -*- coding: utf-8 -*-
# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""groundwork.stack.files' module against a temporary directory: it writes, keeps, validates, refuses, and
never follows a link; check mode changes nothing; a secret's content stays out of the diff."""

from __future__ import annotations

import base64
import os
import stat

import pytest
import yaml

from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args
from ansible_collections.groundwork.stack.plugins.modules import files


class Exit(Exception):
    pass


def run(monkeypatch, items, check=False, diff=True):
    def _exit(self, **kwargs):
        raise Exit(kwargs)

    def _fail(self, **kwargs):
        raise Exit(dict(kwargs, failed=True))
    monkeypatch.setattr(basic.AnsibleModule, 'exit_json', _exit)
    monkeypatch.setattr(basic.AnsibleModule, 'fail_json', _fail)
    args = {'files': items, '_ansible_check_mode': check, '_ansible_diff': diff}
    with patch_module_args(args), pytest.raises(Exit) as result:
        files.main()
    return result.value.args[0]


def b64(text):
    return base64.b64encode(text.encode()).decode()


def test_argument_spec_matches_documentation():
    documented = yaml.safe_load(files.DOCUMENTATION)['options']
    spec = files.argument_spec()
    assert set(spec) == set(documented)
    assert set(spec['files']['options']) == set(documented['files']['suboptions'])
    for name, option in spec['files']['options'].items():
        assert documented['files']['suboptions'][name]['type'] == option.get('type', 'str'), name
        assert documented['files']['suboptions'][name].get('default') == option.get('default'), name
    assert spec['files']['options']['content']['no_log'] is True


def test_writes_keeps_and_reports(monkeypatch, tmp_path):
    dest = str(tmp_path / 'a.conf')
    item = {'dest': dest, 'content': b64('one\n'), 'mode': '0640'}
    first = run(monkeypatch, [item, {'dest': str(tmp_path / 'd' / 'e'), 'state': 'directory', 'mode': '0750'}])
    assert first['changed'] and [f['reason'] for f in first['files']] == ['missing', 'missing']
    assert open(dest).read() == 'one\n' and stat.S_IMODE(os.stat(dest).st_mode) == 0o640
    assert stat.S_IMODE(os.stat(tmp_path / 'd' / 'e').st_mode) == 0o750
    assert first['diff'][0]['after'] == 'one\n'
    again = run(monkeypatch, [item])
    assert not again['changed'] and 'diff' not in again
    os.chmod(dest, 0o644)
    assert run(monkeypatch, [item])['files'][0]['reason'] == 'attributes'
    assert stat.S_IMODE(os.stat(dest).st_mode) == 0o640
    assert not [n for n in os.listdir(tmp_path) if n.endswith('.groundwork-tmp')]


def test_an_existing_file_keeps_its_mode_when_none_is_asked(monkeypatch, tmp_path):
    dest = tmp_path / 'keep'
    dest.write_text('old\n')
    os.chmod(dest, 0o600)
    run(monkeypatch, [{'dest': str(dest), 'content': b64('new\n')}])
    assert dest.read_text() == 'new\n' and stat.S_IMODE(os.stat(dest).st_mode) == 0o600


def test_check_mode_changes_nothing(monkeypatch, tmp_path):
    dest = tmp_path / 'c'
    dest.write_text('old\n')
    result = run(monkeypatch, [{'dest': str(dest), 'content': b64('new\n')},
                               {'dest': str(tmp_path / 'x' / 'y'), 'state': 'directory'},
                               {'dest': str(dest), 'state': 'absent'}], check=True)
    assert result['changed'] and dest.read_text() == 'old\n' and not (tmp_path / 'x').exists()
    assert result['diff'][0] == {'before_header': str(dest), 'after_header': str(dest), 'before': 'old\n', 'after': 'new\n'}


def test_a_failed_validation_leaves_the_old_file(monkeypatch, tmp_path):
    dest = tmp_path / 'v'
    dest.write_text('good\n')
    result = run(monkeypatch, [{'dest': str(dest), 'content': b64('bad\n'), 'validate': 'grep -q good %s'}])
    assert result['failed'] and 'failed to validate' in result['msg'] and str(dest) in result['msg']
    assert dest.read_text() == 'good\n'
    assert os.listdir(tmp_path) == ['v']
    ok = run(monkeypatch, [{'dest': str(dest), 'content': b64('still good\n'), 'validate': 'grep -q good %s'}])
    assert ok['changed'] and dest.read_text() == 'still good\n'


def test_a_link_is_replaced_never_followed(monkeypatch, tmp_path):
    target = tmp_path / 'target'
    target.write_text('precious\n')
    link = tmp_path / 'link'
    os.symlink(target, link)
    result = run(monkeypatch, [{'dest': str(link), 'content': b64('mine\n')}])
    assert result['files'][0]['reason'] == 'not a regular file'
    assert target.read_text() == 'precious\n'
    assert not os.path.islink(link) and link.read_text() == 'mine\n'


def test_force_false_keeps_an_existing_file(monkeypatch, tmp_path):
    dest = tmp_path / 'f'
    dest.write_text('local edit\n')
    result = run(monkeypatch, [{'dest': str(dest), 'content': b64('default\n'), 'force': False}])
    assert not result['changed'] and dest.read_text() == 'local edit\n'


def test_secret_content_stays_out_of_the_diff(monkeypatch, tmp_path):
    result = run(monkeypatch, [{'dest': str(tmp_path / 's'), 'content': b64('password=hunter2\n'), 'secret': True, 'mode': '0600'}])
    assert 'hunter2' not in repr(result)
    assert stat.S_IMODE(os.stat(tmp_path / 's').st_mode) == 0o600


@pytest.mark.parametrize('items, message', [
    (lambda p: [{'dest': str(p / 'no' / 'dir' / 'f'), 'content': b64('x')}], 'does not exist'),
    (lambda p: [{'dest': str(p), 'content': b64('x')}], 'is a directory'),
])
def test_refusals_name_the_path(monkeypatch, tmp_path, items, message):
    result = run(monkeypatch, items(tmp_path))
    assert result['failed'] and message in result['msg'] and str(tmp_path) in result['msg']


def test_absent_removes_a_file_a_link_and_a_tree(monkeypatch, tmp_path):
    (tmp_path / 'tree' / 'sub').mkdir(parents=True)
    (tmp_path / 'file').write_text('x')
    os.symlink('/etc/passwd', tmp_path / 'link')
    result = run(monkeypatch, [{'dest': str(tmp_path / n), 'state': 'absent'} for n in ('tree', 'file', 'link', 'none')])
    assert [f['changed'] for f in result['files']] == [True, True, True, False]
    assert os.listdir(tmp_path) == [] and os.path.exists('/etc/passwd')
