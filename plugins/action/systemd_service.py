# -*- coding: utf-8 -*-
# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of groundwork.stack.systemd_service (documented in plugins/modules/systemd_service.py)."""

from __future__ import annotations

from ansible.plugins.action import ActionBase

from ansible_collections.groundwork.stack.plugins.plugin_utils import lowlevel, unitstate


class ActionModule(ActionBase):
    """Ask systemctl whether the unit is already as asked; run ansible.builtin.systemd_service when it is not."""

    _supports_check_mode = True
    _supports_async = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        args = dict(self._task.args)
        want = unitstate.wanted(args)
        if want is not None:
            rc, stdout, _stderr = lowlevel.run(self, unitstate.probe_command(want[0]))
            if rc == 0 and unitstate.satisfied(want, stdout):
                result.update(changed=False, name=want[0], msg='%s is already as asked (systemctl)' % want[0])
                if want[1] is not None:
                    result['state'] = 'started' if want[1] else 'stopped'
                if want[2] is not None:
                    result['enabled'] = want[2]
                return result
        # The module with the task's own arguments, exactly as if the task had called it.
        result.update(self._execute_module(module_name='ansible.builtin.systemd_service', module_args=args,
                                           task_vars=task_vars))
        return result
