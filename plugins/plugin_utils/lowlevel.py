# -*- coding: utf-8 -*-
# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One shell command over an action's connection, without Python on the host and without a terminal.

Used by the actions that answer a no-op from the connection alone (files, systemd_service, command). The
ssh connection asks for a terminal (``-tt``) for a privileged command that sends no input, and a terminal
mixes stderr into stdout and ends lines with CRLF. Sending one newline as input keeps the terminal off; the
command itself reads /dev/null.
"""

from __future__ import annotations

from ansible.module_utils.common.text.converters import to_text


def run(action, line):
    """(rc, stdout, stderr) of ``line`` run by /bin/sh on the host, with the task's privilege escalation."""
    out = action._low_level_execute_command('%s </dev/null' % line if '\n' not in line else '{ %s\n} </dev/null' % line,
                                            sudoable=True, in_data=b'\n')
    return (out.get('rc'), to_text(out.get('stdout', ''), errors='surrogate_or_replace'),
            to_text(out.get('stderr', ''), errors='surrogate_or_replace'))
