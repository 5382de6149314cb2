# -*- coding: utf-8 -*-
# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of groundwork.stack.command (documented in plugins/modules/command.py)."""

from __future__ import annotations

from ansible.plugins.action import ActionBase

from ansible_collections.groundwork.stack.plugins.plugin_utils import lowcommand, lowlevel


class ActionModule(ActionBase):
    """Run an argv over the connection, without Python on the host; the command module for anything else."""

    _supports_check_mode = True
    _supports_async = False

    def _shortcut_allowed(self):
        # Task environment is applied by modules only; a become password, or a connection that takes no
        # input with a command, makes the connection use a terminal, which merges stderr into stdout.
        if self._task.environment and any(self._task.environment):
            return False
        if not lowlevel.separate_streams(self):
            return False
        become = getattr(self._connection, 'become', None)
        if self._play_context.become and become is not None:
            try:
                if become.get_option('become_pass'):
                    return False
            except KeyError:
                return False
        return True

    def _module(self, args, task_vars):
        # The module with the task's own arguments, exactly as if the task had called it.
        return self._execute_module(module_name='ansible.builtin.command', module_args=args, task_vars=task_vars)

    def _run(self, line):
        return lowlevel.run(self, line)

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        args = dict(self._task.args)
        argv = lowcommand.argv_of(args)
        if argv is None or not self._shortcut_allowed():
            result.update(self._module(args, task_vars))
            return result
        if args.get('creates') or args.get('removes'):
            rc, out, _err = self._run(lowcommand.guard_line(args))
            # rc None (the connection failed) or another status: the module decides.
            if rc == 0 and out.strip() == 'skip':
                path = args.get('creates') or args.get('removes')
                why = 'exists' if args.get('creates') else 'does not exist'
                result.update(changed=False, rc=0, cmd=argv, stdout="skipped, since %s %s" % (path, why),
                              stderr='', msg="Did not run command since '%s' %s" % (path, why))
                return result
            if rc != 0:
                result.update(self._module(args, task_vars))
                return result
        if self._task.check_mode:
            # As the module: with creates/removes it would run (changed); without, it is skipped.
            if args.get('creates') or args.get('removes'):
                result.update(changed=True, rc=0, cmd=argv, msg='Command would have run if not in check mode')
            else:
                result.update(skipped=True, changed=False, msg='Command would have run if not in check mode')
            return result
        rc, out, err = self._run(lowcommand.shell_line(argv))
        if rc is None:
            # The connection could not run it: the module runs it, and reports the connection's error.
            result.update(self._module(args, task_vars))
            return result
        result.update(lowcommand.result_of(argv, rc, out, err))
        return result
