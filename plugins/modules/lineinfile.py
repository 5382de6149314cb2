# -*- coding: utf-8 -*-
# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: lineinfile
author:
  - groundwork.stack maintainers (@groundwork)
version_added: 0.4.0
short_description: Ensure a line is in a file (or not), reading the file once first
description:
  - The same task as M(ansible.builtin.lineinfile), which it runs with the task's own arguments whenever the
    file would change, or whenever the task asks for more than the options below.
  - The file is read with one C(cat) command (no Python on the host) and the module's own rules decide on the
    controller whether it would change. On a lab host that is about 50 ms instead of 0.37 s.
  - With O(regexp), the last matching line (the first with O(firstmatch)) must already be O(line), or, when no
    line matches, O(line) must be in the file exactly. Without O(regexp), O(line) must be there exactly. With
    O(state=absent), no line may match. Python's regular expressions decide, as in the module.
options:
  path:
    description: The file (absolute).
    type: path
    required: true
  regexp:
    description: As M(ansible.builtin.lineinfile).
    type: str
  line:
    description: As M(ansible.builtin.lineinfile).
    type: str
  state:
    description: As M(ansible.builtin.lineinfile).
    type: str
    choices: [absent, present]
    default: present
  firstmatch:
    description: As M(ansible.builtin.lineinfile).
    type: bool
    default: false
  insertafter:
    description: Passed to the module when it runs.
    type: str
  insertbefore:
    description: Passed to the module when it runs.
    type: str
  validate:
    description: Passed to the module when it runs.
    type: str
attributes:
  check_mode:
    support: full
    description: The file is only read; the module runs in check mode otherwise.
  diff_mode:
    support: full
    description: The module's diff, when it runs.
  platform:
    support: full
    platforms: posix
    description: A POSIX shell on the host.
seealso:
  - module: ansible.builtin.lineinfile
"""

EXAMPLES = r"""
- name: Set the default umask
  groundwork.stack.lineinfile:
    path: /etc/login.defs
    regexp: '^#?\s*UMASK\s'
    line: "UMASK\t027"
"""

RETURN = r"""
msg:
  description: The module's message when it ran; empty when the file was already as asked.
  returned: always
  type: str
  sample: ''
"""
