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


def rest_argument_spec(credentials=False):
    """The options of doc fragment groundwork.stack.patroni_rest (and of its ``credentials`` part)."""
    spec = dict(
        endpoints=dict(type='list', elements='str', required=True),
        ca_path=dict(type='path'),
        client_cert=dict(type='path'),
        client_key=dict(type='path', no_log=False),
    )
    if credentials:
        spec.update(
            username=dict(type='str', default='patroni'),
            password=dict(type='str', required=True, no_log=True),
        )
    return spec


def request(module, url, method='GET', body=None, credentials=None, raw=False):
    """One call; ``credentials`` (user, password) go as HTTP basic authentication. Returns the decoded JSON, or
    the text with ``raw`` (Patroni answers a switchover in words)."""
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
    text = response.read()
    return to_native(text) if raw else json.loads(text)


def error_text(error):
    """An error of request() in words, with the body Patroni sent along an HTTP error (its reason)."""
    reason = ''
    if getattr(error, 'code', None) is not None and hasattr(error, 'read'):
        try:
            reason = to_native(error.read()).strip()
        except Exception:  # pylint: disable=broad-except  # the body is a bonus
            reason = ''
    return to_native(error) + (' (%s)' % reason if reason else '')


def first_answer(module, path):
    """GET ``path`` from the first member of module.params['endpoints'] that answers: (endpoint, document), or
    (None, the errors of every URL tried)."""
    errors = []
    for endpoint in module.params['endpoints']:
        url = endpoint.rstrip('/') + path
        try:
            return endpoint, request(module, url)
        except Exception as error:  # pylint: disable=broad-except  # any failure: try the next member
            errors.append('%s: %s' % (url, to_native(error)))
    return None, errors


def ask_members(module, path):
    """GET ``path`` from the first member of module.params['endpoints'] that answers: (endpoint, document).
    Fails the module, naming every URL tried and why, when none does."""
    endpoint, answer = first_answer(module, path)
    if endpoint is None:
        module.fail_json(msg='no Patroni REST API answered: %s' % '; '.join(answer))
    return endpoint, answer
