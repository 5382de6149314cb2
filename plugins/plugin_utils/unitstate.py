# -*- coding: utf-8 -*-
# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure helpers of groundwork.stack.systemd_service: when ``systemctl is-enabled`` and ``is-active`` alone can
answer that a unit is already as a task asks.

M(ansible.builtin.systemd_service) starts Python on the host and reads the unit's whole property set even
when the unit is running and enabled: about 0.3 s per task on a lab host (2026-12-07), and a converge of the
all-in-one lab runs 16 of them. One ``systemctl`` command answers that common case in about 50 ms. These
helpers decide when the shortcut is exact; every other case goes to the module unchanged.
"""

from __future__ import annotations

import shlex

from ansible_collections.groundwork.stack.plugins.plugin_utils import lowlevel


# The options the shortcut understands; with any other one (or another value), the module decides.
_OPTIONS = frozenset(('name', 'state', 'enabled', 'daemon_reload', 'scope', 'no_block'))

# "systemctl is-active" answers for a unit the module counts as running (its ActiveState check).
_RUNNING = ('active', 'activating', 'reloading')
_STOPPED = ('inactive', 'failed')


def wanted(args):
    """(unit, running, enabled) the shortcut checks for the task's ``args`` (running/enabled: True, False or
    None for "not asked"), or None when the module must decide."""
    if set(args) - _OPTIONS:
        return None
    name = args.get('name')
    if not isinstance(name, str) or not name or name.startswith('-') or any(c.isspace() for c in name):
        return None
    if args.get('scope') not in (None, 'system'):
        return None
    if args.get('daemon_reload') is not None and lowlevel.flag(args['daemon_reload']) is not False:
        return None
    if args.get('no_block') is not None and lowlevel.flag(args['no_block']) is None:
        return None
    state = args.get('state')
    if state not in (None, 'started', 'stopped'):
        return None
    running = None if state is None else state == 'started'
    enabled = None
    if args.get('enabled') is not None:
        enabled = lowlevel.flag(args['enabled'])
        if enabled is None:
            return None
    if running is None and enabled is None:
        return None
    return name, running, enabled


def probe_command(unit):
    """Two systemctl answers on two lines, whatever their exit codes."""
    quoted = shlex.quote(unit)
    return 'systemctl is-enabled -- %s 2>/dev/null; echo "rc=$?"; systemctl is-active -- %s 2>/dev/null; echo "rc=$?"' % (
        quoted, quoted)


def satisfied(want, stdout):
    """Whether the probe's ``stdout`` shows the unit as ``want`` (from wanted()); False when unsure."""
    _unit, running, enabled = want
    lines = [line.strip() for line in (stdout or '').splitlines() if line.strip()]
    if len(lines) != 4 or not lines[1].startswith('rc=') or not lines[3].startswith('rc='):
        return False
    enabled_word, enabled_rc, active_word = lines[0], lines[1][3:], lines[2]
    if enabled is True and not (enabled_rc == '0' and enabled_word in ('enabled', 'enabled-runtime', 'static', 'alias', 'indirect', 'generated')):
        return False
    # Disabled only when systemctl says so; an init script's state is the module's to read.
    if enabled is False and enabled_word != 'disabled':
        return False
    if running is True and active_word not in _RUNNING:
        return False
    if running is False and active_word not in _STOPPED:
        return False
    return True
