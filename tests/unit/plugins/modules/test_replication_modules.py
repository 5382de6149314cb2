# -*- coding: utf-8 -*-
# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The replication modules: argument specs against their documentation, and the
standby module's decisions in check mode against a faked host (no database)."""

from __future__ import annotations

import json
import os
import pathlib
import pwd
import shutil
import stat
import subprocess
import tempfile

import pytest
import yaml

from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args
from ansible_collections.groundwork.stack.plugins.doc_fragments.postgres import ModuleDocFragment
from ansible_collections.groundwork.stack.plugins.modules import (
    postgresql_promote,
    postgresql_replication_info,
    postgresql_standby,
)


def documented_options(module):
    doc = yaml.safe_load(module.DOCUMENTATION)
    options = {}
    if 'groundwork.stack.postgres' in doc.get('extends_documentation_fragment', []):
        options.update(yaml.safe_load(ModuleDocFragment.DOCUMENTATION)['options'])
    options.update(doc.get('options') or {})
    return options


@pytest.mark.parametrize('module', [postgresql_standby, postgresql_promote, postgresql_replication_info])
def test_argument_spec_matches_documentation(module):
    spec = module.argument_spec()
    documented = documented_options(module)
    assert set(spec) == set(documented)
    for name, option in spec.items():
        doc = documented[name]
        assert doc['type'] == option.get('type', 'str'), name
        assert doc.get('default') == option.get('default'), name
        assert doc.get('choices') == option.get('choices'), name
        assert doc.get('required', False) == option.get('required', False), name


def test_promote_and_info_keep_the_password_out_of_logs():
    for module in (postgresql_promote, postgresql_replication_info):
        assert module.argument_spec()['login_password']['no_log'] is True


class Exit(Exception):
    pass


class Fail(Exception):
    pass


def _exit(self, **kwargs):
    raise Exit(kwargs)


def _fail(self, **kwargs):
    raise Fail(kwargs)


CONTROL = """Database system identifier:           7440001234567890123
Database cluster state:               %s
Latest checkpoint location:           0/5000028
Latest checkpoint's TimeLineID:       1
Minimum recovery ending location:     0/0
"""

ARGS = {'primary_host': '10.0.0.11', 'replication_user': 'replicator', 'passfile': '/var/lib/postgresql/.pgpass',
        'slot_name': 'db2', 'ca_cert': '/etc/ca.crt', 'conf_file': '/nonexistent/95-standby.conf',
        'config_file': '/etc/postgresql/17/main/postgresql.conf', 'major': 17, 'service': 'postgresql@17-main'}


def fake_host(monkeypatch, tmp_path, cluster_state, primary_timeline=2, active=False, history='1\t0/6000000\tx',
              restore_command=''):
    """A data directory in tmp_path and a fake run_command answering like the tools would."""
    calls = []
    data_dir = tmp_path / 'data'
    if cluster_state is not None:
        (data_dir / 'global').mkdir(parents=True)
        (data_dir / 'PG_VERSION').write_text('17\n')
        (data_dir / 'global' / 'pg_control').write_text('')

    def run_command(self, argv, **kwargs):
        calls.append(argv)
        if 'IDENTIFY_SYSTEM' in argv:
            return 0, '7440001234567890123|%d|0/7000000|\n' % primary_timeline, ''
        if any(str(a).startswith('TIMELINE_HISTORY') for a in argv):
            return 0, '00000002.history|%s\n' % history, ''
        if argv[0].endswith('pg_controldata'):
            return 0, CONTROL % cluster_state, ''
        if argv[:2] == ['systemctl', 'is-active']:
            return (0 if active else 3), '', ''
        if argv[-2:] == ['-C', 'restore_command'] and argv[-7].endswith('/postgres'):
            return 0, restore_command + '\n', ''
        raise AssertionError('unexpected command in check mode: %r' % (argv,))

    monkeypatch.setattr(basic.AnsibleModule, 'run_command', run_command)
    monkeypatch.setattr(basic.AnsibleModule, 'exit_json', _exit)
    monkeypatch.setattr(basic.AnsibleModule, 'fail_json', _fail)
    return str(data_dir), calls


@pytest.mark.parametrize('cluster_state, divergence, expected', [
    (None, 'never', 'clone'),
    ('in production', 'rewind', 'rewind'),
    ('in production', 'reclone', 'reclone'),
])
def test_standby_check_mode_reports_the_planned_action(monkeypatch, tmp_path, cluster_state, divergence, expected):
    data_dir, calls = fake_host(monkeypatch, tmp_path, cluster_state)
    args = dict(ARGS, data_dir=data_dir, divergence=divergence, _ansible_check_mode=True)
    with patch_module_args(args):
        with pytest.raises(Exit) as done:
            postgresql_standby.main()
    result = done.value.args[0]
    assert result['changed'] is True
    assert result['action'] == expected
    tool = {'clone': 'pg_basebackup', 'reclone': 'pg_basebackup', 'rewind': 'pg_rewind'}[expected]
    assert result['commands'][0][0].endswith(tool)
    # Only reads ran; no password anywhere on a command line.
    assert all(not a[0].endswith(('pg_basebackup', 'pg_rewind')) for a in calls)
    assert 'password' not in json.dumps(calls + result['commands']).replace('passfile', '')


@pytest.mark.parametrize('restore_command, fetches', [
    ('', False),
    ('pgbackrest --stanza=main archive-get %f "%p"', True),
])
def test_standby_rewind_fetches_missing_wal_from_the_archive(monkeypatch, tmp_path, restore_command, fetches):
    data_dir, dummy = fake_host(monkeypatch, tmp_path, 'in production', restore_command=restore_command)
    with patch_module_args(dict(ARGS, data_dir=data_dir, divergence='rewind', _ansible_check_mode=True)):
        with pytest.raises(Exit) as done:
            postgresql_standby.main()
    rewind = done.value.args[0]['commands'][0]
    assert rewind[0].endswith('pg_rewind')
    assert ('--restore-target-wal' in rewind) is fetches


def test_standby_never_refuses_a_diverged_primary(monkeypatch, tmp_path):
    data_dir, dummy = fake_host(monkeypatch, tmp_path, 'in production')
    with patch_module_args(dict(ARGS, data_dir=data_dir, divergence='never')):
        with pytest.raises(Fail) as failed:
            postgresql_standby.main()
    assert 'divergence=never refuses' in failed.value.args[0]['msg']


def test_standby_fails_when_the_primary_is_unreachable(monkeypatch, tmp_path):
    data_dir, dummy = fake_host(monkeypatch, tmp_path, None)

    def unreachable(self, argv, **kwargs):
        return 2, '', 'psql: error: connection refused'
    monkeypatch.setattr(basic.AnsibleModule, 'run_command', unreachable)
    with patch_module_args(dict(ARGS, data_dir=data_dir)):
        with pytest.raises(Fail) as failed:
            postgresql_standby.main()
    assert 'cannot reach the primary 10.0.0.11:5432' in failed.value.args[0]['msg']


# The standby module's file writes, in a directory its owner controls (the
# audit's finding: root followed a link the postgres user had planted).
needs_root = pytest.mark.skipif(os.geteuid() != 0, reason='switching to another user needs root')


@pytest.fixture
def open_tmp():
    """A directory other users may traverse (pytest's tmp_path is under a 0700 directory of root's)."""
    path = tempfile.mkdtemp(prefix='gw-standby-test-')
    os.chmod(path, 0o755)
    yield pathlib.Path(path)
    shutil.rmtree(path)


def owned_dir(tmp_path, user='nobody'):
    uid, gid = postgresql_standby.owner_ids(user)
    directory = tmp_path / 'conf.d'
    directory.mkdir()
    os.chown(str(directory), uid, gid)
    return directory, uid


def test_write_file_replaces_content_and_sets_mode(tmp_path):
    path = tmp_path / 'standby.conf'
    path.write_text('old\n')
    postgresql_standby.write_file(str(path), 'new\n', 0o640, 'root' if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name)
    assert path.read_text() == 'new\n'
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ['standby.conf']


def test_write_file_replaces_a_link_instead_of_following_it(tmp_path):
    victim = tmp_path / 'victim'
    victim.write_text('untouched\n')
    path = tmp_path / 'standby.conf'
    path.symlink_to(victim)
    # The name the old code wrote to, planted as a link as well.
    (tmp_path / 'standby.conf.groundwork-tmp').symlink_to(victim)
    postgresql_standby.write_file(str(path), 'new\n', 0o644, pwd.getpwuid(os.geteuid()).pw_name)
    assert victim.read_text() == 'untouched\n'
    assert not path.is_symlink() and path.read_text() == 'new\n'


@needs_root
def test_write_file_as_the_owner_cannot_reach_a_root_file(open_tmp):
    tmp_path = open_tmp
    directory, uid = owned_dir(tmp_path)
    secret = tmp_path / 'root-only'
    secret.write_text('root\n')
    os.chmod(str(secret), 0o600)
    target = directory / 'standby.signal'
    target.symlink_to(secret)
    postgresql_standby.write_file(str(target), '', 0o600, 'nobody')
    assert secret.read_text() == 'root\n'
    assert target.stat().st_uid == uid and not target.is_symlink()
    assert os.geteuid() == 0 and os.getegid() == 0


@needs_root
def test_write_file_fails_where_the_owner_may_not_write(open_tmp):
    tmp_path = open_tmp
    directory = tmp_path / 'root-owned'
    directory.mkdir(mode=0o755)
    with pytest.raises(PermissionError):
        postgresql_standby.write_file(str(directory / 'x.conf'), 'x\n', 0o644, 'nobody')
    assert list(directory.iterdir()) == []
    assert os.geteuid() == 0


@needs_root
def test_empty_data_dir_runs_as_the_owner_and_keeps_lost_and_found(open_tmp):
    tmp_path = open_tmp
    directory, uid = owned_dir(tmp_path)
    outside = tmp_path / 'outside'
    outside.mkdir()
    (outside / 'keep').write_text('keep\n')
    (directory / 'lost+found').mkdir()
    (directory / 'base').mkdir()
    (directory / 'linked').symlink_to(outside)
    for p in (directory / 'base', directory / 'lost+found'):
        os.chown(str(p), uid, -1)
    postgresql_standby.empty_data_dir(str(directory), 'nobody')
    assert sorted(p.name for p in directory.iterdir()) == ['lost+found']
    assert (outside / 'keep').read_text() == 'keep\n'


@needs_root
def test_ensure_data_dir_refuses_a_link(open_tmp):
    tmp_path = open_tmp
    directory, uid = owned_dir(tmp_path)
    elsewhere = tmp_path / 'elsewhere'
    elsewhere.mkdir(mode=0o755)
    data_dir = directory / 'main'
    data_dir.symlink_to(elsewhere)

    class Failed(Exception):
        pass

    class Module:
        params = {'data_dir': str(data_dir), 'run_as': 'nobody'}

        def fail_json(self, msg):
            raise Failed(msg)

    with pytest.raises(Failed, match='not a link'):
        postgresql_standby.ensure_data_dir(Module())
    assert elsewhere.stat().st_uid == 0 and stat.S_IMODE(elsewhere.stat().st_mode) == 0o755
    data_dir.unlink()
    postgresql_standby.ensure_data_dir(Module())
    assert data_dir.stat().st_uid == uid and stat.S_IMODE(data_dir.stat().st_mode) == 0o700


def test_clone_argv_without_a_progress_log_is_pg_basebackup_alone():
    argv = postgresql_standby.clone_argv('/bin/pg_basebackup', '/data', 'host=db1', 'db2')
    assert argv == ['/bin/pg_basebackup', '-D', '/data', '-X', 'stream', '-c', 'fast', '-w', '-d', 'host=db1', '-S', 'db2']
    assert '-S' not in postgresql_standby.clone_argv('/bin/pg_basebackup', '/data', 'host=db1', '')


def test_clone_argv_appends_the_progress_to_the_log_and_parses_nothing(tmp_path):
    # A stand-in for pg_basebackup: progress on stderr (as --progress writes it when stderr is no
    # terminal), its arguments on stdout, one per line.
    tool = tmp_path / 'pg_basebackup'
    tool.write_text('#!/bin/sh\nprintf "%s\\n" "$@"\necho "5/10 kB (50%), 0/1 tablespace" >&2\n')
    tool.chmod(0o755)
    log = tmp_path / 'clone $(touch pwned).log'
    log.write_text('an earlier clone\n')
    conninfo = "host=db1 password='$(touch pwned)' sslmode=verify-full"
    argv = postgresql_standby.clone_argv(str(tool), str(tmp_path / 'data dir'), conninfo, 'db2', str(log))
    done = subprocess.run(argv, capture_output=True, text=True, cwd=str(tmp_path), check=True)
    assert done.stdout.splitlines() == ['-D', str(tmp_path / 'data dir'), '-X', 'stream', '-c', 'fast', '-w', '-d', conninfo,
                                        '-S', 'db2', '--progress', '--verbose']
    assert done.stderr == ''
    assert log.read_text() == 'an earlier clone\n5/10 kB (50%), 0/1 tablespace\n'
    assert not (tmp_path / 'pwned').exists()


def test_log_tail_reads_the_end_of_a_log(tmp_path):
    log = tmp_path / 'clone.log'
    log.write_text('x' * 5000 + 'pg_basebackup: error: connection refused\n')
    assert postgresql_standby.log_tail(str(log), 100).endswith('pg_basebackup: error: connection refused')
    assert len(postgresql_standby.log_tail(str(log), 100)) <= 100
    assert postgresql_standby.log_tail(str(tmp_path / 'missing.log')) == ''
    assert postgresql_standby.log_tail(None) == ''
