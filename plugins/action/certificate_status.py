# -*- coding: utf-8 -*-
# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of groundwork.stack.certificate_status (documented in plugins/modules/certificate_status.py)."""

from __future__ import annotations

from ansible.errors import AnsibleError
from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.action import ActionBase

from ansible_collections.groundwork.stack.plugins.plugin_utils import certstatus, lowlevel


class ActionModule(ActionBase):
    """Read the certificate and the key's public half with one command; decide on the controller."""

    _supports_check_mode = True
    _supports_async = False
    _VALID_ARGS = frozenset(('cert_path', 'key_path', 'ca_path', 'common_name', 'subject_alt_name',
                             'extended_key_usage', 'renew_days', 'owner', 'group', 'mode'))

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        args = self._task.args
        missing = [name for name in ('cert_path', 'key_path', 'ca_path', 'common_name') if not args.get(name)]
        if missing:
            result.update(failed=True, msg='certificate_status: missing %s' % ', '.join(missing))
            return result
        try:
            with open(self._loader.path_dwim(args['ca_path']), 'r') as handle:
                ca_pem = handle.read()
        except (OSError, AnsibleError) as error:
            result.update(changed=False, current=False, reasons=['no CA certificate: %s' % to_text(error)])
            return result
        _rc, stdout, _stderr = lowlevel.run(self, certstatus.probe_command(args['cert_path'], args['key_path']))
        stat, public, cert = certstatus.split_probe(stdout)
        reasons = certstatus.key_reasons(stat, args.get('owner'), args.get('group'), args.get('mode') or '0600')
        if not reasons:
            reasons = certstatus.assess(cert, public, ca_pem, args['common_name'], list(args.get('subject_alt_name') or []),
                                        list(args.get('extended_key_usage') or ['serverAuth']), args.get('renew_days') or 30)
        result.update(changed=False, current=not reasons, reasons=reasons)
        if cert:
            result['certificate'] = cert
        return result
