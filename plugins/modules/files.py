# -*- coding: utf-8 -*-
# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: files
author:
  - groundwork.stack maintainers (@groundwork)
version_added: 0.4.0
short_description: Ensure several files and directories in one task, asking the host once
description:
  - Ensures files (from a template, a static file or given content), directories and absent paths, with
    their owner, group and mode, like M(ansible.builtin.template), M(ansible.builtin.copy) and
    M(ansible.builtin.file) together.
  - Templates are rendered on the controller, as M(ansible.builtin.template) does (the same search path,
    C(trim_blocks), C(ansible_managed)), with the task's variables and the item's C(vars).
  - The state of every item is read with one shell command on the host (C(stat) and C(sha1sum), no Python).
    When every item is already as asked, that is all the task does. Otherwise the module runs, on the host,
    for the items that differ only, and compares them again itself before it changes anything.
  - A file is written to a temporary file in its own directory, given its owner, group and mode, checked with
    O(files[].validate) when given, and renamed over the old one. A symbolic link at O(files[].dest) is
    replaced, never followed.
  - The task reports changed when any item changed; its handlers are notified then. Give items with
    different handlers tasks of their own.
  - The contents travel as module arguments, never as a file on the host and never in the result. Mark a file
    with secret content O(files[].secret=true) so that its diff is not shown.
options:
  files:
    description:
      - The items, applied in order (list a directory before the files in it).
      - The action plugin accepts C(template) (a file of the role's C(templates/)), C(src) (a file of the
        role's C(files/), copied as it is) or C(content), C(vars) (extra variables of a template), and
        C(when) (a boolean; false leaves the item out, so one task can list files that depend on settings).
        A source given with O(files[].state=absent) is ignored, so C(state) can switch an item off.
        The module itself receives the rendered content.
    type: list
    elements: dict
    required: true
    suboptions:
      dest:
        description: The absolute path on the host.
        type: path
        required: true
      state:
        description: C(file), C(directory) (created with its missing parents) or C(absent) (removed, a directory with its content).
        type: str
        choices: [file, directory, absent]
        default: file
      content:
        description: The file's content, base64-encoded (the action plugin encodes it).
        type: str
      owner:
        description: The owner (a name or a number). Unset, an existing file keeps its own; a new one belongs to the user the task runs as.
        type: str
      group:
        description: The group (a name or a number). Unset, as for O(files[].owner).
        type: str
      mode:
        description: The mode, as in M(ansible.builtin.file) (quote octal modes, C("0640")). Unset, an existing file keeps its own; a new one gets the umask's.
        type: raw
      validate:
        description: A command run on the candidate file before it replaces O(files[].dest); C(%s) is its path. The file is not replaced when it fails.
        type: str
      force:
        description: When false, an existing file keeps its content (owner, group and mode too).
        type: bool
        default: true
      secret:
        description: Show no diff of the content.
        type: bool
        default: false
      reason:
        description: Why the action plugin sends the item (informational).
        type: str
  owner:
    description: The owner of every item that names none (action plugin only).
    type: str
  group:
    description: The group of every item that names none (action plugin only).
    type: str
  mode:
    description: The mode of every file item that names none (action plugin only); directories take only their own.
    type: raw
  secret:
    description: The O(files[].secret) of every item that names none (action plugin only).
    type: bool
attributes:
  action:
    support: full
    description: The action plugin renders the contents and probes the host; the module applies.
  check_mode:
    support: full
    description: Reports what would change, with its diff, and changes nothing.
  diff_mode:
    support: full
    description: The content (unless secret) and the attributes before and after, one diff per changed item.
  platform:
    support: full
    platforms: posix
    description: Needs C(stat), C(sha1sum) and C(cut) (GNU coreutils) for the probe.
seealso:
  - module: ansible.builtin.template
  - module: ansible.builtin.copy
  - module: ansible.builtin.file
"""

EXAMPLES = r"""
- name: Write sshd's configuration (validated) and its banner
  groundwork.stack.files:
    owner: root
    group: root
    mode: "0644"
    files:
      - dest: /etc/ssh/sshd_config.d
        state: directory
        mode: "0755"
      - dest: /etc/ssh/sshd_config
        template: sshd_config.j2
        mode: "0600"
        validate: /usr/sbin/sshd -t -f %s
      - dest: /etc/issue.net
        content: "Authorised access only.\n"
      - dest: /etc/ssh/sshd_config.d/old.conf
        state: absent
  notify: Reload ssh

- name: Install the timer units, each from the same template
  groundwork.stack.files:
    mode: "0644"
    files: >-
      {{ timers | map('community.general.dict_kv', 'vars') | map('combine', {'template': 'unit.timer.j2'}) }}
"""

RETURN = r"""
files:
  description: One entry per item, in the task's order.
  returned: always
  type: list
  elements: dict
  contains:
    dest:
      description: The item's path.
      type: str
    state:
      description: The item's state.
      type: str
    changed:
      description: Whether the item changed (or would, in check mode).
      type: bool
    reason:
      description: What differed (C(missing), C(content), C(owner), C(group), C(mode) ...), for a changed item.
      type: str
      returned: when the item changed
  sample: [{dest: /etc/ssh/sshd_config, state: file, changed: true, reason: content}]
"""

import base64
import os
import shlex
import shutil
import stat
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native

MAX_DIFF_BYTES = 64 * 1024


def argument_spec():
    return dict(
        files=dict(type='list', elements='dict', required=True, options=dict(
            dest=dict(type='path', required=True),
            state=dict(type='str', choices=['file', 'directory', 'absent'], default='file'),
            content=dict(type='str', no_log=True),
            owner=dict(type='str'),
            group=dict(type='str'),
            mode=dict(type='raw'),
            validate=dict(type='str'),
            force=dict(type='bool', default=True),
            secret=dict(type='bool', default=False),
            reason=dict(type='str'),
        )),
        owner=dict(type='str'),
        group=dict(type='str'),
        mode=dict(type='raw'),
        secret=dict(type='bool'),
    )


def file_arguments(item, path):
    """The common file arguments AnsibleModule's attribute helpers take, for ``path``."""
    return dict(path=path, mode=item.get('mode'), owner=item.get('owner'), group=item.get('group'),
                secontext=[None, None, None, None], attributes=None)


def validate_argv(command, path):
    """The argv of an item's validate command, %s replaced by ``path`` in every argument (no shell)."""
    return [arg.replace('%s', path) for arg in shlex.split(command)]


def text_diff(dest, before, after, secret):
    """A content diff for the callback, or None when it cannot be shown (secret, binary or large)."""
    if secret:
        return {'before_header': dest, 'after_header': dest, 'before': '(secret content)\n',
                'after': '(secret content, changed)\n'}
    if len(before) > MAX_DIFF_BYTES or len(after) > MAX_DIFF_BYTES or b'\0' in before + after:
        return None
    try:
        return {'before_header': dest, 'after_header': dest, 'before': before.decode('utf-8'),
                'after': after.decode('utf-8')}
    except UnicodeDecodeError:
        return None


def _attributes(module, item, path, diffs):
    """Set the item's owner, group and mode on ``path``; True when one changed (or would)."""
    diff = {'before': {'path': path}, 'after': {'path': path}}
    changed = module.set_fs_attributes_if_different(file_arguments(item, path), False, diff=diff)
    if changed:
        diffs.append(diff)
    return changed


def ensure_file(module, item, diffs):
    dest = item['dest']
    data = base64.b64decode(item['content'] or '')
    try:
        st = os.lstat(dest)
    except FileNotFoundError:
        st = None
    if st is not None and stat.S_ISDIR(st.st_mode):
        module.fail_json(msg='files: %s is a directory, not a file' % dest)
    regular = st is not None and stat.S_ISREG(st.st_mode)
    if regular and not item['force']:
        return None
    before = b''
    if regular:
        with open(dest, 'rb') as handle:
            before = handle.read()
    if regular and before == data:
        return 'attributes' if _attributes(module, item, dest, diffs) else None

    reason = 'missing' if st is None else ('content' if regular else 'not a regular file')
    directory = os.path.dirname(dest)
    if not os.path.isdir(directory):
        module.fail_json(msg='files: the directory of %s does not exist (list it as a directory item first)' % dest)
    diff = text_diff(dest, before, data, item['secret'])
    if diff is not None:
        diffs.append(diff)
    if module.check_mode:
        return reason

    fd, tmp = tempfile.mkstemp(dir=directory, prefix='.%s.' % os.path.basename(dest), suffix='.groundwork-tmp')
    try:
        with os.fdopen(fd, 'wb') as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        # Start from the old file's owner, group and mode (or a new file's usual ones), then the item's.
        if regular:
            os.chown(tmp, st.st_uid, st.st_gid)
            os.chmod(tmp, stat.S_IMODE(st.st_mode))
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        module.set_fs_attributes_if_different(file_arguments(item, tmp), False)
        if module.selinux_enabled():
            module.set_context_if_different(tmp, module.selinux_default_context(dest), False)
        if item.get('validate'):
            rc, out, err = module.run_command(validate_argv(item['validate'], tmp))
            if rc != 0:
                module.fail_json(msg='files: %s failed to validate (%s): %s' % (dest, item['validate'], (err or out).strip()),
                                 rc=rc, stdout=out, stderr=err)
        os.rename(tmp, dest)
        tmp = None
    finally:
        if tmp is not None and os.path.lexists(tmp):
            os.unlink(tmp)
    return reason


def ensure_directory(module, item, diffs):
    dest = item['dest']
    if os.path.islink(dest) or (os.path.lexists(dest) and not os.path.isdir(dest)):
        module.fail_json(msg='files: %s exists and is not a directory' % dest)
    missing = []
    path = dest
    while not os.path.lexists(path):
        missing.append(path)
        path = os.path.dirname(path)
    if not missing:
        return 'attributes' if _attributes(module, item, dest, diffs) else None
    diffs.append({'before': {'path': dest, 'state': 'absent'}, 'after': {'path': dest, 'state': 'directory'}})
    if not module.check_mode:
        for path in reversed(missing):
            os.mkdir(path)
            module.set_fs_attributes_if_different(file_arguments(item, path), False)
    return 'missing'


def ensure_absent(module, item, diffs):
    dest = item['dest']
    if not os.path.lexists(dest):
        return None
    directory = os.path.isdir(dest) and not os.path.islink(dest)
    diffs.append({'before': {'path': dest, 'state': 'directory' if directory else 'file'},
                  'after': {'path': dest, 'state': 'absent'}})
    if not module.check_mode:
        if directory:
            shutil.rmtree(dest)
        else:
            os.unlink(dest)
    return 'present'


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    results = []
    diffs = []
    for item in module.params['files']:
        ensure = {'file': ensure_file, 'directory': ensure_directory, 'absent': ensure_absent}[item['state']]
        try:
            reason = ensure(module, item, diffs)
        except (OSError, ValueError) as error:
            module.fail_json(msg='files: %s: %s' % (item['dest'], to_native(error)), files=results)
        entry = {'dest': item['dest'], 'state': item['state'], 'changed': reason is not None}
        if reason is not None:
            entry['reason'] = reason
        results.append(entry)
    changed = any(entry['changed'] for entry in results)
    result = {'changed': changed, 'files': results}
    if module._diff and diffs:
        result['diff'] = diffs
    module.exit_json(**result)


if __name__ == '__main__':
    main()
