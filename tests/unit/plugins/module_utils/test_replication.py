# -*- coding: utf-8 -*-
# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Decision logic of the replication modules: state of a host -> action, without a database."""

from __future__ import annotations

import copy

import pytest

from ansible_collections.groundwork.stack.plugins.module_utils import replication as r

SYSID = '7440001234567890123'
OTHER_SYSID = '7440009999999999999'

CONTROLDATA = """pg_control version number:            1700
Database system identifier:           7440001234567890123
Database cluster state:               shut down
Latest checkpoint location:           0/5000028
Latest checkpoint's REDO location:    0/5000028
Latest checkpoint's TimeLineID:       1
Minimum recovery ending location:     0/0
Min recovery ending loc's timeline:   0
"""


def control(state=r.STATE_SHUT_DOWN, timeline=1, checkpoint='0/5000028', min_end='0/0', sysid=SYSID):
    return {'system_identifier': sysid, 'state': state, 'timeline': timeline,
            'checkpoint_lsn': r.parse_lsn(checkpoint), 'min_recovery_end_lsn': r.parse_lsn(min_end),
            'min_recovery_end_timeline': 0}


def primary(timeline=2, lsn='0/7000000', history=None, sysid=SYSID):
    return {'system_identifier': sysid, 'timeline': timeline, 'lsn': r.parse_lsn(lsn),
            'history': history if history is not None else {1: r.parse_lsn('0/6000000')}}


def facts(**kw):
    base = {'data_dir_exists': True, 'data_dir_empty': False, 'pg_version': '17', 'major': '17',
            'control': control(), 'running': False, 'in_recovery': None, 'timeline': None, 'replay_lsn': None,
            'standby_signal': False, 'conf_matches': False, 'primary': primary()}
    base.update(kw)
    return base


# A standby that streams from the right primary: same timeline, settings written, running in recovery.
STREAMING = dict(running=True, in_recovery=True, timeline=2, replay_lsn=r.parse_lsn('0/7000000'),
                 standby_signal=True, conf_matches=True, control=control(r.STATE_SHUT_DOWN_RECOVERY, timeline=2))


@pytest.mark.parametrize('case, divergence, action, reason_part', [
    (dict(STREAMING), 'rewind', 'none', 'already a standby'),
    (dict(STREAMING, conf_matches=False), 'rewind', 'attach', 'can follow'),
    (dict(data_dir_exists=False, control=None, pg_version=None), 'never', 'clone', 'missing or empty'),
    (dict(data_dir_empty=True, control=None, pg_version=None), 'rewind', 'clone', 'missing or empty'),
    # Not a cluster, another cluster, another major version: only a re-clone helps.
    (dict(pg_version=None, control=None), 'reclone', 'reclone', 'no PostgreSQL cluster'),
    (dict(pg_version=None, control=None), 'rewind', 'refuse', 'pg_rewind cannot'),
    (dict(pg_version=None, control=None), 'never', 'refuse', 'set divergence=reclone'),
    (dict(control=control(sysid=OTHER_SYSID)), 'reclone', 'reclone', 'another cluster'),
    (dict(control=control(sysid=OTHER_SYSID)), 'rewind', 'refuse', 'another cluster'),
    (dict(pg_version='16'), 'reclone', 'reclone', 'PostgreSQL 16 cluster'),
    # An old primary that crashed (state "in production" while stopped): diverged, whatever its LSN.
    (dict(control=control(r.STATE_PRODUCTION, checkpoint='0/5000028')), 'rewind', 'rewind', 'did not shut down cleanly'),
    (dict(control=control(r.STATE_PRODUCTION)), 'reclone', 'reclone', 'did not shut down cleanly'),
    (dict(control=control(r.STATE_PRODUCTION)), 'never', 'refuse', 'divergence=never refuses'),
    # An old primary shut down cleanly before the switch point (switchover): it follows without a rewind.
    (dict(control=control(r.STATE_SHUT_DOWN, checkpoint='0/5FFFFD8')), 'never', 'attach', 'can follow'),
    # ... but not when its shutdown checkpoint is past the switch point.
    (dict(control=control(r.STATE_SHUT_DOWN, checkpoint='0/6000100')), 'rewind', 'rewind', 'past the primary'),
    # A standby of the old primary that replayed less than the new primary: repointed.
    (dict(running=True, in_recovery=True, timeline=1, replay_lsn=r.parse_lsn('0/5000000'), standby_signal=True,
          control=control(r.STATE_SHUT_DOWN_RECOVERY)), 'never', 'attach', 'can follow'),
    # ... that replayed more (async): diverged.
    (dict(running=True, in_recovery=True, timeline=1, replay_lsn=r.parse_lsn('0/6500000'), standby_signal=True,
          control=control(r.STATE_SHUT_DOWN_RECOVERY)), 'rewind', 'rewind', 'past the primary'),
    # A stopped standby uses the larger of its checkpoint and minimum recovery end.
    (dict(standby_signal=True, control=control(r.STATE_SHUT_DOWN_RECOVERY, checkpoint='0/4000000', min_end='0/6000200')),
     'reclone', 'reclone', 'past the primary'),
    # Timeline not in the primary's history.
    (dict(control=control(timeline=3), primary=primary(timeline=4, history={1: 1, 2: 2})), 'rewind', 'rewind',
     'not in the primary'),
    # Newer timeline than the primary: the primary given is stale.
    (dict(control=control(timeline=3)), 'reclone', 'refuse', 'looks stale'),
    # Running primary on the same timeline: two primaries.
    (dict(running=True, in_recovery=False, timeline=2), 'reclone', 'refuse', 'two primaries'),
    # Running primary on an old timeline (not fenced): diverged.
    (dict(running=True, in_recovery=False, timeline=1), 'rewind', 'rewind', 'still runs as a primary'),
    (dict(running=True, in_recovery=False, timeline=1), 'never', 'refuse', 'still runs as a primary'),
    # A former primary on the same timeline whose WAL is not a prefix (standby.signal lost, or a copy).
    (dict(control=control(timeline=2, checkpoint='0/8000000')), 'rewind', 'rewind', 'not a prefix'),
    (dict(control=control(timeline=2, checkpoint='0/6000000')), 'rewind', 'attach', 'can follow'),
])
def test_plan_standby(case, divergence, action, reason_part):
    decision = r.plan_standby(facts(**case), divergence)
    assert decision['action'] == action, decision
    assert reason_part in decision['reason']


def test_plan_standby_rejects_unknown_divergence():
    with pytest.raises(ValueError, match='divergence'):
        r.plan_standby(facts(), 'force')


def test_plan_standby_does_not_modify_facts():
    given = facts(**STREAMING)
    before = copy.deepcopy(given)
    r.plan_standby(given, 'rewind')
    assert given == before


@pytest.mark.parametrize('state, action', [
    ({'running': False, 'in_recovery': None}, 'refuse'),
    ({'running': True, 'in_recovery': False}, 'none'),
    ({'running': True, 'in_recovery': True}, 'promote'),
])
def test_plan_promote(state, action):
    assert r.plan_promote(state)['action'] == action


@pytest.mark.parametrize('text, value', [
    ('0/0', 0),
    ('0/3000060', 0x3000060),
    ('16/B374D848', (0x16 << 32) + 0xB374D848),
    ('', None),
    (None, None),
])
def test_parse_lsn(text, value):
    assert r.parse_lsn(text) == value
    if value is not None:
        assert r.format_lsn(value) == text


@pytest.mark.parametrize('text', ['0-3', '0/', 'G/1', '123456789/0'])
def test_parse_lsn_rejects(text):
    with pytest.raises(ValueError):
        r.parse_lsn(text)


def test_parse_controldata():
    parsed = r.parse_controldata(CONTROLDATA)
    assert parsed['system_identifier'] == SYSID
    assert parsed['state'] == 'shut down'
    assert parsed['timeline'] == 1
    assert parsed['checkpoint_lsn'] == 0x5000028
    assert parsed['min_recovery_end_lsn'] == 0


def test_parse_controldata_rejects_partial_output():
    with pytest.raises(ValueError, match='TimeLineID'):
        r.parse_controldata('Database system identifier: 1\nDatabase cluster state: shut down\nLatest checkpoint location: 0/1\n')


@pytest.mark.parametrize('line, expected', [
    ('7440001234567890123|2|0/7000000|', {'system_identifier': SYSID, 'timeline': 2, 'lsn': 0x7000000}),
    ('7440001234567890123|1|0/0', {'system_identifier': SYSID, 'timeline': 1, 'lsn': 0}),
])
def test_parse_identify_system(line, expected):
    assert r.parse_identify_system(line) == expected


@pytest.mark.parametrize('line', ['', 'abc|1|0/0', '1|x|0/0', '1|2'])
def test_parse_identify_system_rejects(line):
    with pytest.raises(ValueError):
        r.parse_identify_system(line)


@pytest.mark.parametrize('content, expected', [
    ('1\t0/6000000\tno recovery target specified\n', {1: 0x6000000}),
    ('1\t0/6000000\tno recovery target specified\n\n2\t0/9000A0\tbefore 2026\n', {1: 0x6000000, 2: 0x9000A0}),
    ('\\x' + '1\t0/6000000\tno recovery target specified\n'.encode().hex(), {1: 0x6000000}),
    ('# comment\n', {}),
])
def test_timeline_history(content, expected):
    assert r.parse_timeline_history(r.decode_history(content)) == expected


def test_timeline_history_rejects_garbage():
    with pytest.raises(ValueError):
        r.parse_timeline_history('one two three')


@pytest.mark.parametrize('params, text', [
    ({'host': 'db1', 'port': 5432}, "host='db1' port='5432'"),
    ({'host': '10.0.0.1', 'sslrootcert': "/etc/it's here"}, "host='10.0.0.1' sslrootcert='/etc/it\\'s here'"),
    ({'host': 'db1', 'passfile': '', 'user': None}, "host='db1'"),
    ({'application_name': 'a b\\c'}, "application_name='a b\\\\c'"),
])
def test_conninfo_round_trip(params, text):
    assert r.build_conninfo(params) == text
    assert r.parse_conninfo(text) == dict((k, str(v)) for k, v in params.items() if v not in (None, ''))


@pytest.mark.parametrize('params', [{'host name': 'x'}, {'host=': 'x'}, {'Host': 'x'}])
def test_build_conninfo_rejects_bad_keywords(params):
    with pytest.raises(ValueError, match='libpq keyword'):
        r.build_conninfo(params)


@pytest.mark.parametrize('text, parsed', [
    ('host=db1 port=5432', {'host': 'db1', 'port': '5432'}),
    ("host = 'db 1'", {'host': 'db 1'}),
])
def test_parse_conninfo_unquoted(text, parsed):
    assert r.parse_conninfo(text) == parsed


@pytest.mark.parametrize('text', ["host='db1", 'host'])
def test_parse_conninfo_rejects(text):
    with pytest.raises(ValueError):
        r.parse_conninfo(text)


DESIRED = {'primary_host': '10.0.0.11', 'primary_port': 5432, 'replication_user': 'replicator',
           'passfile': '/var/lib/postgresql/.groundwork-replication.pgpass', 'slot_name': 'db2',
           'application_name': 'db2', 'ssl_mode': 'verify-full', 'ca_cert': '/etc/postgresql/groundwork-tls/root.crt'}


def test_standby_conf_has_no_password_and_quotes_the_conninfo():
    conf = r.render_standby_conf(DESIRED)
    assert 'password' not in conf.replace('passfile', '')
    line = [li for li in conf.splitlines() if li.startswith('primary_conninfo')][0]
    # The conninfo's single quotes are doubled inside the setting's quotes.
    inner = line.split(' = ', 1)[1][1:-1].replace("''", "'")
    parsed = r.parse_conninfo(inner)
    assert parsed['host'] == '10.0.0.11' and parsed['sslmode'] == 'verify-full'
    assert parsed['passfile'] == DESIRED['passfile']
    assert "primary_slot_name = 'db2'" in conf
    assert "recovery_target_timeline = 'latest'" in conf


def test_standby_conf_without_slot():
    assert 'primary_slot_name' not in r.render_standby_conf(dict(DESIRED, slot_name=''))


def test_rewind_conninfo_names_a_database():
    assert r.parse_conninfo(r.standby_conninfo(DESIRED, replication=False))['dbname'] == 'postgres'
    assert 'dbname' not in r.parse_conninfo(r.standby_conninfo(DESIRED))


@pytest.mark.parametrize('restore_command, extra', [
    ('', []),
    ('   ', []),
    (None, []),
    ('pgbackrest --stanza=main archive-get %f "%p"', ['--restore-target-wal']),
])
def test_rewind_argv_fetches_missing_wal_only_with_a_restore_command(restore_command, extra):
    argv = r.rewind_argv('/usr/lib/postgresql/17/bin/pg_rewind', '/var/lib/postgresql/17/main', "host=db1 dbname=postgres",
                         '/etc/postgresql/17/main/postgresql.conf', restore_command)
    assert argv == ['/usr/lib/postgresql/17/bin/pg_rewind', '--target-pgdata=/var/lib/postgresql/17/main',
                    '--source-server=host=db1 dbname=postgres',
                    '--config-file=/etc/postgresql/17/main/postgresql.conf'] + extra


@pytest.mark.parametrize('host, slot', [
    ('gw-mol-repl-db2', 'gw_mol_repl_db2'),
    ('DB2.example.com', 'db2_example_com'),
    ('x' * 80, 'x' * 63),
])
def test_slot_name_for(host, slot):
    assert r.slot_name_for(host) == slot


def test_summarize_primary():
    status = {'in_recovery': False, 'timeline': 1, 'system_identifier': SYSID, 'current_lsn': '0/3000100'}
    replicas = [{'application_name': 'db2', 'client_addr': '10.0.0.12', 'state': 'streaming', 'sync_state': 'quorum',
                 'sent_lsn': '0/3000100', 'flush_lsn': '0/3000100', 'replay_lsn': '0/3000000', 'replay_lag_seconds': 0.001}]
    slots = [{'slot_name': 'db2', 'active': True, 'restart_lsn': '0/2000000', 'wal_status': 'reserved'}]
    out = r.summarize_replication(status, replicas, slots, None)
    assert out['role'] == 'primary' and out['upstream'] is None
    assert out['replicas'][0]['lag_bytes'] == 0x100
    assert out['slots'][0]['retained_bytes'] == 0x1000100


def test_summarize_standby():
    status = {'in_recovery': True, 'timeline': 2, 'system_identifier': SYSID, 'current_lsn': None,
              'receive_lsn': '0/3000100', 'replay_lsn': '0/3000100', 'replay_age_seconds': 3.5}
    receiver = {'status': 'streaming', 'sender_host': '10.0.0.11', 'sender_port': 5432, 'slot_name': 'db2'}
    out = r.summarize_replication(status, [], [], receiver)
    assert out['role'] == 'standby'
    assert out['upstream']['host'] == '10.0.0.11' and out['upstream']['lag_bytes'] == 0
    assert r.summarize_replication(status, [], [], None)['upstream']['status'] == 'not connected'


def scan_conf_string(literal):
    """postgresql.conf's STRING token read back as guc-file.l does (GUC_scanstr), to check quote_setting
    against; the Molecule postgresql verifier checks the same values against a real server."""
    assert literal[0] == "'" and literal[-1] == "'" and '\n' not in literal
    body, out, i = literal[1:-1], [], 0
    escapes = {'b': '\b', 'f': '\f', 'n': '\n', 'r': '\r', 't': '\t'}
    while i < len(body):
        c = body[i]
        if c == '\\':
            nxt = body[i + 1]
            if nxt in escapes:
                out.append(escapes[nxt])
                i += 2
            elif nxt in '01234567':
                j = i + 1
                while j < len(body) and j < i + 4 and body[j] in '01234567':
                    j += 1
                out.append(chr(int(body[i + 1:j], 8)))
                i = j
            else:
                out.append(nxt)
                i += 2
        elif c == "'":
            assert body[i + 1] == "'", 'a lone quote ends the string early: %r' % literal
            out.append("'")
            i += 2
        else:
            out.append(c)
            i += 1
    return ''.join(out)


NASTY = ["plain", "it's", "back\\slash", "\\'", "ends with \\", "''", "\\\\n", "tab\there", "two\nlines",
         "/var/lib/o'brien/.pgpass", "host='a' passfile='/x\\'y'", "\\101 octal-looking"]


@pytest.mark.parametrize('value', NASTY)
def test_quote_setting_reads_back_as_the_value(value):
    assert scan_conf_string(r.quote_setting(value)) == value


def test_standby_conf_survives_a_quote_and_a_backslash_in_the_passfile():
    desired = dict(DESIRED, passfile="/srv/o'brien\\pg/.pgpass", application_name="db'2")
    line = [li for li in r.render_standby_conf(desired).splitlines() if li.startswith('primary_conninfo')][0]
    parsed = r.parse_conninfo(scan_conf_string(line.split(' = ', 1)[1]))
    assert parsed['passfile'] == desired['passfile'] and parsed['application_name'] == "db'2"
