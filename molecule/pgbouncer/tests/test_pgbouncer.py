# -*- coding: utf-8 -*-
# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""PgBouncer on an app host in front of a primary converged by groundwork.stack.postgresql."""

from __future__ import annotations

import os
import sys
import time

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', '..', 'shared'))
from labtest import assert_reported, host_fixture, run_playbook  # noqa: E402  pylint: disable=wrong-import-position

CONVERGE = os.path.join(os.path.dirname(__file__), '..', 'converge.yml')
DB_IP = '10.213.13.10'
APP_PASSWORD = 'molecule-app-Secret-1'
CA = '/usr/local/share/groundwork-ca.crt'


fixture_app = host_fixture('app', 'gw-mol-bouncer-app')
fixture_db = host_fixture('db', 'gw-mol-bouncer-db')


def dsn(**conn):
    params = {'host': 'localhost', 'port': '6432', 'dbname': 'app', 'user': 'app', 'sslmode': 'verify-full',
              'sslrootcert': CA, 'connect_timeout': '5'}
    params.update(conn)
    return ' '.join('%s=%s' % item for item in params.items())


def psql(host, sql, password=APP_PASSWORD, **conn):
    """Run one statement through PgBouncer from the app host."""
    return host.run('PGPASSWORD=%s psql -X -A -t -v ON_ERROR_STOP=1 %s -c %s', password, dsn(**conn), sql)


def console(host, sql):
    """Run a command on PgBouncer's admin console (local socket, peer as postgres)."""
    with host.sudo('postgres'):
        return host.check_output('psql -X -A -t -F "|" -h /var/run/postgresql -p 6432 -d pgbouncer -c %s', sql)


def show(host, what):
    """Rows of SHOW <what> as dicts."""
    with host.sudo('postgres'):
        out = host.check_output('psql -X -A -F "|" -P footer=off -h /var/run/postgresql -p 6432 -d pgbouncer -c %s',
                                'SHOW %s' % what)
    lines = out.splitlines()
    header = lines[0].split('|')
    return [dict(zip(header, line.split('|'))) for line in lines[1:]]


def test_app_connects_with_scram_over_tls_and_pgbouncer_uses_tls_upstream(app):
    result = psql(app, 'SELECT current_user, ssl, inet_client_addr() FROM pg_stat_ssl WHERE pid = pg_backend_pid()')
    assert result.rc == 0, result.stderr
    user, ssl, client = result.stdout.strip().split('|')
    # The server sees PgBouncer's host as the client, over TLS.
    assert (user, ssl, client) == ('app', 't', '10.213.13.20')
    clients = [c for c in show(app, 'CLIENTS') if c['user'] == 'app']
    assert all(c['tls'].startswith('TLSv1.') for c in clients), clients


def test_server_certificate_is_verified_against_the_collection_ca(app):
    config = {row['key']: row['value'] for row in show(app, 'CONFIG')}
    assert config['server_tls_sslmode'] == 'verify-full'
    assert config['server_tls_ca_file'] == '/etc/pgbouncer/tls/root.crt'
    with app.sudo():
        assert app.check_output('cat /etc/pgbouncer/tls/root.crt') == app.check_output('cat %s', CA)


def test_client_without_tls_is_refused(app):
    result = psql(app, 'SELECT 1', sslmode='disable')
    assert result.rc != 0
    # PgBouncer's own refusal, or its hba's (no hostssl rule matches).
    assert 'SSL required' in result.stderr or 'no encryption' in result.stderr, result.stderr


def test_wrong_password_is_refused(app):
    result = psql(app, 'SELECT 1', password='not-the-password')
    assert result.rc != 0
    assert 'authentication failed' in result.stderr, result.stderr


def test_superuser_cannot_log_in_through_pgbouncer(app):
    result = psql(app, 'SELECT 1', user='postgres', password='anything')
    # Refused by PgBouncer (a FATAL from the server side), not a client error.
    assert result.rc != 0 and 'FATAL' in result.stderr, result.stderr


def test_only_the_lookup_role_may_run_the_lookup_function(app):
    result = app.run('PGPASSWORD=%s psql -X -A -t -c %s %s', APP_PASSWORD, "SELECT * FROM pgbouncer.get_auth('app')",
                     'host=%s dbname=postgres user=app sslmode=verify-full sslrootcert=%s' % (DB_IP, CA))
    assert result.rc != 0
    assert 'permission denied' in result.stderr, result.stderr


def test_lookup_role_has_no_password(db):
    with db.sudo('postgres'):
        out = db.check_output('psql -X -A -t -c %s', "SELECT rolpassword IS NULL, rolsuper FROM pg_authid WHERE rolname = 'pgbouncer_auth'")
    assert out.strip() == 't|f'


def test_no_password_on_the_pgbouncer_host(app):
    with app.sudo():
        userlist = app.check_output('cat /etc/pgbouncer/userlist.txt')
        ini = app.check_output('cat /etc/pgbouncer/pgbouncer.ini')
    assert APP_PASSWORD not in userlist + ini
    assert 'SCRAM' not in userlist and 'md5' not in userlist
    assert app.file('/etc/pgbouncer/pgbouncer.ini').mode == 0o640


def test_show_pools_and_config_reflect_the_role(app):
    psql(app, 'SELECT 1')
    pools = {(p['database'], p['user']): p for p in show(app, 'POOLS')}
    assert pools[('app', 'app')]['pool_mode'] == 'transaction'
    config = {row['key']: row['value'] for row in show(app, 'CONFIG')}
    assert config['max_client_conn'] == '1000'
    # max_connections 200 (web profile) - 10 reserved, one PgBouncer host.
    assert config['max_db_connections'] == '190'
    assert config['default_pool_size'] == '20'
    assert config['auth_type'] == 'hba'
    assert float(config['server_login_retry']) == 2
    databases = {d['name']: d for d in show(app, 'DATABASES')}
    assert databases['app']['host'] == DB_IP and databases['app']['pool_size'] == '20'


# Each run breaks several rules at once: the argument spec's rules (type,
# choices) in one run, the role's own checks (tasks/validate.yml) in another
# (the spec stops the role before them), a variable broken two ways in
# separate runs. Every variable named must be in the failure report
# (labtest.failures). Same inputs as before 2026-12-06, in fewer runs.
@pytest.mark.parametrize('extra_vars, named', [
    ({'pgbouncer_pool_mode': 'bogus', 'pgbouncer_server_login_retry': 'soon'},
     ['pgbouncer_pool_mode', 'pgbouncer_server_login_retry']),
    ({'pgbouncer_upstream_host': 'db.example.com', 'pgbouncer_manage_auth_user': True, 'pgbouncer_server_login_retry': 0},
     ['pgbouncer_upstream_host', 'pgbouncer_server_login_retry']),
])
def test_bad_input_fails_before_any_change(extra_vars, named):
    rc, output, changed = run_playbook(CONVERGE, extra_vars=extra_vars, limit='gw-mol-bouncer-app')
    assert rc != 0
    assert_reported(output, named)
    assert changed == 0


def test_pg_hba_rules_for_pgbouncer_are_derived_from_the_inventory(db):
    """converge.yml sets no postgresql_hba_rules: the postgresql role derives them from the pgbouncer group."""
    with db.sudo('postgres'):
        out = db.check_output('psql -X -A -t -F "|" -c %s',
                              "SELECT database, user_name, auth_method FROM pg_hba_file_rules "
                              "WHERE address = '10.213.13.20' ORDER BY rule_number")
    rules = [line.split('|') for line in out.splitlines()]
    # The lookup role's certificate rule comes first (first match wins), then the pooled traffic, once.
    assert rules == [['{postgres}', '{pgbouncer_auth}', 'cert'], ['{all}', '{all}', 'scram-sha-256']], rules


def test_stats_console_user_reads_stats_but_cannot_administer(app):
    def as_stats(sql):
        with app.sudo('pgbstats'):
            return app.run('psql -X -A -t -h /var/run/postgresql -p 6432 -U pgbstats -d pgbouncer -c %s', sql)
    assert as_stats('SHOW STATS').rc == 0
    assert as_stats('SHOW POOLS').rc == 0
    refused = as_stats('PAUSE app')
    assert refused.rc != 0 and 'admin access needed' in refused.stderr, refused.stderr
    # An OS user that is neither admin nor stats user gets no console at all.
    with app.sudo('nobody'):
        other = app.run('psql -X -A -t -h /var/run/postgresql -p 6432 -U nobody -d pgbouncer -c %s', 'SHOW STATS')
    assert other.rc != 0 and 'FATAL' in other.stderr, other.stderr


def test_admin_console_is_not_reachable_over_tcp(app):
    result = app.run('PGPASSWORD=x psql -X -A -t -c "SHOW POOLS" %s', dsn(dbname='pgbouncer', user='postgres'))
    assert result.rc != 0 and 'FATAL' in result.stderr, result.stderr


def test_a_config_change_is_reloaded_and_keeps_clients_connected(app):
    pid = app.check_output('systemctl show -P MainPID pgbouncer')
    app.run_test('rm -f /tmp/pgb-reloaded /tmp/pgb-session.out /tmp/pgb-session.sql')
    # One client session: a query, then wait (inside psql) until the reload is done, then another query.
    script = "SELECT 'before';\n\\! sh -c 'while [ ! -f /tmp/pgb-reloaded ]; do sleep 0.2; done'\nSELECT 'after';\n"
    app.run_test('printf %%s %s > /tmp/pgb-session.sql', script)
    app.run_test('PGPASSWORD=%s nohup psql -X -A -t -v ON_ERROR_STOP=1 -f /tmp/pgb-session.sql %s > /tmp/pgb-session.out 2>&1 &',
                 APP_PASSWORD, dsn())
    deadline = time.time() + 20
    while 'before' not in app.check_output('cat /tmp/pgb-session.out || true') and time.time() < deadline:
        time.sleep(0.5)
    assert 'before' in app.check_output('cat /tmp/pgb-session.out')
    rc, output, changed = run_playbook(CONVERGE, extra_vars={'pgbouncer_test_query_timeout': 30}, limit='gw-mol-bouncer-app')
    assert rc == 0 and changed >= 1, output[-3000:]
    assert 'RUNNING HANDLER [groundwork.stack.pgbouncer : Reload pgbouncer]' in output
    assert 'Restart pgbouncer' not in output
    app.run_test('touch /tmp/pgb-reloaded')
    deadline = time.time() + 20
    while 'after' not in app.check_output('cat /tmp/pgb-session.out') and time.time() < deadline:
        time.sleep(0.5)
    assert app.check_output('cat /tmp/pgb-session.out').split() == ['before', 'after']
    assert app.check_output('systemctl show -P MainPID pgbouncer') == pid
    config = {row['key']: row['value'] for row in show(app, 'CONFIG')}
    assert config['query_timeout'] == '30'


def test_one_variable_repoints_pgbouncer_with_a_reload(app):
    """failover.yml re-applies the role with pgbouncer_upstream_host: the new target is reloaded, not restarted."""
    pid = app.check_output('systemctl show -P MainPID pgbouncer')
    moved = {'pgbouncer_upstream_host': '10.213.13.99', 'pgbouncer_manage_auth_user': False,
             'pgbouncer_postgresql_max_connections': 200}
    rc, output, changed = run_playbook(CONVERGE, extra_vars=moved, limit='gw-mol-bouncer-app')
    assert rc == 0 and changed >= 1, output[-3000:]
    assert 'Restart pgbouncer' not in output
    # The reload drops the database entries made from '*'; the next client's
    # login makes them again, now for the new target (which does not answer
    # here). Which entries exist depends on how far the login got (the auth
    # database's for auth_query, or also app's): every one names the new host.
    assert psql(app, 'SELECT 1', connect_timeout='3').rc != 0
    databases = {d['name']: d for d in show(app, 'DATABASES') if d['name'] != 'pgbouncer'}
    assert databases and {d['host'] for d in databases.values()} == {'10.213.13.99'}, databases
    # Back to the real primary: PgBouncer serves again, still the same process.
    rc, output, changed = run_playbook(CONVERGE, limit='gw-mol-bouncer-app')
    assert rc == 0 and changed >= 1, output[-3000:]
    # Logins may fail for up to server_login_retry (the role sets 2 s; PgBouncer's
    # own default of 15 s made this wait 15 s) while PgBouncer keeps the cached
    # error of the unreachable target. The playbook's own run outlasts most of it.
    deadline = time.time() + 6
    result = psql(app, 'SELECT inet_server_addr()')
    while result.rc != 0 and 'server_login_retry' in result.stderr and time.time() < deadline:
        time.sleep(1)
        result = psql(app, 'SELECT inet_server_addr()')
    assert result.rc == 0 and result.stdout.strip() == DB_IP, result.stderr
    # (Which auto-made entries SHOW DATABASES lists at this point varies; the
    # server address the query reports is what shows the target.)
    assert app.check_output('systemctl show -P MainPID pgbouncer') == pid
