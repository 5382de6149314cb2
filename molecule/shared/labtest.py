# -*- coding: utf-8 -*-
# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Helpers for the testinfra verifiers: act on lab hosts from the controller.

Tests use these to check behaviour from outside the host (an SSH login is
refused, a playbook run fails before changing anything), which testinfra's
own connection cannot show.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import tempfile
import time

import pytest
import testinfra

_RUNS = {'count': 0}

ROOT = os.environ.get('MOLECULE_PROJECT_DIRECTORY', os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..')))
LAB_KEY = os.path.join(ROOT, '.lab', 'ssh', 'id_ed25519')


def ssh_argv(address, user, command='true', options=()):
    """Return the argv of a one-shot SSH login with the lab key (no multiplexing)."""
    return ['ssh', '-i', LAB_KEY,
            '-o', 'BatchMode=yes', '-o', 'IdentitiesOnly=yes', '-o', 'ControlMaster=no', '-o', 'ControlPath=none',
            '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'ConnectTimeout=5',
            ] + list(options) + ['%s@%s' % (user, address), command]


def ssh(address, user, command='true', options=(), timeout=90):
    """Log in to ``address`` as ``user`` with the lab key and run ``command``.

    The timeout is generous: on a loaded CI machine one login to the Debian 12 host of the base scenario
    once took over 30 s (2026-12-06). The cause was found later that day: systemd 252 in a cgroup-v1
    container hangs stopping a user manager, and a login waits for it; molecule/base/prepare.yml keeps
    user managers running there.
    """
    # stdin is /dev/null: an inherited stdin that another process left non-blocking made ssh hang.
    return subprocess.run(ssh_argv(address, user, command, options), capture_output=True, text=True,
                          timeout=timeout, check=False, stdin=subprocess.DEVNULL)


def run_playbook(playbook, extra_vars=None, limit=None, timeout=600, inventories=None, args=(), extra_inventory=None):
    """Run a playbook against the scenario's inventory (or ``inventories``); return (rc, output, changed count).

    ``extra_inventory`` (a dict in the YAML inventory layout: groups and their hosts) is added as one more
    inventory source for this run only, e.g. to put a host into a group the converge left it out of.
    """
    argv = ['ansible-playbook']
    sources = list(inventories or [os.environ['MOLECULE_INVENTORY_FILE']])
    tmp = None
    if extra_inventory:
        with tempfile.NamedTemporaryFile('w', suffix='.yml', prefix='extra-inventory-', delete=False) as tmp:
            json.dump(extra_inventory, tmp)  # JSON is YAML: the inventory's yaml plugin reads it
        sources.append(tmp.name)
    for inventory in sources:
        argv += ['-i', inventory]
    argv.append(playbook)
    if limit:
        argv += ['--limit', limit]
    argv += list(args)
    if extra_vars:
        argv += ['-e', json.dumps(extra_vars)]
    # Molecule exports ANSIBLE_FORCE_COLOR=1, which beats ANSIBLE_NOCOLOR: turn it off so
    # callers can match plain output lines.
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, '.collections'), ANSIBLE_NOCOLOR='1',
               ANSIBLE_FORCE_COLOR='0')
    try:
        # stdin is /dev/null: ansible-playbook refuses a non-blocking stdin ("requires blocking IO"),
        # which the verifier's own stdin can be when it was started in the background.
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=env, check=False,
                              stdin=subprocess.DEVNULL)
    finally:
        if tmp:
            os.unlink(tmp.name)
    output = proc.stdout + proc.stderr
    _keep_output(playbook, argv, proc.returncode, output)
    changed = [int(n) for n in re.findall(r'changed=(\d+)', output)]
    return proc.returncode, output, sum(changed)


def failures(output):
    """The failure reports of a playbook run's output, joined: each ``fatal: [host]: FAILED!`` block and
    each ``[ERROR]`` message, up to the next blank line or task header, with line wraps undone.

    A bad-input test asserts that every variable it broke is named *here*, not merely somewhere in the
    output (a task name or a skipped task's label may mention any variable). The parts of a failed result
    that echo the input rather than judge it (an argument spec failure's ``argument_spec_data`` lists
    every option of the role, ``validate_args_context`` the role) are left out.
    """
    echoed = ('argument_spec_data:', 'validate_args_context:')
    blocks, current, skipping = [], None, False
    for line in output.splitlines():
        if line.startswith(('fatal: [', '[ERROR]')):
            current, skipping = [line], False
            blocks.append(current)
        elif current is not None and line.strip() and not line.startswith(('TASK [', 'PLAY ', 'RUNNING HANDLER')):
            if re.match(r'^    [a-z_]+:', line):
                skipping = line.strip().startswith(echoed)
            if not skipping:
                current.append(line)
        else:
            current = None
    return ' '.join(' '.join(' '.join(block).split()) for block in blocks)


def assert_reported(output, expected):
    """Assert that every string of ``expected`` (a variable's name, a rule's message, ``fatal: [host]``) is in
    the run's failure report (``failures``), naming the ones that are not."""
    report = failures(output)
    missing = [text for text in expected if text not in report]
    assert not missing, (missing, report[-3000:])


def _keep_output(playbook, argv, returncode, output):
    """Keep a verifier's playbook run (with its per-task timings) in tests/output/<scenario>/.

    Numbered in run order, so a slow or failed drill can be read after the suite; the command line is
    written without its -e values, which may hold test secrets.
    """
    scenario = os.environ.get('MOLECULE_SCENARIO_NAME')
    if not scenario:
        return
    directory = os.path.join(ROOT, 'tests', 'output', scenario)
    os.makedirs(directory, exist_ok=True)
    _RUNS['count'] += 1
    shown = [a for i, a in enumerate(argv) if a != '-e' and (i == 0 or argv[i - 1] != '-e')]
    name = '%03d-%s.log' % (_RUNS['count'], os.path.splitext(os.path.basename(playbook))[0])
    with open(os.path.join(directory, name), 'w', encoding='utf-8') as handle:
        handle.write('# %s\n# rc=%d\n%s' % (' '.join(shown), returncode, output))


def podman(*args):
    """Run podman on the controller with the lab's settings (a drill kills or starts a lab host)."""
    env = dict(os.environ, CONTAINERS_CONF=os.path.join(ROOT, 'lab', 'containers.conf'))
    return subprocess.run(['podman'] + list(args), capture_output=True, text=True, env=env, check=True, timeout=120)


def wait_until(predicate, timeout=60, step=1, tolerate=(AssertionError, OSError, RuntimeError, ValueError, KeyError)):
    """Poll ``predicate`` until it is true or ``timeout`` seconds pass; return its last value. The errors in
    ``tolerate`` (a host still booting, a member not answering yet) count as false until the last try."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if predicate():
                return True
        except tolerate:
            pass
        time.sleep(step)
    return predicate()


def lab_host(name, sudo=False):
    """Return the testinfra host ``name`` of the scenario's inventory, reached through Ansible."""
    return testinfra.get_host('ansible://%s?ansible_inventory=%s' % (name, os.environ['MOLECULE_INVENTORY_FILE']),
                              sudo=sudo)


def host_fixture(fixture_name, name):
    """Return a module-scoped pytest fixture called ``fixture_name`` that yields the lab host ``name``."""
    def fixture():
        return lab_host(name)
    fixture.__name__ = 'fixture_' + fixture_name
    fixture.__doc__ = 'The lab host %s.' % name
    return pytest.fixture(name=fixture_name, scope='module')(fixture)
