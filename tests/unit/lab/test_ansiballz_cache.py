# -*- coding: utf-8 -*-
# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lab controller's module payload cache (lab/venv/gw_ansiballz_cache.py).

A stale payload would run old module code in every later test, so what
matters is that a change to a module or to any module_utils file it imports
is seen by the next run, and that an unchanged payload really is reused.
Each test runs the real ``ansible`` command (local connection) with the hook
loaded, against a small collection of its own.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..'))
HOOK = os.path.join(ROOT, 'lab', 'venv', 'gw_ansiballz_cache.py')
# The ansible command with the checkout's hook loaded first, as the venv's .pth file loads the installed copy
# (which stays inert here: the variable is set only after the interpreter has started).
RUNNER = '''
import importlib.util, os, sys
sys.path.insert(0, os.path.dirname(spec_path := %r))  # the checkout's gw_import_hook first
os.environ['GW_ANSIBALLZ_CACHE'] = os.environ.pop('GW_TEST_ANSIBALLZ_CACHE')
spec = importlib.util.spec_from_file_location('gw_ansiballz_cache_under_test', spec_path)
spec.loader.exec_module(importlib.util.module_from_spec(spec))
from ansible.cli.adhoc import main
sys.argv[0] = 'ansible'
sys.exit(main())
''' % HOOK

MODULE = '''#!/usr/bin/python
from ansible.module_utils.basic import AnsibleModule
from ansible_collections.gwtest.probe.plugins.module_utils.value import VALUE
AnsibleModule(argument_spec={}).exit_json(changed=False, value=VALUE, module=%r)
'''


@pytest.fixture(name='lab')
def fixture_lab(tmp_path):
    """A collection gwtest.probe with one module importing one module_utils file, and a cache directory."""
    base = tmp_path / 'collections' / 'ansible_collections' / 'gwtest' / 'probe'
    (base / 'plugins' / 'modules').mkdir(parents=True)
    (base / 'plugins' / 'module_utils').mkdir(parents=True)
    (base / 'plugins' / 'modules' / 'probe.py').write_text(MODULE % 'first')
    (base / 'plugins' / 'module_utils' / 'value.py').write_text('VALUE = 1\n')
    cache = tmp_path / 'cache'
    cache.mkdir(mode=0o700)
    local_tmp = tmp_path / 'local-tmp'
    local_tmp.mkdir()
    return {'tmp': tmp_path, 'collection': base, 'cache': cache, 'local_tmp': local_tmp}


def run(lab):
    """Run the probe module once; return its result."""
    env = {k: v for k, v in os.environ.items() if k != 'GW_ANSIBALLZ_CACHE'}
    env.update(GW_TEST_ANSIBALLZ_CACHE=str(lab['cache']),
               ANSIBLE_COLLECTIONS_PATH=str(lab['tmp'] / 'collections'),
               ANSIBLE_LOCAL_TEMP=str(lab['local_tmp']),
               ANSIBLE_LOAD_CALLBACK_PLUGINS='1', ANSIBLE_STDOUT_CALLBACK='json',
               ANSIBLE_NOCOLOR='1', ANSIBLE_FORCE_COLOR='0')
    proc = subprocess.run(
        [sys.executable, '-c', RUNNER, 'localhost', '-c', 'local', '-i', 'localhost,',
         '-e', 'ansible_python_interpreter=%s' % sys.executable, '-m', 'gwtest.probe.probe'],
        capture_output=True, text=True, env=env, check=False, stdin=subprocess.DEVNULL, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    result = json.loads(proc.stdout)
    return result['plays'][0]['tasks'][0]['hosts']['localhost']


def entries(lab):
    """{name: mtime_ns} of the cache's entries."""
    return {e.name: e.stat().st_mtime_ns for e in os.scandir(lab['cache'])}


def test_an_unchanged_payload_is_reused(lab):
    assert run(lab)['value'] == 1
    first = entries(lab)
    assert len(first) == 1, first
    assert run(lab)['value'] == 1
    # Used, not built and stored again.
    assert entries(lab) == first


def test_a_changed_module_utils_file_is_seen_by_the_next_run(lab):
    assert run(lab)['value'] == 1
    first = entries(lab)
    (lab['collection'] / 'plugins' / 'module_utils' / 'value.py').write_text('VALUE = 2\n')
    assert run(lab)['value'] == 2
    second = entries(lab)
    # The same key (the module did not change), the entry replaced by the new build.
    assert second.keys() == first.keys() and second != first


def test_a_changed_module_is_seen_by_the_next_run(lab):
    assert run(lab)['module'] == 'first'
    (lab['collection'] / 'plugins' / 'modules' / 'probe.py').write_text(MODULE % 'second')
    assert run(lab)['module'] == 'second'
    assert len(entries(lab)) == 2  # a new key for the new source


def test_a_directory_others_can_write_is_not_used(lab):
    os.chmod(lab['cache'], 0o777)
    assert run(lab)['value'] == 1
    assert not entries(lab)
