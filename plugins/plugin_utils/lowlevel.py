# -*- coding: utf-8 -*-
# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One shell command over an action's connection, without Python on the host and without a terminal.

Used by the actions that answer a no-op from the connection alone (files, systemd_service, command,
lineinfile, certificate_status). The ssh connection asks for a terminal (``-tt``) for a privileged command
that sends no input, and a terminal mixes stderr into stdout and ends lines with CRLF. Sending one newline as
input keeps the terminal off; the command itself reads /dev/null. Connections that take no input with a
command (paramiko) run it as they do; their callers decide from output they can check, or hand the task to
the module. A connection error is not the callers' to judge either: they then hand the task to the module.
"""

from __future__ import annotations

from ansible.errors import AnsibleError
from ansible.module_utils.common.text.converters import to_text
from ansible.module_utils.parsing.convert_bool import boolean


def separate_streams(action):
    """Whether the connection can run a command with stdout and stderr kept apart (see run())."""
    return bool(getattr(action._connection, 'has_pipelining', False))


def run(action, line):
    """(rc, stdout, stderr) of ``line`` run by /bin/sh on the host, with the task's privilege escalation;
    rc is None when the connection could not run it."""
    command = '{ %s\n} </dev/null' % line
    try:
        if separate_streams(action):
            out = action._low_level_execute_command(command, sudoable=True, in_data=b'\n')
        else:
            out = action._low_level_execute_command(command, sudoable=True)
    except AnsibleError:
        return None, '', ''
    return (out.get('rc'), to_text(out.get('stdout', ''), errors='surrogate_or_replace'),
            to_text(out.get('stderr', ''), errors='surrogate_or_replace'))


def flag(value):
    """A task argument read as a boolean the way Ansible reads one (True, False), or None when it is not one:
    the shortcuts then leave the decision to the module."""
    try:
        return boolean(value, strict=True)
    except TypeError:
        return None
