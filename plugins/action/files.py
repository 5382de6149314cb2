# -*- coding: utf-8 -*-
# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of groundwork.stack.files (documented in plugins/modules/files.py)."""

from __future__ import annotations

import base64
import os

from ansible import constants as C
from ansible.errors import AnsibleError
from ansible.module_utils.common.text.converters import to_bytes, to_text
from ansible.plugins.action import ActionBase
from ansible.template import trust_as_template

from ansible_collections.groundwork.stack.plugins.plugin_utils import files as plan, lowlevel


class ActionModule(ActionBase):
    """Render the files on the controller, read their state on the host with one shell command, and run the
    module only for the items that differ."""

    _supports_check_mode = True
    _supports_async = False
    _VALID_ARGS = frozenset(('files',) + tuple(plan.DEFAULT_KEYS))

    def _render(self, item, task_vars):
        """The bytes an item's file must hold."""
        if 'content' in item:
            return to_bytes(item['content'], errors='surrogate_or_strict')
        kind = 'templates' if 'template' in item else 'files'
        source = self._find_needle(kind, item['template'] if 'template' in item else item['src'])
        if kind == 'files':
            with open(source, 'rb') as handle:
                return handle.read()
        text = trust_as_template(self._loader.get_text_file_contents(source))
        # As ansible.builtin.template does: includes are looked up beside the template and in the
        # templates/ directory of every search path.
        searchpath = []
        for path in list(task_vars.get('ansible_search_path', [])) + [self._loader.get_basedir(), os.path.dirname(source)]:
            searchpath.extend([os.path.join(path, 'templates'), path])
        variables = dict(task_vars)
        variables.update(template_path=item['template'], template_fullpath=source, template_destpath=item['dest'],
                         template_host=os.uname()[1])
        if 'ansible_managed' not in variables:
            variables['ansible_managed'] = trust_as_template(C.config.get_config_value('DEFAULT_MANAGED_STR').format(
                host='{{ template_host }}', uid='root', file='{{ template_path }}'))
        variables.update(item.get('vars') or {})
        templar = self._templar.copy_with_new_env(searchpath=searchpath, available_variables=variables)
        rendered = templar.template(text, escape_backslashes=False,
                                    overrides=dict(trim_blocks=True, lstrip_blocks=False, newline_sequence='\n'))
        return to_bytes(rendered if rendered is not None else '', errors='surrogate_or_strict')

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        task_vars = task_vars or {}
        args = self._task.args
        defaults = dict((key, args[key]) for key in plan.DEFAULT_KEYS if args.get(key) is not None)
        try:
            items = plan.normalize(args.get('files'), defaults)
        except plan.ItemError as error:
            result.update(failed=True, msg='files: %s' % error)
            return result

        contents = {}
        try:
            for index, item in enumerate(items):
                if item['state'] == 'file':
                    contents[index] = self._render(item, task_vars)
        except AnsibleError as error:
            result.update(failed=True, msg='files: %s: %s' % (items[index]['dest'], to_text(error)))
            return result

        states = [None] * len(items)
        if items:
            rc, stdout, _stderr = lowlevel.run(self, plan.probe_command(items))
            if rc == 0:
                states = plan.parse_probe(stdout, len(items))

        pending = []
        for index, item in enumerate(items):
            reason = plan.difference(item, states[index], plan.checksum(contents[index]) if index in contents else None)
            if reason is not None:
                keys = ('dest', 'state', 'owner', 'group', 'mode', 'validate', 'force', 'secret')
                entry = dict((key, item.get(key)) for key in keys)
                entry['reason'] = reason
                if index in contents:
                    entry['content'] = to_text(base64.b64encode(contents[index]))
                pending.append(entry)

        report = [{'dest': item['dest'], 'state': item['state'], 'changed': False} for item in items]
        if not pending:
            result.update(changed=False, files=report, msg='All %d item(s) are as asked' % len(items))
            return result

        outcome = self._execute_module(module_name='groundwork.stack.files', module_args={'files': pending},
                                       task_vars=task_vars)
        outcome.pop('invocation', None)  # the module's arguments carry the contents
        applied = dict((entry['dest'], entry) for entry in outcome.pop('files', None) or [])
        for entry in report:
            entry.update(applied.get(entry['dest'], {}))
        result.update(outcome)
        result['files'] = report
        return result
