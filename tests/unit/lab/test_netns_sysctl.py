# -*- coding: utf-8 -*-
# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""lab/netns-sysctl.conf against the base role's defaults.

The lab gives its hosts, at creation, the base role's settings that belong to
the network namespace (a container cannot set them itself). The file must
hold the role's values, and every net.* setting of the role that a network
namespace has; the base scenario checks the same on a running host.
"""

from __future__ import annotations

import os

import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..'))
# net.* settings that are global to the kernel: a child network namespace has
# no such file in /proc/sys, and podman refuses them.
KERNEL_WIDE = {'net.core.netdev_max_backlog', 'net.core.bpf_jit_harden'}


def _norm(value):
    return ' '.join(str(value).split())


def _lab():
    entries = {}
    with open(os.path.join(ROOT, 'lab', 'netns-sysctl.conf'), encoding='utf-8') as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith('#'):
                key, value = line.split('=', 1)
                assert key not in entries, 'duplicate %s' % key
                entries[key] = _norm(value)
    return entries


def _role():
    with open(os.path.join(ROOT, 'roles', 'base', 'defaults', 'main.yml'), encoding='utf-8') as f:
        defaults = yaml.safe_load(f)
    merged = dict(defaults['base_sysctl'])
    merged.update(defaults['base_hardening_sysctl'])
    return {k: _norm(v) for k, v in merged.items()}


def test_lab_values_are_the_roles():
    role = _role()
    for key, value in _lab().items():
        assert key in role, '%s is in lab/netns-sysctl.conf but not a base role setting' % key
        assert value == role[key], '%s: lab %r, role %r' % (key, value, role[key])


def test_every_namespaced_setting_is_given():
    lab = _lab()
    missing = sorted(k for k in _role() if k.startswith('net.') and k not in KERNEL_WIDE and k not in lab)
    assert not missing, 'add to lab/netns-sysctl.conf: %s' % ', '.join(missing)


def test_kernel_wide_settings_are_not_given():
    assert not KERNEL_WIDE & set(_lab())
