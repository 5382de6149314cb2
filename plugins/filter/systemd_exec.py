# -*- coding: utf-8 -*-
# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: systemd_exec
author: groundwork.stack maintainers
version_added: 0.1.0
short_description: Quote a list of arguments as the command line of a systemd Exec setting
description:
  - Returns the arguments joined by spaces, each written so that systemd passes it to the program
    unchanged (C(systemd.service(7)), "Command lines") - an argument with whitespace, quotes or
    backslashes is double-quoted with C-style escapes, and C(%) and C($) are doubled so that they are
    not read as a specifier or a variable reference.
  - Arguments that need none of that are written as they are.
options:
  _input:
    description: The command and its arguments.
    type: list
    elements: string
    required: true
"""

EXAMPLES = r"""
- name: Render a worker's command line
  ansible.builtin.debug:
    msg: "ExecStart={{ ['/opt/app/venv/bin/python', '-m', 'worker', '--label', '50% done'] | groundwork.stack.systemd_exec }}"
    # ExecStart=/opt/app/venv/bin/python -m worker --label "50%% done"
"""

RETURN = r"""
_value:
  description: The command line.
  type: string
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.groundwork.stack.plugins.plugin_utils.systemd import exec_line


def systemd_exec(args):
    """Filter: an Exec*= command line."""
    try:
        return exec_line(list(args) if isinstance(args, (list, tuple)) else args)
    except ValueError as exc:
        raise AnsibleFilterError('systemd_exec: %s' % exc)


class FilterModule(object):
    """systemd filters."""

    def filters(self):
        return {'systemd_exec': systemd_exec}
