# -*- coding: utf-8 -*-
# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Patroni's REST API as the Patroni modules call it: JSON over HTTPS with the module's TLS options
(ca_path, client_cert, client_key, timeout), and the first member of ``endpoints`` that answers."""

from __future__ import annotations

import base64
import json

from ansible.module_utils.common.text.converters import to_native
from ansible.module_utils.urls import open_url


def request(module, url, method='GET', body=None, credentials=None):
    """One call; ``credentials`` (user, password) go as HTTP basic authentication. Returns the decoded JSON."""
    headers = {}
    data = None
    if credentials:
        headers['Authorization'] = 'Basic ' + base64.b64encode(('%s:%s' % credentials).encode()).decode()
    if body is not None:
        headers['Content-Type'] = 'application/json'
        data = json.dumps(body)
    response = open_url(url, method=method, data=data, headers=headers, timeout=module.params['timeout'],
                        validate_certs=True, ca_path=module.params['ca_path'],
                        client_cert=module.params['client_cert'], client_key=module.params['client_key'])
    return json.loads(response.read())


def ask_members(module, path):
    """GET ``path`` from the first member of module.params['endpoints'] that answers: (endpoint, document).
    Fails the module, naming every URL tried and why, when none does."""
    errors = []
    for endpoint in module.params['endpoints']:
        url = endpoint.rstrip('/') + path
        try:
            return endpoint, request(module, url)
        except Exception as error:  # pylint: disable=broad-except  # any failure: try the next member
            errors.append('%s: %s' % (url, to_native(error)))
    module.fail_json(msg='no Patroni REST API answered: %s' % '; '.join(errors))
    return None, None
