# -*- coding: utf-8 -*-
# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: command
author:
  - groundwork.stack maintainers (@groundwork)
version_added: 0.4.0
short_description: Run a program from an argv, without Python on the host when nothing else is asked
description:
  - The same task as M(ansible.builtin.command) with O(argv), and optionally O(creates) or O(removes).
  - The argv runs over the connection itself (each argument quoted for C(/bin/sh), none parsed), with the
    task's privilege escalation, and the result has the module's keys (C(rc), C(stdout), C(stderr), their
    C(_lines), C(cmd); C(failed) on a non-zero exit). On a lab host that is about 50 ms where the module takes
    about 0.25 s; O(creates) and O(removes) are one C(test -e).
  - M(ansible.builtin.command) runs instead, with the task's own arguments, for any other option (C(chdir),
    C(stdin), C(cmd) ...), an argument with C($) or a leading C(~) (the module expands those, unless O(expand_argument_vars=false)), a glob in
    O(creates) or O(removes), a task C(environment), or a privilege escalation with a password (the connection
    then uses a terminal, which mixes stderr into stdout).
  - An exit status of 255 comes back as 255 (over ssh it travels as 254 with a marker line, since Ansible's ssh
    connection reads 255 as its own failure).
  - Check mode is as in the module (skipped, or reported as it would run when O(creates) or O(removes) is given).
    A read-only probe sets C(check_mode) false on the task, as with the module.
options:
  argv:
    description: The program and its arguments.
    type: list
    elements: str
    required: true
  creates:
    description: An absolute path; when it exists, the command does not run.
    type: path
  removes:
    description: An absolute path; when it does not exist, the command does not run.
    type: path
  expand_argument_vars:
    description: As M(ansible.builtin.command); with false, arguments with C($) or a leading C(~) run over the connection too.
    type: bool
    default: true
attributes:
  check_mode:
    support: partial
    description: As M(ansible.builtin.command).
  diff_mode:
    support: none
    description: Nothing to show.
  platform:
    support: full
    platforms: posix
    description: A POSIX shell on the host.
seealso:
  - module: ansible.builtin.command
"""

EXAMPLES = r"""
- name: Read the installed nginx version
  groundwork.stack.command:
    argv: [nginx, -v]
  register: nginx_version
  changed_when: false
  check_mode: false

- name: Generate the DH parameters once
  groundwork.stack.command:
    argv: [openssl, dhparam, -out, /etc/nginx/dhparam.pem, "2048"]
    creates: /etc/nginx/dhparam.pem
"""

RETURN = r"""
cmd:
  description: The argv.
  returned: always
  type: list
  elements: str
  sample: [nginx, -v]
rc:
  description: The exit status.
  returned: always
  type: int
  sample: 0
stdout:
  description: The standard output, trailing newlines stripped.
  returned: when the command ran or was skipped by creates or removes
  type: str
  sample: ''
stderr:
  description: The standard error, trailing newlines stripped.
  returned: when the command ran or was skipped by creates or removes
  type: str
  sample: 'nginx version: nginx/1.26.3'
stdout_lines:
  description: The standard output, line by line.
  returned: when the command ran
  type: list
  elements: str
  sample: []
stderr_lines:
  description: The standard error, line by line.
  returned: when the command ran
  type: list
  elements: str
  sample: ['nginx version: nginx/1.26.3']
"""
