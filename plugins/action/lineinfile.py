# -*- coding: utf-8 -*-
# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of groundwork.stack.lineinfile (documented in plugins/modules/lineinfile.py)."""

from __future__ import annotations

import shlex

from ansible.plugins.action import ActionBase

from ansible_collections.groundwork.stack.plugins.plugin_utils import lineplan, lowlevel


class ActionModule(ActionBase):
    """Read the file with one command and decide on the controller; run ansible.builtin.lineinfile when it would
    change."""

    _supports_check_mode = True
    _supports_async = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        args = dict(self._task.args)
        spec = lineplan.shortcut_args(args)
        if spec is not None:
            rc, stdout, _stderr = lowlevel.run(self, 'cat -- %s' % shlex.quote(spec['path']))
            if rc == 0 and lineplan.unchanged(spec, stdout):
                result.update(changed=False, msg='', backup='')
                return result
        # The module with the task's own arguments, exactly as if the task had called it.
        result.update(self._execute_module(module_name='ansible.builtin.lineinfile', module_args=args,
                                           task_vars=task_vars))
        return result
