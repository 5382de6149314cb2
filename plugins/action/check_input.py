# -*- coding: utf-8 -*-
# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of groundwork.stack.check_input (documented in plugins/modules/check_input.py)."""

from __future__ import annotations

from ansible.errors import AnsibleUndefinedVariable
from ansible.plugins.action import ActionBase

from ansible_collections.groundwork.stack.plugins.plugin_utils import input_rules


class ActionModule(ActionBase):
    """Evaluate a role's input rules one by one and report every broken one."""

    _requires_connection = False
    _VALID_ARGS = frozenset(('rules', 'role'))

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp

        role = str(self._task.args.get('role') or '')
        templar = self._templar

        def evaluate(expression, local_variables):
            return templar.evaluate_expression(expression, local_variables=local_variables or None)

        def value_of(name):
            try:
                return templar.evaluate_expression(name)
            except AnsibleUndefinedVariable:
                return input_rules.NOT_SET

        try:
            problems = input_rules.check(self._task.args.get('rules'), evaluate, value_of)
        except input_rules.RuleError as error:
            result.update(failed=True, msg='check_input: a rule of %s is malformed: %s' % (role or 'the role', error))
            return result

        result['changed'] = False
        subject = 'the input of the %s role' % role if role else 'the input'
        if problems:
            # One "- " line per problem: the preflight splits the message on them.
            result['failed'] = True
            result['msg'] = '%d problem(s) in %s:\n%s' % (len(problems), subject, '\n'.join('- ' + p for p in problems))
        else:
            result['msg'] = 'All rules of %s hold' % subject
            result['problems'] = []
        return result
