# -*- coding: utf-8 -*-
# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Patroni modules against a local HTTP server standing in for a member's REST API, and their argument
specs against their documentation.

* patroni_cluster_info: the first endpoint refuses, the module asks the next; none answers, it names them all.
* patroni_config: a PATCH only when a setting differs, never in check mode, with the password.
* patroni_leader: a switchover sent once to the leader's API with the password, then nothing while the candidate
  leads; Patroni's refusal passed on with its reason; a failover forced only when no leader runs.
"""

from __future__ import annotations

import base64
import copy
import http.server
import json
import socket
import threading

import pytest
import yaml

from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args
from ansible_collections.groundwork.stack.plugins.doc_fragments.patroni_rest import ModuleDocFragment
from ansible_collections.groundwork.stack.plugins.modules import patroni_cluster_info, patroni_config, patroni_leader

CLUSTER = {'scope': 'groundwork', 'members': [
    {'name': 'db1', 'role': 'leader', 'state': 'running', 'host': '10.0.0.11', 'port': 5432, 'timeline': 2},
    {'name': 'db2', 'role': 'quorum_standby', 'state': 'streaming', 'host': '10.0.0.12', 'port': 5432, 'timeline': 2,
     'lag': 0},
]}
CONFIG = {'ttl': 20, 'loop_wait': 2, 'postgresql': {'parameters': {'max_connections': 50}}}


class Exit(Exception):
    pass


@pytest.mark.parametrize('module', [patroni_cluster_info, patroni_config, patroni_leader])
def test_argument_spec_matches_documentation(module):
    # The module's own options, and those of the doc fragments it names (plugins/doc_fragments/patroni_rest.py),
    # against its argument spec (the fragments' part built by module_utils/patroni_rest.py:rest_argument_spec).
    doc = yaml.safe_load(module.DOCUMENTATION)
    fragments = {'groundwork.stack.patroni_rest': ModuleDocFragment.DOCUMENTATION,
                 'groundwork.stack.patroni_rest.credentials': ModuleDocFragment.CREDENTIALS}
    documented = {}
    for name in doc.get('extends_documentation_fragment', []):
        documented.update(yaml.safe_load(fragments[name])['options'])
    documented.update(doc['options'])
    spec = module.argument_spec()
    assert set(spec) == set(documented)
    for name, option in spec.items():
        assert documented[name]['type'] == option.get('type', 'str'), name
        assert documented[name].get('default') == option.get('default'), name
        assert documented[name].get('required', False) == option.get('required', False), name


@pytest.mark.parametrize('module', [patroni_config, patroni_leader])
def test_the_password_stays_out_of_logs(module):
    assert module.argument_spec()['password']['no_log'] is True


@pytest.fixture(name='rest_api')
def fixture_rest_api():
    """A member's REST API: GET /cluster and /config, PATCH /config (recorded with its Authorization header)."""
    state = {'config': copy.deepcopy(CONFIG), 'patches': [], 'auth': []}

    class Handler(http.server.BaseHTTPRequestHandler):
        def _answer(self, status, body):
            self.send_response(status)
            self.send_header('Content-Type', 'application/json')
            self.end_headers()
            self.wfile.write(json.dumps(body).encode())

        def do_GET(self):  # noqa: N802  (http.server's name)
            if self.path == '/cluster':
                self._answer(200, CLUSTER)
            elif self.path == '/config':
                self._answer(200, state['config'])
            else:
                self._answer(404, {})

        def do_PATCH(self):  # noqa: N802
            body = json.loads(self.rfile.read(int(self.headers['Content-Length'])))
            state['patches'].append(body)
            state['auth'].append(self.headers.get('Authorization'))
            state['config']['postgresql']['parameters'].update(body.get('postgresql', {}).get('parameters', {}))
            state['config'].update({k: v for k, v in body.items() if k != 'postgresql'})
            self._answer(200, state['config'])

        def log_message(self, *args):  # pylint: disable=arguments-differ
            pass

    server = http.server.HTTPServer(('127.0.0.1', 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    state['url'] = 'http://127.0.0.1:%d' % server.server_address[1]
    yield state
    server.shutdown()


def closed_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def run(monkeypatch, module, args):
    def _exit(self, **kwargs):
        raise Exit(kwargs)

    def _fail(self, **kwargs):
        raise Exit(dict(kwargs, failed=True))
    monkeypatch.setattr(basic.AnsibleModule, 'exit_json', _exit)
    monkeypatch.setattr(basic.AnsibleModule, 'fail_json', _fail)
    with patch_module_args(args), pytest.raises(Exit) as result:
        module.main()
    return result.value.args[0]


def test_cluster_info_asks_the_next_member_when_one_is_down(monkeypatch, rest_api):
    down = 'http://127.0.0.1:%d' % closed_port()
    result = run(monkeypatch, patroni_cluster_info,
                 {'endpoints': [down, rest_api['url']], 'timeout': 2, 'expected_members': ['db1', 'db2', 'db3']})
    assert not result.get('failed'), result
    assert result['endpoint'] == rest_api['url']
    assert result['leader'] == 'db1' and result['replicas'] == ['db2']
    assert result['problems'] == ['not in the cluster: db3'] and not result['healthy']
    assert result['changed'] is False


def test_cluster_info_fails_naming_every_endpoint_when_none_answers(monkeypatch):
    down = ['http://127.0.0.1:%d' % closed_port() for _port in range(2)]
    result = run(monkeypatch, patroni_cluster_info, {'endpoints': down, 'timeout': 2})
    assert result['failed']
    assert all(url + '/cluster' in result['msg'] for url in down), result['msg']


def test_config_patches_a_difference_with_the_password(monkeypatch, rest_api):
    settings = {'ttl': 20, 'postgresql': {'parameters': {'max_connections': 100}}}
    args = {'endpoints': [rest_api['url']], 'settings': settings, 'password': 'Secret-1'}
    result = run(monkeypatch, patroni_config, args)
    assert result['changed'] and not result.get('failed'), result
    assert rest_api['patches'] == [{'postgresql': {'parameters': {'max_connections': 100}}}]
    assert rest_api['auth'] == ['Basic ' + base64.b64encode(b'patroni:Secret-1').decode()]
    assert result['restart_parameters'] == ['max_connections']
    assert result['config']['postgresql']['parameters']['max_connections'] == 100
    # Run again: nothing differs, nothing is sent.
    again = run(monkeypatch, patroni_config, args)
    assert not again['changed'] and again['patch'] == {} and len(rest_api['patches']) == 1


def test_config_in_check_mode_sends_nothing_and_shows_the_diff(monkeypatch, rest_api):
    result = run(monkeypatch, patroni_config, {'endpoints': [rest_api['url']], 'settings': {'loop_wait': 10},
                                               'password': 'x', '_ansible_check_mode': True, '_ansible_diff': True})
    assert result['changed'] and rest_api['patches'] == []
    assert result['diff'] == {'before': 'loop_wait: 2\n', 'after': 'loop_wait: 10\n'}


@pytest.fixture(name='members')
def fixture_members():
    """A member's REST API with a cluster that changes: POST /switchover and /failover move the leader (or are
    refused with 412 and Patroni's words when state['refuse'] is set)."""
    state = {'posts': [], 'auth': [], 'refuse': None,
             'cluster': {'scope': 'groundwork', 'members': [
                 {'name': 'db1', 'role': 'leader', 'state': 'running', 'timeline': 2},
                 {'name': 'db2', 'role': 'quorum_standby', 'state': 'streaming', 'timeline': 2, 'lag': 0},
                 {'name': 'db3', 'role': 'replica', 'state': 'streaming', 'timeline': 2, 'lag': 4096}]}}

    class Handler(http.server.BaseHTTPRequestHandler):
        def _answer(self, status, text):
            self.send_response(status)
            self.end_headers()
            self.wfile.write(text.encode())

        def do_GET(self):  # noqa: N802
            self._answer(200, json.dumps(state['cluster']))

        def do_POST(self):  # noqa: N802
            body = json.loads(self.rfile.read(int(self.headers['Content-Length'])))
            state['posts'].append((self.path, body))
            state['auth'].append(self.headers.get('Authorization'))
            if state['refuse']:
                self._answer(412, state['refuse'])
                return
            for member in state['cluster']['members']:
                member['role'] = 'leader' if member['name'] == body['candidate'] else 'replica'
                member['state'] = 'running' if member['name'] == body['candidate'] else 'streaming'
                member['timeline'] = 3
            self._answer(200, 'Successfully switched over to "%s"' % body['candidate'])

        def log_message(self, *args):  # pylint: disable=arguments-differ
            pass

    server = http.server.HTTPServer(('127.0.0.1', 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    state['url'] = 'http://127.0.0.1:%d' % server.server_address[1]
    for member in state['cluster']['members']:
        member['api_url'] = state['url'] + '/patroni'
    yield state
    server.shutdown()


def test_leader_switches_over_once_with_the_password(monkeypatch, members):
    args = {'endpoints': [members['url']], 'action': 'switchover', 'candidate': 'db2', 'password': 'p', 'wait': 10}
    result = run(monkeypatch, patroni_leader, args)
    assert result['changed'] and result['leader'] == 'db2' and result['previous_leader'] == 'db1'
    assert result['timeline'] == 3 and result['message'] == 'switch over from db1 to db2'
    assert members['posts'] == [('/switchover', {'leader': 'db1', 'candidate': 'db2'})]
    assert members['auth'] == ['Basic ' + base64.b64encode(b'patroni:p').decode()]
    again = run(monkeypatch, patroni_leader, args)
    assert not again['changed'] and again['message'] == 'db2 leads already'
    assert len(members['posts']) == 1


def test_leader_in_check_mode_sends_nothing(monkeypatch, members):
    result = run(monkeypatch, patroni_leader, {'endpoints': [members['url']], 'action': 'switchover',
                                               'candidate': 'db3', 'password': 'p', '_ansible_check_mode': True})
    assert result['changed'] and result['message'] == 'switch over from db1 to db3' and members['posts'] == []


def test_leader_passes_on_patronis_refusal(monkeypatch, members):
    members['refuse'] = 'candidate name does not match with sync_standby'
    result = run(monkeypatch, patroni_leader, {'endpoints': [members['url']], 'action': 'switchover',
                                               'candidate': 'db3', 'password': 'p'})
    assert result['failed'] and 'switchover refused by Patroni' in result['msg']
    assert 'HTTP Error 412' in result['msg'] and 'does not match with sync_standby' in result['msg']
    assert len(members['posts']) == 1


def test_leader_forces_a_failover_only_when_no_leader_runs(monkeypatch, members):
    args = {'endpoints': [members['url']], 'action': 'failover', 'password': 'p', 'wait': 10}
    result = run(monkeypatch, patroni_leader, args)
    assert not result['changed'] and result['leader'] == 'db1' and members['posts'] == []
    assert 'nothing forced' in result['message']
    members['cluster']['members'][0].update(role='replica', state='stopped')
    result = run(monkeypatch, patroni_leader, args)
    assert result['changed'] and result['leader'] == 'db2' and result['previous_leader'] is None
    assert members['posts'] == [('/failover', {'candidate': 'db2'})]
