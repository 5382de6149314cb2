# -*- coding: utf-8 -*-
# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A PostgreSQL primary converged by groundwork.stack.postgresql, seen from an app host."""

from __future__ import annotations

import os
import re
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', '..', 'shared'))
from labtest import assert_reported, host_fixture, run_playbook  # noqa: E402  pylint: disable=wrong-import-position

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', '..', '..', '.collections'))
from ansible_collections.groundwork.stack.plugins.filter.pg_quote import pg_quote  # noqa: E402  pylint: disable=wrong-import-position

CONVERGE = os.path.join(os.path.dirname(__file__), '..', 'converge.yml')
# The index play alone (converge.yml imports it).
INDEX = os.path.join(os.path.dirname(__file__), '..', 'index.yml')
DB_IP = '10.213.11.10'
APP_PASSWORD = 'molecule-app-Secret-1'
CA = '/usr/local/share/groundwork-ca.crt'


fixture_client = host_fixture('client', 'gw-mol-pgclient')
fixture_db = host_fixture('db', 'gw-mol-pg')


def psql(client, sql, password=APP_PASSWORD, **conn):
    """Run one statement from the app host; return the command result."""
    params = {'host': DB_IP, 'dbname': 'app', 'user': 'app', 'sslmode': 'verify-full', 'sslrootcert': CA,
              'connect_timeout': '5'}
    params.update(conn)
    dsn = ' '.join('%s=%s' % item for item in params.items())
    # testinfra quotes each argument itself.
    return client.run('PGPASSWORD=%s psql -X -A -t -v ON_ERROR_STOP=1 %s -c %s', password, dsn, sql)


def local_sql(db, sql, dbname='postgres'):
    """Run SQL on the database host as postgres over the socket (peer)."""
    with db.sudo('postgres'):
        return db.check_output('psql -X -A -t -d %s -c %s', dbname, sql)


def test_tls_scram_login_works_from_an_app_host(client):
    result = psql(client, 'SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()')
    assert result.rc == 0, result.stderr
    ssl, version = result.stdout.strip().split('|')
    assert ssl == 't'
    assert version in ('TLSv1.2', 'TLSv1.3')


def test_connection_without_tls_is_refused(client):
    result = psql(client, 'SELECT 1', sslmode='disable')
    assert result.rc != 0
    assert 'no encryption' in result.stderr


def test_wrong_password_is_refused(client):
    result = psql(client, 'SELECT 1', password='not-the-password')
    assert result.rc != 0
    assert 'password authentication failed for user "app"' in result.stderr


def test_tls_below_1_2_is_refused(client):
    result = psql(client, 'SELECT 1', ssl_max_protocol_version='TLSv1.1')
    assert result.rc != 0
    assert 'protocol version' in result.stderr or 'no protocols available' in result.stderr, result.stderr


def test_certificate_verifies_against_the_collection_ca(client):
    # verify-full against the wrong CA must fail: the check above is not vacuous.
    result = psql(client, 'SELECT 1', sslrootcert='/etc/ssl/certs/ca-certificates.crt')
    assert result.rc != 0
    assert 'certificate verify failed' in result.stderr


def test_superuser_cannot_log_in_over_the_network(client):
    result = psql(client, 'SELECT 1', user='postgres', dbname='postgres')
    assert result.rc != 0
    assert 'password authentication failed for user "postgres"' in result.stderr, result.stderr


def test_extensions_and_pgvector_work(client):
    result = psql(client, "SELECT extname FROM pg_extension WHERE extname IN ('vector', 'pg_stat_statements') ORDER BY 1")
    assert result.stdout.split() == ['pg_stat_statements', 'vector']
    result = psql(client, "SELECT '[1,2,3]'::vector <-> '[1,2,4]'::vector")
    assert result.rc == 0, result.stderr
    assert float(result.stdout) == 1.0
    assert psql(client, 'SELECT count(*) >= 0 FROM pg_stat_statements').stdout.strip() == 't'


def test_per_database_pgvector_settings(client):
    assert psql(client, 'SHOW hnsw.ef_search').stdout.strip() == '100'
    assert psql(client, 'SHOW hnsw.iterative_scan').stdout.strip() == 'relaxed_order'


def test_cluster_has_data_checksums_and_scram(db):
    assert local_sql(db, 'SHOW data_checksums') == 'on'
    assert local_sql(db, 'SHOW password_encryption') == 'scram-sha-256'
    verifier = local_sql(db, "SELECT rolpassword FROM pg_authid WHERE rolname = 'app'")
    assert verifier.startswith('SCRAM-SHA-256$')


def test_tuning_follows_the_memory_budget(db):
    # 1 GB budget, web profile: pgtune gives shared_buffers = RAM/4, effective_cache_size = 3/4.
    assert local_sql(db, 'SHOW shared_buffers') == '256MB'
    assert local_sql(db, 'SHOW effective_cache_size') == '768MB'
    assert local_sql(db, 'SHOW max_connections') == '200'
    assert local_sql(db, 'SHOW jit') == 'off'
    with db.sudo():  # not world-readable
        conf = db.file('/etc/postgresql/17/main/conf.d/90-groundwork.conf').content_string
    assert "shared_buffers = '256MB'" in conf and '# pgtune' in conf


# Values that end a naively quoted postgresql.conf string early (a quote, a
# backslash before a quote, a trailing backslash) or that the scanner would
# unescape (\\n, an octal escape), quoted by the function the template
# (pg_quote filter) and the standby module (primary_conninfo) use.
QUOTING = ["it's", "back\\slash", "\\'", "ends with \\", "''", "\\n is not a newline", "\\101", "two\nlines",
           "host='a' passfile='/srv/o\\'brien/.pgpass'"]


def test_conf_quoting_reads_back_on_the_server(db):
    lines = ''.join('groundwork_quoting.v%d = %s\n' % (i, pg_quote(v)) for i, v in enumerate(QUOTING))
    path = '/etc/postgresql/17/main/conf.d/99-quoting-test.conf'
    with db.sudo():
        db.check_output('printf %%s %s > %s', lines, path)
    try:
        # pg_file_settings parses the files as they are now, without a reload.
        rows = local_sql(db, "SELECT name || '=' || encode(convert_to(setting, 'UTF8'), 'hex') || '=' || "
                             "coalesce(error, '') FROM pg_file_settings WHERE sourcefile = '%s' ORDER BY seqno" % path)
    finally:
        with db.sudo():
            db.check_output('rm -f %s', path)
    got = {}
    for row in rows.splitlines():
        name, value, error = row.split('=', 2)
        assert error == '', row
        got[int(name.rsplit('v', 1)[1])] = bytes.fromhex(value).decode()
    assert got == dict(enumerate(QUOTING))


def test_configuration_files_are_not_world_readable(db):
    with db.sudo():
        readable = db.check_output('find /etc/postgresql/17/main -type f -perm -o=r')
    assert readable == ''
    denied = db.run('sudo -u nobody cat /etc/postgresql/17/main/conf.d/90-groundwork.conf')
    assert denied.rc != 0 and 'Permission denied' in denied.stderr
    # Other users' clients still find the cluster (pg_wrapper reads its
    # configuration): the server itself answers, and refuses a role it does
    # not know.
    other = db.run('sudo -u nobody psql -X -h /var/run/postgresql -p 5432 -d postgres -c "SELECT 1"')
    assert other.rc != 0 and 'role "nobody" does not exist' in other.stderr, other.stderr


def test_listens_on_loopback_and_its_own_address_only(db):
    assert local_sql(db, 'SHOW listen_addresses') == 'localhost,%s' % DB_IP
    listening = db.socket('tcp://0.0.0.0:5432')
    assert not listening.is_listening


def test_logs_go_outside_the_data_directory(db, client):
    psql(client, 'SELECT 1')
    with db.sudo():
        logs = db.check_output('cat /var/log/postgresql/postgresql-17-main-*.log')
    assert 'connection authorized: user=app database=app' in logs
    assert 'SSL enabled' in logs


def _start_time(db):
    return local_sql(db, 'SELECT pg_postmaster_start_time()')


# A settings change applied the way an operator changes one setting: the
# role's configuration stage alone (--tags postgresql_config: the settings,
# the reload, the restart when PostgreSQL asks for one). The whole converge
# took about 35 s per run on a loaded machine; converge and idempotence apply
# all of it.
CONFIG_ONLY = ('--tags', 'postgresql_config')


def test_reloadable_change_reloads_and_restart_only_when_needed(db):
    started = _start_time(db)
    rc, output, changed = run_playbook(CONVERGE, {'postgresql_settings': {'work_mem': '8MB'}}, args=CONFIG_ONLY)
    assert rc == 0, output[-3000:]
    assert changed >= 1
    assert local_sql(db, 'SHOW work_mem') == '8MB'
    assert _start_time(db) == started, 'a reloadable change restarted PostgreSQL'

    rc, output, changed = run_playbook(CONVERGE, {'postgresql_settings': {'work_mem': '8MB', 'max_connections': 150}},
                                       args=CONFIG_ONLY)
    assert rc == 0, output[-3000:]
    assert local_sql(db, 'SHOW max_connections') == '150'
    assert _start_time(db) != started, 'max_connections needs a restart'

    rc, output, changed = run_playbook(CONVERGE, args=CONFIG_ONLY)
    assert rc == 0, output[-3000:]
    assert local_sql(db, 'SHOW max_connections') == '200'


# Each run breaks several rules at once: the argument spec's rules (type,
# choices) in one run, the role's own checks (tasks/validate.yml) in another
# (the spec stops the role before them), a variable broken two ways in
# separate runs. Every variable named must be in the failure report
# (labtest.failures). Same inputs as before 2026-12-06, in fewer runs.
@pytest.mark.parametrize('extra_vars, named', [
    ({'postgresql_profile': 'olap'}, ['postgresql_profile']),
    ({'postgresql_memory_budget': 'lots', 'postgresql_hba_rules': [{'address': '10.0.0.5/24'}],
      'postgresql_users': [{'name': 'nopass'}], 'postgresql_settings': {'ssl': 'off'},
      'postgresql_databases': [{'name': 'app', 'settings': {'work_mem': '1GB'}}]},
     ['postgresql_memory_budget', 'postgresql_hba_rules', 'postgresql_users[nopass]', 'postgresql_settings',
      'postgresql_databases[app]']),
    ({'postgresql_hba_rules': [{'address': '10.0.0.0/8', 'type': 'host', 'method': 'scram-sha-256'}]},
     ['postgresql_hba_rules']),
    ({'postgresql_hba_rules': [{'address': '10.0.0.0/8', 'method': 'md5'}]}, ['method']),
])
def test_bad_input_fails_before_any_change(db, extra_vars, named):
    before = db.check_output('sudo sha256sum /etc/postgresql/17/main/pg_hba.conf /etc/postgresql/17/main/conf.d/90-groundwork.conf')
    rc, output, changed = run_playbook(CONVERGE, extra_vars)
    assert rc != 0
    assert_reported(output, named)
    assert changed == 0
    assert 'nopass' not in local_sql(db, 'SELECT string_agg(rolname, \',\') FROM pg_roles')
    assert db.check_output('sudo sha256sum /etc/postgresql/17/main/pg_hba.conf /etc/postgresql/17/main/conf.d/90-groundwork.conf') == before


def _index_options(db):
    return local_sql(db, "SELECT am.amname || ' ' || array_to_string(c.reloptions, ',') FROM pg_class c "
                         "JOIN pg_am am ON am.oid = c.relam WHERE c.relname = 'items_embedding_idx'", dbname='app')


def test_hnsw_index_has_the_requested_parameters(db):
    assert _index_options(db) == 'hnsw m=16,ef_construction=64'
    assert local_sql(db, "SELECT indisvalid FROM pg_index WHERE indexrelid = 'items_embedding_idx'::regclass", dbname='app') == 't'


def _neighbours(client, exact):
    """Top 10 neighbours of 20 query vectors, by index scan or by exact scan."""
    sql = ("SELECT q.id, n.id FROM (SELECT id, embedding FROM items WHERE id % 250 = 0) q, "
           "LATERAL (SELECT id FROM items ORDER BY embedding <-> q.embedding LIMIT 10) n")
    if exact:
        sql = 'SET enable_indexscan = off; ' + sql
    result = psql(client, sql)
    assert result.rc == 0, result.stderr
    pairs = {}
    for line in result.stdout.split():
        if '|' in line:
            qid, nid = line.split('|')
            pairs.setdefault(qid, set()).add(nid)
    assert len(pairs) == 20
    return pairs


def test_vector_search_uses_the_index_with_recall_of_at_least_0_95(client):
    plan = psql(client, "EXPLAIN SELECT id FROM items ORDER BY embedding <-> (SELECT embedding FROM items WHERE id = 1) LIMIT 10")
    assert 'items_embedding_idx' in plan.stdout
    approximate, exact = _neighbours(client, exact=False), _neighbours(client, exact=True)
    hits = sum(len(approximate[q] & exact[q]) for q in exact)
    recall = hits / float(10 * len(exact))
    print('recall@10 = %.3f' % recall)
    assert recall >= 0.95


# A transaction that has written to items and stays open until the concurrent build waits for it, then 3 s
# more (the view is read afresh each time: a transaction otherwise sees one snapshot of it).
BLOCKER_SQL = '''BEGIN;
UPDATE items SET status = status WHERE id = 1;
DO $$ BEGIN
  FOR i IN 1..600 LOOP
    PERFORM pg_stat_clear_snapshot();
    EXIT WHEN EXISTS (SELECT 1 FROM pg_stat_progress_create_index WHERE phase LIKE 'waiting for writers%');
    PERFORM pg_sleep(0.1);
  END LOOP;
  PERFORM pg_sleep(3);
END $$;
COMMIT;
'''
BUILD_LOG = '/var/log/postgresql/gw-index-build.log'


def test_changing_m_rebuilds_the_index_once(db):
    try:
        # The rebuild is a concurrent build: it first waits for a writer's open transaction, and its
        # progress log and the playbook's progress lines show that wait as it happens.
        with db.sudo('postgres'):
            db.check_output('cat > /tmp/gw-blocker.sql <<"EOF"\n%sEOF' % BLOCKER_SQL)
            log_before = int(db.check_output('stat -c %%s %s 2>/dev/null || echo 0', BUILD_LOG))
            db.check_output('nohup psql -X -q -d app -f /tmp/gw-blocker.sql </dev/null >/tmp/gw-blocker.out 2>&1 &')
        rc, output, changed = run_playbook(INDEX, {'pgvector_test_m': 24, 'pgvector_test_progress_interval': 1})
        assert rc == 0, output[-3000:]
        assert changed >= 1
        assert _index_options(db) == 'hnsw m=24,ef_construction=64'
        with db.sudo():
            log = db.check_output('tail -c +%s %s', str(log_before + 1), BUILD_LOG)
        assert re.search(r'^index items_embedding_idx: waiting for writers before build, waiting for [1-9]\d* of \d+ '
                         r'transactions$', log, re.M), log
        assert log.splitlines()[0] == 'index items_embedding_idx: started' and log.splitlines()[-1].endswith(': finished'), log
        assert re.search(r'gw-mol-pg: HNSW index items_embedding_idx, running for \d+s', output), output[-3000:]
        assert 'gw-mol-pg: HNSW index items_embedding_idx finished after' in output, output[-3000:]
        rc, output, changed = run_playbook(INDEX, {'pgvector_test_m': 24})
        assert rc == 0, output[-3000:]
        assert changed == 0, output[-3000:]
    finally:
        run_playbook(INDEX)
    assert _index_options(db) == 'hnsw m=16,ef_construction=64'


def _partial_index(db):
    return local_sql(db, "SELECT pg_get_expr(indpred, indrelid) FROM pg_index "
                         "WHERE indexrelid = 'items_live_embedding_idx'::regclass AND indisvalid", dbname='app')


def test_partial_index_predicate_is_compared_as_the_server_prints_it(db):
    # Converge and idempotence built it from "status = 'live'" and left it
    # alone although the server prints the predicate with a cast.
    assert _partial_index(db) == "(status = 'live'::text)"
    try:
        rc, output, changed = run_playbook(INDEX, {'pgvector_test_predicate': "status <> 'gone'"})
        assert rc == 0 and changed >= 1, output[-3000:]
        assert _partial_index(db) == "(status <> 'gone'::text)"
    finally:
        run_playbook(INDEX)
    assert _partial_index(db) == "(status = 'live'::text)"


@pytest.mark.parametrize('extra_vars, named', [
    ({'pgvector_test_method': 'annoy'}, 'method'),
    ({'pgvector_test_opclass': 'vector_manhattan_ops'}, 'opclass'),
    ({'pgvector_test_method': 'ivfflat', 'pgvector_test_opclass': 'bit_jaccard_ops'}, 'ivfflat'),
    ({'pgvector_test_m': 40, 'pgvector_test_ef_construction': 64}, 'ef_construction'),
])
def test_bad_index_input_changes_nothing(db, extra_vars, named):
    rc, output, changed = run_playbook(INDEX, extra_vars)
    assert rc != 0
    assert named in output
    assert changed == 0
    assert _index_options(db) == 'hnsw m=16,ef_construction=64'


def test_a_limited_run_keeps_the_clients_access(client):
    """--limit to the database host: the app host's facts are missing, its pg_hba rule must stay."""
    rc, output, changed = run_playbook(CONVERGE, limit='gw-mol-pg')
    assert rc == 0, output[-3000:]
    assert changed == 0, output[-3000:]
    assert psql(client, 'SELECT 1').stdout.strip() == '1'
