# -*- coding: utf-8 -*-
# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lab controller's fork-freeze hook (lab/venv/gw_fork_freeze.py).

It must freeze the collector's objects when Ansible forks a task's worker,
leave tasks working as before, and do nothing unless GW_FORK_FREEZE is 1.
Each test runs the real ``ansible`` command (local connection, one forked
worker) with the checkout's hook loaded.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..'))
HOOK = os.path.join(ROOT, 'lab', 'venv', 'gw_fork_freeze.py')
# The ansible command with the checkout's hook loaded first (the venv's installed copy stays inert: the
# variable is off when the interpreter starts). At exit it prints how many objects the collector has frozen.
RUNNER = '''
import atexit, gc, importlib.util, os, sys
sys.path.insert(0, os.path.dirname(spec_path := %r))  # the checkout's gw_import_hook first
os.environ['GW_FORK_FREEZE'] = os.environ.pop('GW_TEST_FORK_FREEZE')
atexit.register(lambda: sys.stderr.write('FROZEN=%%d\\n' %% gc.get_freeze_count()))
spec = importlib.util.spec_from_file_location('gw_fork_freeze_under_test', spec_path)
spec.loader.exec_module(importlib.util.module_from_spec(spec))
from ansible.cli.adhoc import main
sys.argv[0] = 'ansible'
sys.exit(main())
''' % HOOK


def run(tmp_path, setting):
    """Ping localhost through a forked worker; return (rc, output, objects frozen at exit)."""
    env = dict(os.environ, GW_FORK_FREEZE='0', GW_TEST_FORK_FREEZE=setting, ANSIBLE_LOCAL_TEMP=str(tmp_path),
               ANSIBLE_NOCOLOR='1')
    proc = subprocess.run([sys.executable, '-c', RUNNER, 'localhost', '-c', 'local', '-m', 'ansible.builtin.ping'],
                          capture_output=True, text=True, env=env, timeout=120, check=False, cwd=str(tmp_path))
    frozen = re.search(r'^FROZEN=(\d+)$', proc.stderr, re.M)
    assert frozen, proc.stderr[-2000:]
    return proc.returncode, proc.stdout + proc.stderr, int(frozen.group(1))


def test_objects_are_frozen_at_the_fork_and_the_task_still_runs(tmp_path):
    rc, output, frozen = run(tmp_path, '1')
    assert rc == 0, output[-2000:]
    assert '"ping": "pong"' in output or 'ping: pong' in output, output[-2000:]
    # The loaded Ansible: tens of thousands of objects.
    assert frozen > 10000


@pytest.mark.parametrize('setting', ['0', ''])
def test_off_unless_the_variable_is_1(tmp_path, setting):
    rc, output, frozen = run(tmp_path, setting)
    assert rc == 0, output[-2000:]
    assert frozen == 0
