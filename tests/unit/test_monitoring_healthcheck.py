# -*- coding: utf-8 -*-
# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Logic of the monitoring role's health check script (roles/monitoring/files/groundwork-healthcheck)."""

from __future__ import annotations

import importlib.machinery
import importlib.util
import json
import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(ROOT, 'roles', 'monitoring', 'files', 'groundwork-healthcheck')


def _load():
    loader = importlib.machinery.SourceFileLoader('groundwork_healthcheck', SCRIPT)
    spec = importlib.util.spec_from_loader('groundwork_healthcheck', loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


hc = _load()
NOW = 1_800_000_000


@pytest.mark.parametrize('text, expected', [
    ('notAfter=Jan 15 12:00:00 2027 GMT\n', 1800014400),
    ('notAfter=Feb  1 00:00:00 2030 GMT', 1896134400),
])
def test_parse_openssl_enddate(text, expected):
    assert hc.parse_openssl_enddate(text) == expected


@pytest.mark.parametrize('days_left, min_days, status', [
    (30, 14, 'ok'),
    (14, 14, 'ok'),
    (13.9, 14, 'failed'),
    (-1, 14, 'failed'),
])
def test_certificate_result(days_left, min_days, status):
    r = hc.certificate_result('/etc/nginx/tls/x/fullchain.pem', NOW + days_left * 86400, NOW, min_days)
    assert r['status'] == status and r['check'] == 'certificate'
    assert r['path'] == '/etc/nginx/tls/x/fullchain.pem'


def _info(*backups):
    return [{'name': 'main', 'backup': [dict(b) for b in backups]}]


@pytest.mark.parametrize('info, max_hours, status, age', [
    (_info({'timestamp': {'start': NOW - 7300, 'stop': NOW - 7200}}), 36, 'ok', 7200),
    (_info({'timestamp': {'stop': NOW - 40 * 3600}}, {'timestamp': {'stop': NOW - 3600}}), 36, 'ok', 3600),
    (_info({'timestamp': {'stop': NOW - 40 * 3600}}), 36, 'failed', 40 * 3600),
    # A backup pgBackRest marks as errored does not count.
    (_info({'timestamp': {'stop': NOW - 40 * 3600}}, {'timestamp': {'stop': NOW - 60}, 'error': True}), 36, 'failed',
     40 * 3600),
    (_info(), 36, 'failed', None),
    ([{'name': 'main', 'status': {'code': 1}}], 36, 'failed', None),
])
def test_backup_result(info, max_hours, status, age):
    r = hc.backup_result('main', info, NOW, max_hours)
    assert r['status'] == status
    assert r.get('age_seconds') == age


@pytest.mark.parametrize('receiving, lag, status', [
    (True, 0.0, 'ok'),
    (True, 299.0, 'ok'),
    (True, 301.0, 'failed'),
    # A standby that stopped streaming replays nothing and shows no lag: still a failure.
    (False, 0.0, 'failed'),
])
def test_replica_result(receiving, lag, status):
    assert hc.replica_result(receiving, lag, 300)['status'] == status


@pytest.mark.parametrize('total, free, status', [
    (100, 50, 'ok'),
    (100, 10, 'ok'),
    (100, 9, 'failed'),
])
def test_disk_result(total, free, status):
    assert hc.disk_result('/', total, free, 90)['status'] == status


def test_resp_encoding_and_replies():
    assert hc.resp_command('AUTH', 'monitoring', 'p w') == b'*3\r\n$4\r\nAUTH\r\n$10\r\nmonitoring\r\n$3\r\np w\r\n'
    assert hc.resp_reply(b'+PONG\r\n') == 'PONG'
    with pytest.raises(RuntimeError, match='WRONGPASS'):
        hc.resp_reply(b'-WRONGPASS invalid username-password pair\r\n')


def test_metric_lines():
    results = [
        hc.result('redis', True, 'PONG'),
        hc.result('app', False, 'refused', service='api'),
        hc.certificate_result('/c.pem', NOW + 86400 * 30, NOW, 14),
        hc.backup_result('main', _info({'timestamp': {'stop': NOW - 100}}), NOW, 36),
    ]
    text = hc.metric_lines(results, NOW)
    assert 'groundwork_healthcheck_ok{check="redis"} 1' in text
    assert 'groundwork_healthcheck_ok{check="app",service="api"} 0' in text
    assert 'groundwork_certificate_expiry_timestamp_seconds{path="/c.pem"} %d' % (NOW + 86400 * 30) in text
    assert 'groundwork_backup_age_seconds 100' in text
    assert text.endswith('groundwork_healthcheck_last_run_timestamp_seconds %d\n' % NOW)


def test_main_prints_one_json_line_per_check_and_fails(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv('JOURNAL_STREAM', raising=False)
    config = {'host': 'h1', 'textfile': str(tmp_path / 'hc.prom'), 'webhook_credential': '',
              'checks': [{'name': 'disk', 'type': 'disk', 'paths': [str(tmp_path)], 'max_percent': 100},
                         {'name': 'nginx', 'type': 'http', 'url': 'http://127.0.0.1:1/stub_status'}]}
    path = tmp_path / 'hc.json'
    path.write_text(json.dumps(config))
    assert hc.main(['groundwork-healthcheck', str(path)]) == 1
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(r['check'], r['status'], r['host']) for r in lines] == [('disk', 'ok', 'h1'), ('nginx', 'failed', 'h1')]
    assert 'groundwork_healthcheck_ok{check="nginx"} 0' in (tmp_path / 'hc.prom').read_text()


def test_main_succeeds_when_every_check_passes(tmp_path, capsys):
    config = {'host': 'h1', 'checks': [{'name': 'disk', 'type': 'disk', 'paths': ['/'], 'max_percent': 100}]}
    path = tmp_path / 'hc.json'
    path.write_text(json.dumps(config))
    assert hc.main(['groundwork-healthcheck', str(path)]) == 0
    assert json.loads(capsys.readouterr().out)['status'] == 'ok'
