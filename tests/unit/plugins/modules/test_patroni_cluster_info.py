# -*- coding: utf-8 -*-
# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""patroni_cluster_info: its argument spec against its documentation, and a run against a local HTTP server
standing in for a member's REST API (the first endpoint refuses: the module asks the next)."""

from __future__ import annotations

import http.server
import json
import socket
import threading

import pytest
import yaml

from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args
from ansible_collections.groundwork.stack.plugins.modules import patroni_cluster_info

CLUSTER = {'scope': 'groundwork', 'members': [
    {'name': 'db1', 'role': 'leader', 'state': 'running', 'host': '10.0.0.11', 'port': 5432, 'timeline': 2},
    {'name': 'db2', 'role': 'quorum_standby', 'state': 'streaming', 'host': '10.0.0.12', 'port': 5432, 'timeline': 2,
     'lag': 0},
]}


class Exit(Exception):
    pass


def test_argument_spec_matches_documentation():
    spec = patroni_cluster_info.argument_spec()
    documented = yaml.safe_load(patroni_cluster_info.DOCUMENTATION)['options']
    assert set(spec) == set(documented)
    for name, option in spec.items():
        assert documented[name]['type'] == option.get('type', 'str'), name
        assert documented[name].get('default') == option.get('default'), name
        assert documented[name].get('required', False) == option.get('required', False), name


@pytest.fixture(name='rest_api')
def fixture_rest_api():
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802  (http.server's name)
            body = json.dumps(CLUSTER).encode() if self.path == '/cluster' else b'{}'
            self.send_response(200 if self.path == '/cluster' else 404)
            self.send_header('Content-Type', 'application/json')
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):  # pylint: disable=arguments-differ
            pass

    server = http.server.HTTPServer(('127.0.0.1', 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield 'http://127.0.0.1:%d' % server.server_address[1]
    server.shutdown()


def closed_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def run(monkeypatch, args):
    def _exit(self, **kwargs):
        raise Exit(kwargs)

    def _fail(self, **kwargs):
        raise Exit(dict(kwargs, failed=True))
    monkeypatch.setattr(basic.AnsibleModule, 'exit_json', _exit)
    monkeypatch.setattr(basic.AnsibleModule, 'fail_json', _fail)
    with patch_module_args(args), pytest.raises(Exit) as result:
        patroni_cluster_info.main()
    return result.value.args[0]


def test_asks_the_next_member_when_one_is_down(monkeypatch, rest_api):
    down = 'http://127.0.0.1:%d' % closed_port()
    result = run(monkeypatch, {'endpoints': [down, rest_api], 'timeout': 2, 'expected_members': ['db1', 'db2', 'db3']})
    assert not result.get('failed'), result
    assert result['endpoint'] == rest_api
    assert result['leader'] == 'db1' and result['replicas'] == ['db2']
    assert result['problems'] == ['not in the cluster: db3'] and not result['healthy']
    assert result['changed'] is False


def test_fails_naming_every_endpoint_when_none_answers(monkeypatch):
    down = ['http://127.0.0.1:%d' % closed_port() for _port in range(2)]
    result = run(monkeypatch, {'endpoints': down, 'timeout': 2})
    assert result['failed']
    assert all(url + '/cluster' in result['msg'] for url in down), result['msg']
