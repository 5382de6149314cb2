# -*- coding: utf-8 -*-
# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Exporters reachable from the monitoring host only, health checks that see a stopped service."""

from __future__ import annotations

import json
import os
import re
import sys
import time

import pytest
import yaml

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', '..', 'shared'))
from labtest import assert_reported, host_fixture, run_playbook  # noqa: E402  pylint: disable=wrong-import-position

CONVERGE = os.path.join(os.path.dirname(__file__), '..', 'converge.yml')
DB, WEB, PROM, ELSE = '10.213.18.10', '10.213.18.20', '10.213.18.30', '10.213.18.40'
PG_PASSWORD = 'molecule-monitoring-Pg-Secret-1'
REDIS_PASSWORD = 'molecule-monitoring-Redis-Secret-1'
HOOK_PORT = 8099

# (address, port, metric lines that only a working exporter with a working login produces)
EXPORTERS = [
    (DB, 9100, [r'^node_load1 \d']),
    (WEB, 9100, [r'^node_load1 \d']),
    (PROM, 9100, [r'^node_load1 \d']),
    (ELSE, 9100, [r'^node_load1 \d']),
    (DB, 9187, [r'^pg_up 1$', r'^pg_database_size_bytes\{datname="postgres"\} \d', r'^pg_stat_database_xact_commit\{']),
    (DB, 9121, [r'^redis_up 1$', r'^redis_connected_clients \d', r'^redis_commands_processed_total \d']),
    (WEB, 9113, [r'^nginx_up 1$', r'^nginx_connections_active \d']),
    (DB, 9127, [r'^pgbouncer_up 1$', r'^pgbouncer_databases_pool_size\{']),
]


fixture_db = host_fixture('db', 'gw-mol-mon-db')
fixture_web = host_fixture('web', 'gw-mol-mon-web')
fixture_prom = host_fixture('prom', 'gw-mol-mon-prom')
fixture_elsewhere = host_fixture('elsewhere', 'gw-mol-mon-else')


def fetch(host, url, timeout=5):
    return host.run('curl -sS --connect-timeout %s --max-time 20 %s', str(timeout), url)


@pytest.mark.parametrize('address, port, patterns', EXPORTERS, ids=['%s:%d' % (a, p) for a, p, _patterns in EXPORTERS])
def test_exporter_answers_the_monitoring_host_with_real_metrics(prom, address, port, patterns):
    result = fetch(prom, 'http://%s:%d/metrics' % (address, port))
    assert result.rc == 0, result.stderr
    for pattern in patterns:
        assert re.search(pattern, result.stdout, re.MULTILINE), '%s not in %s:%d metrics' % (pattern, address, port)


# The elsewhere host's own node exporter is local traffic there, not filtered.
@pytest.mark.parametrize('address, port', sorted({(a, p) for a, p, _patterns in EXPORTERS if a != ELSE}))
def test_exporter_is_refused_from_elsewhere(elsewhere, address, port):
    result = fetch(elsewhere, 'http://%s:%d/metrics' % (address, port), timeout=3)
    # ufw drops the packets: the connection times out (28) instead of being answered.
    assert result.rc == 28, (result.rc, result.stdout[:200], result.stderr)


def test_elsewhere_still_reaches_what_the_firewall_opens_to_it(elsewhere):
    # The refusals above are the firewall's doing, not a broken network.
    result = elsewhere.run('curl -s -o /dev/null -w %%{http_code} --connect-timeout 3 http://%s/', WEB)
    assert result.rc in (0, 52), result.stderr  # nginx closes unknown Host connections (444)


@pytest.mark.parametrize('port', [9100, 9187, 9121, 9127])
def test_exporters_listen_only_on_the_monitoring_address(db, port):
    listening = db.check_output('ss -H -t -l -n sport = :%s', str(port)).split('\n')
    assert [line.split()[3] for line in listening if line.strip()] == ['%s:%d' % (DB, port)]
    # Not on loopback either: only the monitoring address answers.
    assert db.run('curl -sS --max-time 5 http://127.0.0.1:%s/metrics', str(port)).rc == 7


def test_postgres_exporter_role_has_pg_monitor_and_nothing_else(db):
    with db.sudo('postgres'):
        out = db.check_output('psql -X -A -t -c %s', """
            SELECT r.rolsuper, r.rolcreaterole, r.rolcreatedb, r.rolreplication, r.rolbypassrls,
                   (SELECT string_agg(g.rolname, ',' ORDER BY g.rolname) FROM pg_auth_members m
                    JOIN pg_roles g ON g.oid = m.roleid WHERE m.member = r.oid)
            FROM pg_roles r WHERE r.rolname = 'monitoring'""")
    assert out.strip() == 'f|f|f|f|f|pg_monitor'
    # It cannot read application data.
    result = db.run('PGPASSWORD=%s psql -X -A -t -h 127.0.0.1 -U monitoring -d postgres -c %s', PG_PASSWORD,
                    'SELECT count(*) FROM pg_authid')
    assert result.rc != 0 and 'permission denied' in result.stderr, result.stderr


def test_exporter_secrets_are_credentials_not_environment_or_command_line(db):
    for unit, secret, credential in (('prometheus-postgres-exporter', PG_PASSWORD, 'postgres-password'),
                                     ('prometheus-redis-exporter', REDIS_PASSWORD, 'redis-passwords.json')):
        with db.sudo():
            shown = db.check_output('systemctl show %s -p Environment -p ExecStart -p LoadCredential', unit)
            pid = db.check_output('systemctl show -P MainPID %s', unit)
            cmdline = db.check_output('tr "\\0" " " < /proc/%s/cmdline', pid)
            environ = db.check_output('tr "\\0" "\\n" < /proc/%s/environ', pid)
        assert secret not in shown + cmdline + environ
        # systemd loaded the secret as a credential of the running service
        # (systemctl show prints LoadCredential= as "[unprintable]", so the
        # service's credentials directory is what shows it).
        with db.sudo():
            loaded = db.check_output('ls /run/credentials/%s.service', unit).split()
        assert credential in loaded, loaded
    for name in ('postgres-password', 'redis-passwords.json', 'redis-password'):
        f = db.file('/etc/groundwork/monitoring/%s' % name)
        with db.sudo():
            assert f.exists and f.user == 'root' and f.mode == 0o600
    with db.sudo():
        assert db.file('/etc/groundwork/monitoring').mode == 0o700


def test_redis_monitoring_user_cannot_read_keys_or_run_admin_commands(db):
    def cli(*args):
        return db.run('REDISCLI_AUTH=%s redis-cli --no-auth-warning --user monitoring ' + ' '.join(['%s'] * len(args)),
                      REDIS_PASSWORD, *args)
    assert cli('PING').stdout.strip() == 'PONG'
    for command in (('GET', 'app:secret'), ('KEYS', '*'), ('CONFIG', 'GET', 'masterauth'), ('FLUSHALL',), ('ACL', 'LIST')):
        out = cli(*command)
        assert 'NOPERM' in out.stdout + out.stderr, (command, out.stdout, out.stderr)


def run_healthcheck(host):
    """Start the health check unit; return (succeeded, {check: line}) from this run's journal lines."""
    with host.sudo():
        since = host.check_output('date "+%Y-%m-%d %H:%M:%S"')
        time.sleep(1)
        result = host.run('systemctl start groundwork-healthcheck.service')
        lines = host.check_output('journalctl -t groundwork-healthcheck -o cat --since %s', since)
    parsed = [json.loads(line) for line in lines.splitlines() if line.startswith('{')]
    return result.rc == 0, {(r['check'], r.get('path', r.get('service', ''))): r for r in parsed}


def test_healthcheck_on_the_database_host_passes(db):
    ok, checks = run_healthcheck(db)
    assert ok, checks
    assert {c for c, _status in checks} == {'postgresql', 'pgbouncer', 'redis', 'disk'}
    assert all(r['status'] == 'ok' and r['host'] == 'gw-mol-mon-db' for r in checks.values()), checks


def test_healthcheck_on_the_web_host_checks_nginx_and_its_certificate(web):
    ok, checks = run_healthcheck(web)
    assert ok, checks
    assert checks[('nginx', '')]['status'] == 'ok'
    cert = checks[('certificate', '/etc/nginx/tls/mon/fullchain.pem')]
    assert cert['status'] == 'ok' and cert['days_left'] > 14


def test_bootstrap_certificate_names_the_site(web):
    # The self-signed certificate nginx starts with (no certbot here) carries
    # the site's server names as subjectAltNames and says what it is.
    served = web.check_output('openssl s_client -connect 127.0.0.1:443 -servername mon.groundwork.test </dev/null 2>/dev/null'
                              ' | openssl x509 -noout -subject -ext subjectAltName')
    assert 'DNS:mon.groundwork.test' in served, served
    assert 'CN=mon.groundwork.test' in served.replace(' = ', '=') and 'bootstrap' in served, served


def test_healthcheck_reports_a_stopped_redis_and_calls_the_webhook(db, prom):
    prom.run('rm -f /tmp/hook.json; pkill -f gw-hook-listener')
    listener = (
        "import http.server,sys\n"
        "class H(http.server.BaseHTTPRequestHandler):\n"
        "    def do_POST(self):\n"
        "        body = self.rfile.read(int(self.headers['Content-Length']))\n"
        "        open('/tmp/hook.json', 'wb').write(body)\n"
        "        self.send_response(204); self.end_headers()\n"
        "http.server.HTTPServer(('%s', %d), H).handle_request()\n" % (PROM, HOOK_PORT))
    prom.run('printf %%s %s > /tmp/gw-hook-listener.py', listener)
    prom.run('nohup timeout 120 python3 /tmp/gw-hook-listener.py > /dev/null 2>&1 &')
    time.sleep(1)
    with db.sudo():
        db.run_test('systemctl stop redis-server')
    try:
        ok, checks = run_healthcheck(db)
        assert not ok
        redis = checks[('redis', '')]
        assert redis['status'] == 'failed' and 'refused' in redis['detail'].lower(), redis
        assert checks[('postgresql', '')]['status'] == 'ok'
        with db.sudo():
            assert db.check_output('systemctl show -P ActiveState groundwork-healthcheck.service') == 'failed'
            # Failed checks are logged at priority err.
            err = db.check_output("journalctl -t groundwork-healthcheck -p err -o cat -n 5")
        assert '"check": "redis"' in err
        deadline = time.time() + 15
        while not prom.file('/tmp/hook.json').exists and time.time() < deadline:
            time.sleep(0.5)
        hook = json.loads(prom.check_output('cat /tmp/hook.json'))
        assert hook['host'] == 'gw-mol-mon-db'
        assert [r['check'] for r in hook['failed']] == ['redis']
    finally:
        with db.sudo():
            db.run_test('systemctl start redis-server')
    deadline = time.time() + 30
    while db.run('REDISCLI_AUTH=%s redis-cli --no-auth-warning --user monitoring PING', REDIS_PASSWORD).stdout.strip() != 'PONG':
        assert time.time() < deadline, 'redis did not come back'
        time.sleep(1)
    ok, checks = run_healthcheck(db)
    assert ok, checks
    assert checks[('redis', '')]['status'] == 'ok'


def test_healthcheck_metrics_reach_prometheus_through_the_node_exporter(db, prom):
    run_healthcheck(db)
    metrics = fetch(prom, 'http://%s:9100/metrics' % DB).stdout
    # node_exporter gives every line of a family the same label names, so
    # checks without a path come out with path="" (no label, to Prometheus).
    metrics = re.sub(r',?\w+=""', '', metrics).replace('{,', '{')
    assert re.search(r'^groundwork_healthcheck_ok\{check="redis"\} 1$', metrics, re.MULTILINE)
    assert re.search(r'^groundwork_healthcheck_ok\{check="postgresql"\} 1$', metrics, re.MULTILINE)
    assert re.search(r'^groundwork_healthcheck_ok\{check="disk",path="/"\} 1$', metrics, re.MULTILINE)
    assert re.search(r'^node_textfile_scrape_error 0$', metrics, re.MULTILINE)


def test_healthcheck_timer_is_scheduled(db):
    assert db.service('groundwork-healthcheck.timer').is_enabled
    assert db.service('groundwork-healthcheck.timer').is_running


def test_sample_prometheus_config_scrapes_every_exporter_from_the_inventory(prom):
    with prom.sudo():
        check = prom.run('promtool check config /etc/groundwork/prometheus/prometheus.yml')
        assert check.rc == 0, check.stdout + check.stderr
        rules = prom.run('promtool check rules /etc/groundwork/prometheus/groundwork-alerts.yml')
        assert rules.rc == 0, rules.stdout + rules.stderr
        config = yaml.safe_load(prom.check_output('cat /etc/groundwork/prometheus/prometheus.yml'))
        alerts = yaml.safe_load(prom.check_output('cat /etc/groundwork/prometheus/groundwork-alerts.yml'))
    jobs = {job['job_name']: sorted((sc['labels']['instance'], sc['targets'][0]) for sc in job['static_configs'])
            for job in config['scrape_configs']}
    assert jobs == {
        'node': sorted([('gw-mol-mon-db', DB + ':9100'), ('gw-mol-mon-web', WEB + ':9100'),
                        ('gw-mol-mon-prom', PROM + ':9100'), ('gw-mol-mon-else', ELSE + ':9100')]),
        'postgres': [('gw-mol-mon-db', DB + ':9187')],
        'redis': [('gw-mol-mon-db', DB + ':9121')],
        'nginx': [('gw-mol-mon-web', WEB + ':9113')],
        'pgbouncer': [('gw-mol-mon-db', DB + ':9127')],
    }
    names = {r['alert'] for g in alerts['groups'] for r in g['rules']}
    assert {'ExporterDown', 'PostgreSQLReplicaLagHigh', 'BackupTooOld', 'CertificateExpiresSoon', 'DiskUsageHigh'} <= names


def test_only_the_monitoring_group_gets_the_sample_config(db):
    assert not db.file('/etc/groundwork/prometheus').exists


# Each run breaks several rules at once: the argument spec's rules (type,
# choices) in one run, the role's own checks (tasks/validate.yml) in another
# (the spec stops the role before them), a variable broken two ways in
# separate runs. Every variable named must be in the failure report
# (labtest.failures). Same inputs as before 2026-12-06, in fewer runs.
@pytest.mark.parametrize('extra_vars, named', [
    ({'monitoring_listen_address': '0.0.0.0', 'monitoring_replica_lag_max_seconds': -5,
      'monitoring_healthcheck_interval': 'soon'},
     ['monitoring_listen_address', 'monitoring_replica_lag_max_seconds', 'monitoring_healthcheck_interval']),
    ({'monitoring_exporters': ['node', 'mysql']}, ['monitoring_exporters']),
])
def test_bad_input_fails_before_any_change(extra_vars, named):
    rc, output, changed = run_playbook(CONVERGE, extra_vars=extra_vars, limit='gw-mol-mon-else')
    assert rc != 0
    assert_reported(output, named)
    assert changed == 0
