# -*- coding: utf-8 -*-
# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of groundwork.stack.apt_packages (documented in plugins/modules/apt_packages.py)."""

from __future__ import annotations

from ansible.plugins.action import ActionBase

from ansible_collections.groundwork.stack.plugins.plugin_utils import debpackages


class ActionModule(ActionBase):
    """Ask dpkg whether the packages are installed; run ansible.builtin.apt only when one is not."""

    _supports_check_mode = True
    _supports_async = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        args = dict(self._task.args)
        names = debpackages.names_of(args)
        if names is not None:
            # No Python on the host, no privilege needed: dpkg's status file is world-readable.
            query = self._low_level_execute_command(debpackages.query_command(names), sudoable=False)
            # rc 1: a name dpkg does not know (it is then missing); anything else is unexpected: apt decides.
            if query.get('rc') in (0, 1):
                absent = debpackages.missing(names, query.get('stdout', ''))
                if not absent:
                    result.update(changed=False, packages=names, missing=[],
                                  msg='All %d package(s) are installed (dpkg-query)' % len(names))
                    return result
                args.setdefault('state', 'present')
                result['missing'] = absent
        # The apt module with the task's own arguments, exactly as if the task had called it.
        result.update(self._execute_module(module_name='ansible.builtin.apt', module_args=args, task_vars=task_vars))
        return result
