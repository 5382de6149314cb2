# -*- coding: utf-8 -*-
# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The application edge, seen from a client: HTTPS through nginx to the app hosts.

Certificates come from pebble (a real ACME server with HTTP-01 validation
against the web host), so every HTTPS check verifies the chain against
pebble's root, fetched from its management API at test time.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import socket
import ssl
import subprocess
import sys
import threading
import time

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', '..', 'shared'))
from labtest import ROOT, assert_reported, host_fixture, lab_host, run_playbook  # noqa: E402  pylint: disable=wrong-import-position

CONVERGE = os.path.join(os.path.dirname(__file__), '..', 'converge.yml')
DOMAIN = 'edge.groundwork.test'
WEB_IP = '10.213.16.10'
ACME_IP = '10.213.16.30'
APP_HOSTS = ('gw-mol-edge-app1', 'gw-mol-edge-app2')
APP_IPS = {'gw-mol-edge-app1': '10.213.16.21', 'gw-mol-edge-app2': '10.213.16.22'}
APP_SECRET = 'molecule-app-Secret-1'
REDIS_ADMIN_PASSWORD = 'molecule-redis-admin-Secret-1'
EAB_HMAC_KEY = 'zWNDZM6eQGHWpSRTPal5eIUYFTu7EajVIoguysqZ9wG44nMEtx3MUAsUDkMTQ12W'
SSLYZE = os.path.join(ROOT, '.lab', 'sslyze', 'bin', 'sslyze')
EXPOSURE_GOAL = 2.0


fixture_web = host_fixture('web', 'gw-mol-edge-web')
fixture_acme = host_fixture('acme', 'gw-mol-edge-acme')


@pytest.fixture(name='pebble_root', scope='module')
def fixture_pebble_root(acme, tmp_path_factory):
    """Pebble's current root CA (it makes a new one at every start), as a file."""
    api_ca = tmp_path_factory.mktemp('pebble') / 'api-ca.pem'
    api_ca.write_text(acme.file('/etc/pebble/cert.pem').content_string)
    ctx = ssl.create_default_context(cafile=str(api_ca))
    ctx.check_hostname = False  # the API certificate names the address, checked by the chain
    with socket.create_connection((ACME_IP, 15000), timeout=10) as raw:
        with ctx.wrap_socket(raw) as tls:
            tls.sendall(b'GET /roots/0 HTTP/1.0\r\nHost: pebble\r\n\r\n')
            data = b''
            while True:
                chunk = tls.recv(65536)
                if not chunk:
                    break
                data += chunk
    pem = data.split(b'\r\n\r\n', 1)[1].decode()
    assert 'BEGIN CERTIFICATE' in pem
    path = tmp_path_factory.mktemp('pebble') / 'root.pem'
    path.write_text(pem)
    return str(path)


def curl(*args, timeout=20):
    """Run curl from the controller (the client); return (rc, stdout)."""
    argv = ['curl', '-sS', '--max-time', '10', '--resolve', '%s:443:%s' % (DOMAIN, WEB_IP),
            '--resolve', 'www.%s:443:%s' % (DOMAIN, WEB_IP), '--resolve', 'unknown.test:443:%s' % WEB_IP] + list(args)
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
    return proc.returncode, proc.stdout + proc.stderr


def get_json(pebble_root, path, host=DOMAIN):
    """GET path as a well-behaved client: a 429 from the site's rate limit (10 r/s, burst 20, per client
    address; the tests share one address) is waited out and retried, any other failure is final."""
    for _attempt in range(20):
        rc, out = curl('--cacert', pebble_root, '-f', 'https://%s%s' % (host, path))
        if not (rc == 22 and 'error: 429' in out):
            break
        time.sleep(0.5)
    assert rc == 0, out
    return json.loads(out)


def served_certificate(pebble_root, name=DOMAIN):
    """The certificate nginx serves for a name, verified against pebble's root."""
    ctx = ssl.create_default_context(cafile=pebble_root)
    with socket.create_connection((WEB_IP, 443), timeout=10) as raw:
        with ctx.wrap_socket(raw, server_hostname=name) as tls:
            return tls.getpeercert()


def dns_names(cert):
    return sorted(v for k, v in cert['subjectAltName'] if k == 'DNS')


def test_https_through_nginx_reaches_both_app_hosts(pebble_root):
    seen = set()
    for _attempt in range(20):
        body = get_json(pebble_root, '/api/whoami')
        assert body['scheme'] == 'https'
        assert body['env'] == 'molecule'
        seen.add(body['host'])
    assert seen == set(APP_HOSTS)


def test_app_sees_the_client_address_through_proxy_headers(pebble_root):
    body = get_json(pebble_root, '/api/whoami')
    # The controller is the network's gateway; nginx's own address would mean
    # the X-Forwarded-For header was not trusted.
    assert body['client'] == '10.213.16.1'


def test_health_endpoint_through_nginx(pebble_root):
    assert get_json(pebble_root, '/health')['status'] == 'ok'
    assert get_json(pebble_root, '/health', host='www.' + DOMAIN)['status'] == 'ok'


def test_https_speaks_http2(pebble_root):
    # The template chose `http2 on;` or `listen ... http2` by the installed nginx version.
    rc, out = curl('--cacert', pebble_root, '--http2', '-o', '/dev/null', '-w', '%{http_version}',
                   'https://%s/health' % DOMAIN)
    assert rc == 0 and out == '2', out


def test_certificate_is_pebbles_and_names_both_domains(pebble_root):
    cert = served_certificate(pebble_root)
    assert dns_names(cert) == [DOMAIN, 'www.' + DOMAIN]
    assert 'Pebble' in dict(x[0] for x in cert['issuer'])['commonName']


def test_http_redirects_to_https():
    rc, out = curl('-o', '/dev/null', '-w', '%{http_code} %{redirect_url}', '-H', 'Host: %s' % DOMAIN,
                   'http://%s/api/whoami?x=1' % WEB_IP)
    assert rc == 0, out
    assert out == '301 https://%s/api/whoami?x=1' % DOMAIN


def test_security_headers(pebble_root):
    rc, out = curl('--cacert', pebble_root, '-D', '-', '-o', '/dev/null', 'https://%s/health' % DOMAIN)
    assert rc == 0, out
    headers = dict((k.lower(), v.strip()) for k, v in re.findall(r'^([A-Za-z-]+): (.*)$', out, re.M))
    assert headers['strict-transport-security'].startswith('max-age=63072000')
    assert headers['x-content-type-options'] == 'nosniff'
    assert headers['x-frame-options'] == 'DENY'
    assert headers['referrer-policy'] == 'strict-origin-when-cross-origin'
    assert headers['content-security-policy'].startswith("default-src 'self'")
    assert headers['server'] == 'nginx'  # server_tokens off: no version


def test_unknown_host_is_rejected_over_http():
    rc, out = curl('-o', '/dev/null', '-w', '%{http_code}', '-H', 'Host: unknown.test', 'http://%s/' % WEB_IP)
    assert rc == 52, out  # empty reply: nginx closed the connection (444)


def test_unknown_sni_gets_no_tls_handshake(pebble_root):
    rc, out = curl('--cacert', pebble_root, 'https://unknown.test/')
    assert rc == 35, out  # TLS handshake failure (ssl_reject_handshake)


def test_unknown_host_over_known_sni_is_rejected(pebble_root):
    rc, out = curl('--cacert', pebble_root, '-H', 'Host: unknown.test', '-w', ' %{http_code}', 'https://%s/' % DOMAIN)
    # nginx answers 421 Misdirected Request when Host and SNI disagree; the app never sees it.
    assert rc == 0 and out.endswith(' 421') and 'gw-mol-edge-app' not in out, out


def _websocket_roundtrip(pebble_root, message):
    """Minimal RFC 6455 client over TLS: handshake, one masked text frame, one reply."""
    ctx = ssl.create_default_context(cafile=pebble_root)
    ctx.set_alpn_protocols(['http/1.1'])
    key = base64.b64encode(os.urandom(16)).decode()
    with socket.create_connection((WEB_IP, 443), timeout=10) as raw:
        with ctx.wrap_socket(raw, server_hostname=DOMAIN) as tls:
            tls.sendall(('GET /ws HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n'
                         'Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n' % (DOMAIN, key)).encode())
            head = b''
            while b'\r\n\r\n' not in head:
                head += tls.recv(1)
            status = head.split(b'\r\n', 1)[0].decode()
            accept = base64.b64encode(hashlib.sha1((key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').encode()).digest()).decode()
            assert ' 101 ' in status, head
            assert ('sec-websocket-accept: %s' % accept).lower().encode() in head.lower()
            payload = message.encode()
            mask = os.urandom(4)
            tls.sendall(bytes([0x81, 0x80 | len(payload)]) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))
            first, length = tls.recv(2)
            assert first == 0x81  # FIN + text
            data = b''
            while len(data) < (length & 0x7f):
                data += tls.recv((length & 0x7f) - len(data))
            return data.decode()


def test_websocket_round_trip(pebble_root):
    reply = _websocket_roundtrip(pebble_root, 'ping-42')
    host, echoed = reply.split(':', 1)
    assert echoed == 'ping-42'
    assert host in APP_HOSTS


def get_json_from_each_app_host(pebble_root, path):
    """GET path through nginx until both app hosts answered; return {host: body}."""
    bodies = {}
    for _attempt in range(20):
        body = get_json(pebble_root, path)
        bodies[body['host']] = body
        if len(bodies) == len(APP_HOSTS):
            break
    assert sorted(bodies) == sorted(APP_HOSTS)
    return bodies


def test_app_queries_postgresql_through_pgbouncer(pebble_root):
    # Each app host's /db logs in to its local PgBouncer as app (password from
    # the db_password credential); PgBouncer forwards to PostgreSQL on the
    # data host over TLS, so PostgreSQL sees the app host's address and SSL.
    for name, body in get_json_from_each_app_host(pebble_root, '/db').items():
        assert body['user'] == 'app' and body['database'] == 'app', body
        assert body['server_ssl'] is True, body
        assert body['server_sees_client'] == APP_IPS[name], body


def test_app_uses_redis_as_its_acl_user(acme, pebble_root):
    # Logged in as the ACL user app (credential redis_password; the default
    # user is off): its keys round-trip, a key outside ~app:* is refused.
    for body in get_json_from_each_app_host(pebble_root, '/redis').values():
        assert body['roundtrip'] is True, body
        assert body['outside_pattern'] == 'refused', body
    # The writes landed in the data host's Redis (read back as admin there).
    for name in APP_HOSTS:
        assert acme.check_output('REDISCLI_AUTH=%s redis-cli --no-auth-warning --user admin GET app:edge:%s'
                                 % (REDIS_ADMIN_PASSWORD, name)) == name


@pytest.mark.parametrize('name, service, origin', [
    # app1: the API from a requirements file (gw-testapp[redis] from the
    # wheelhouse: /redis above proves the extra), the worker built
    # from the pushed project directory; app2: the API built from the pushed
    # sdist, the worker from the wheelhouse.
    (APP_HOSTS[0], 'api', None),
    (APP_HOSTS[0], 'worker', 'file:///opt/groundwork/worker/dist/src'),
    (APP_HOSTS[1], 'api', 'file:///opt/groundwork/api/dist/src/gw-testapp-1.0.0.tar.gz'),
    (APP_HOSTS[1], 'worker', None),
])
def test_app_is_installed_the_configured_way(name, service, origin):
    app = lab_host(name)
    out = app.check_output(
        "/opt/groundwork/%s/venv/bin/python -c 'import importlib.metadata as m, json; d = m.distribution(\"gw-testapp\"); "
        "print(json.dumps([d.version, json.loads(d.read_text(\"direct_url.json\") or \"{}\").get(\"url\")]))'" % service)
    assert json.loads(out) == ['1.0.0', origin]


@pytest.mark.parametrize('name', APP_HOSTS)
def test_secret_arrives_as_credential_not_environment(name, pebble_root):
    app = lab_host(name)
    assert app.check_output('curl -sf http://127.0.0.1:8000/api/secret') == json.dumps(
        {'sha256': hashlib.sha256(APP_SECRET.encode()).hexdigest()}, separators=(',', ':'))
    environment = app.check_output('systemctl show -p Environment gw-api.service')
    assert APP_SECRET not in environment
    unit = app.file('/etc/systemd/system/gw-api.service').content_string
    assert APP_SECRET not in unit and 'LoadCredential=app_secret:' in unit
    with app.sudo():
        cred = app.file('/etc/groundwork/api/credentials/app_secret')
        assert (cred.user, cred.group, cred.mode) == ('root', 'root', 0o400)
    # The service user cannot read the credential file itself.
    denied = app.run('sudo -u gw-api cat /etc/groundwork/api/credentials/app_secret')
    assert denied.rc != 0 and 'Permission denied' in denied.stderr, denied.stderr


@pytest.mark.parametrize('name', APP_HOSTS)
@pytest.mark.parametrize('unit', ['gw-api.service', 'gw-worker.service'])
def test_units_meet_the_exposure_goal(name, unit):
    app = lab_host(name)
    out = app.check_output('systemd-analyze security --no-pager %s', unit)
    score = float(re.search(r'Overall exposure level for \S+: ([0-9.]+)', out).group(1))
    print('systemd-analyze security %s on %s: %.1f' % (unit, name, score))
    assert score <= EXPOSURE_GOAL
    assert app.service(unit).is_running


WORKER_ARGS = ['--label', '50% of $HOME "q" o\'k \\x']


@pytest.mark.parametrize('name', APP_HOSTS)
def test_worker_receives_its_arguments_as_written(name):
    # systemd reads %, $, quotes and backslashes in Exec lines: the unit must
    # quote them so the program gets the inventory's argv unchanged.
    app = lab_host(name)
    with app.sudo():
        log = app.check_output('journalctl -u gw-worker.service -o cat --no-pager')
    started = [line for line in log.splitlines() if line.startswith('worker started argv=')]
    assert started, log[-2000:]
    assert json.loads(started[-1].split('=', 1)[1]) == WORKER_ARGS


def test_workers_follow_the_memory_budget():
    app = lab_host(APP_HOSTS[0])
    assert '--workers 2' in app.file('/etc/systemd/system/gw-api.service').content_string


def test_stub_status_on_loopback_only(web):
    assert web.check_output('curl -sf http://127.0.0.1:8080/stub_status').startswith('Active connections')
    rc, out = curl('http://%s:8080/stub_status' % WEB_IP)
    assert rc == 7, out  # connection refused from outside


def test_access_log_is_json(web, pebble_root):
    get_json(pebble_root, '/health?jsonlog=1')
    with web.sudo():
        lines = web.check_output('tail -n 50 /var/log/nginx/access.log').splitlines()
    entries = [json.loads(line) for line in lines]
    mine = [e for e in entries if e['request'].startswith('GET /health?jsonlog=1')]
    assert mine and mine[-1]['status'] == 200 and mine[-1]['upstream_addr'].endswith(':8000')


def test_tls_passes_sslyze_mozilla_intermediate(pebble_root):
    proc = subprocess.run([SSLYZE, '--mozilla_config=intermediate', '--certinfo_ca_file=%s' % pebble_root,
                           '%s:443{%s}' % (DOMAIN, WEB_IP)], capture_output=True, text=True, timeout=300, check=False)
    print(proc.stdout[-1500:])
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert 'OK - Compliant' in proc.stdout


def test_renewal_reloads_nginx_with_a_new_certificate(web, pebble_root):
    before = served_certificate(pebble_root)['serialNumber']
    with web.sudo():
        assert web.service('certbot.timer').is_enabled
        result = web.run('REQUESTS_CA_BUNDLE=/usr/local/share/pebble-api-ca.pem certbot renew --force-renewal --no-random-sleep-on-renew')
    assert result.rc == 0, result.stdout + result.stderr
    # The deploy hook's reload returns before nginx's new workers serve: poll.
    after = before
    for _attempt in range(60):
        after = served_certificate(pebble_root)['serialNumber']
        if after != before:
            break
        time.sleep(0.5)
    assert after != before, 'nginx still serves the old certificate after renewal'


def test_rate_limit_answers_429(pebble_root):
    argv = ['curl', '-s', '--max-time', '10', '--resolve', '%s:443:%s' % (DOMAIN, WEB_IP), '--cacert', pebble_root,
            '--parallel', '--parallel-immediate', '--parallel-max', '80', '-w', '%{http_code}\n']
    for _attempt in range(80):
        argv += ['-o', '/dev/null', 'https://%s/api/whoami' % DOMAIN]
    codes = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False).stdout.split()
    assert len(codes) == 80, codes
    assert '429' in codes and '200' in codes, codes
    assert set(codes) <= {'200', '429'}, codes
    # auth: 5 requests per minute, burst 5.
    codes = []
    for _attempt in range(10):
        rc, out = curl('--cacert', pebble_root, '-X', 'POST', '-o', '/dev/null', '-w', '%{http_code}',
                       'https://%s/auth/login' % DOMAIN)
        codes.append(out)
    assert codes[0] == '200' and codes[-1] == '429', codes
    # Let the api bucket drain (20 at 10 r/s) so the next tests start below the limit.
    time.sleep(3)


def test_site_stays_up_with_one_app_host_stopped(pebble_root):
    app1 = lab_host(APP_HOSTS[0])
    with app1.sudo():
        app1.check_output('systemctl stop gw-api.service')
    try:
        time.sleep(1)
        seen = set()
        for _attempt in range(15):
            seen.add(get_json(pebble_root, '/api/whoami')['host'])
        assert seen == {APP_HOSTS[1]}
    finally:
        with app1.sudo():
            app1.check_output('systemctl start gw-api.service')
        back = False
        for _attempt in range(90):
            back = app1.run('curl -sf http://127.0.0.1:8000/health').rc == 0
            if back:
                break
            time.sleep(1)
        assert back, 'gw-api did not come back on %s' % APP_HOSTS[0]
    # nginx counted the stopped host as failed (max_fails=2, fail_timeout=10s):
    # it gets traffic again at the latest when fail_timeout expires.
    seen = set()
    for _attempt in range(60):
        seen.add(get_json(pebble_root, '/api/whoami')['host'])
        if seen == set(APP_HOSTS):
            break
        time.sleep(0.5)
    assert seen == set(APP_HOSTS)


def test_broken_nginx_config_never_reaches_nginx(web, pebble_root):
    with web.sudo():
        before = web.check_output('sha256sum /etc/nginx/groundwork/site-edge.conf')
    rc, output, changed = run_playbook(CONVERGE, {'nginx_client_max_body_size': '10 megabytes'}, limit='gw-mol-edge-web')
    assert rc != 0
    assert 'Write the sites' in output and 'failed to validate' in output
    with web.sudo():
        assert web.check_output('sha256sum /etc/nginx/groundwork/site-edge.conf') == before
        assert web.run('nginx -t -q').rc == 0
    assert changed == 0
    assert get_json(pebble_root, '/health')['status'] == 'ok'


# One run per input: a host stops at its first failing role, and a run ends
# when every host of a play has failed, so the web host's and an app host's
# inputs cannot share a run (tried 2026-12-06: the app host's play ended the
# run before the web host's). The variable must be named in the failure
# report (labtest.failures).
@pytest.mark.parametrize('extra_vars, limit, named', [
    ({'nginx_sites': [{'name': 'Bad', 'server_names': ['x.test'], 'locations': [{'path': '/', 'return': 404}]}]},
     'gw-mol-edge-web', 'nginx_sites'),
    ({'nginx_sites': [{'name': 'x', 'server_names': ['x.test'], 'locations': [{'path': '/', 'upstream': 'nope'}]}]},
     'gw-mol-edge-web', 'nginx_sites'),
    ({'certbot_email': 'not-an-address'}, 'gw-mol-edge-web', 'certbot_email'),
    ({'uvicorn_service_services': [{'name': 'api', 'app': 'gw_testapp.main:app', 'port': 70000,
                                    'packages': ['gw-testapp']}]}, 'gw-mol-edge-app1', 'uvicorn_service_services'),
    ({'uvicorn_service_services': [{'name': 'api', 'app': 'gw_testapp.main:app', 'port': 8000,
                                    'packages': ['gw-testapp'], 'secrets': {'app_secret': ''}}]},
     'gw-mol-edge-app1', 'api/app_secret'),
])
def test_bad_input_fails_before_any_change(extra_vars, limit, named):
    rc, output, changed = run_playbook(CONVERGE, extra_vars, limit=limit)
    assert rc != 0
    assert_reported(output, [named])
    assert changed == 0


def test_rolling_deploy_keeps_the_site_up(web, pebble_root):
    """deploy.yml restarts one app host at a time, drained from the upstream: no failed request."""
    def started(name):
        return lab_host(name).check_output('systemctl show -p ActiveEnterTimestampMonotonic --value gw-api.service')

    before = dict((name, started(name)) for name in APP_HOSTS)
    codes = []
    stop = threading.Event()

    def load():
        while not stop.is_set():
            rc, out = curl('--cacert', pebble_root, '-o', '/dev/null', '-w', '%{http_code}', 'https://%s/api/whoami' % DOMAIN)
            codes.append(out if rc == 0 else 'curl-%d' % rc)
            time.sleep(0.2)

    thread = threading.Thread(target=load)
    thread.start()
    try:
        # -v prints every loop item: the services' secrets must not be in them.
        rc, output = run_playbook(os.path.join(ROOT, 'playbooks', 'deploy.yml'), args=('-v',))[:2]
    finally:
        stop.set()
        thread.join()
    assert rc == 0, output[-3000:]
    leaked = [s for s in (APP_SECRET, 'molecule-redis-Secret-1', 'molecule-edge-db-Secret-1') if s in output]
    assert not leaked, 'secrets printed at -v: %s' % leaked
    assert 'Take the host out of the nginx upstreams' in output
    assert len(codes) > 10
    assert set(codes) == {'200'}, codes
    for name in APP_HOSTS:
        assert started(name) != before[name], '%s was not restarted' % name
    with web.sudo():
        assert ' down;' not in web.file('/etc/nginx/groundwork/upstreams.conf').content_string


def test_external_account_binding(web):
    # pebble requires EAB: an account without it is refused, so the
    # certificates above prove the role's binding works.
    with web.sudo():
        refused = web.run('REQUESTS_CA_BUNDLE=/usr/local/share/pebble-api-ca.pem certbot register --non-interactive '
                          '--agree-tos -m ops@groundwork.test --server https://%s:14000/dir --config-dir /tmp/noeab '
                          '--work-dir /tmp/noeab --logs-dir /tmp/noeab' % ACME_IP)
        eab = web.file('/etc/letsencrypt/groundwork-eab.ini')
        assert (eab.user, eab.group, eab.mode) == ('root', 'root', 0o600)
        assert EAB_HMAC_KEY in eab.content_string
        assert EAB_HMAC_KEY not in web.check_output('cat /etc/letsencrypt/renewal/edge.conf')
    assert refused.rc != 0 and 'external account binding' in (refused.stdout + refused.stderr).lower(), refused.stderr


def test_a_new_domain_reissues_the_certificate_once(pebble_root, monkeypatch):
    # nginx already serves api.<domain> (nginx_sites); adding it to the
    # certificate re-issues it with the new name, and a re-run changes nothing.
    names = sorted([DOMAIN, 'www.' + DOMAIN, 'api.' + DOMAIN])
    extra_vars = {'certbot_certificates': [{'name': 'edge', 'domains': names}]}
    # Only the issuing part of the role (install and validate are covered by
    # converge and idempotence): two short runs on a loaded CI host.
    monkeypatch.setenv('ANSIBLE_RUN_TAGS', 'certbot_issue')
    rc, output, changed = run_playbook(CONVERGE, extra_vars, limit='gw-mol-edge-web')
    assert rc == 0 and changed > 0, output[-3000:]
    for _attempt in range(60):
        if dns_names(served_certificate(pebble_root, 'api.' + DOMAIN)) == names:
            break
        time.sleep(0.5)
    assert dns_names(served_certificate(pebble_root, 'api.' + DOMAIN)) == names
    rc, output, changed = run_playbook(CONVERGE, extra_vars, limit='gw-mol-edge-web')
    assert rc == 0 and changed == 0, output[-3000:]
