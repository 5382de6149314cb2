# -*- coding: utf-8 -*-
# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/preflight.yml offline (no host contacted) on the all-in-one lab inventory.

Run by tests/inventories.sh (a stage of tests/run-all.sh), after every shipped inventory (this one
included) has passed the preflight: bad input of every kind is caught, each
problem on its own line naming the variable and the rule, all of them in one run; and every numeric
or boolean input of every role given as a command-line string (-e key=value) is accepted.
"""

from __future__ import annotations

import json
import os
import re
import subprocess

import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
PREFLIGHT = os.path.join(ROOT, 'playbooks', 'preflight.yml')
LAB = os.path.join(ROOT, 'inventories', 'lab')
LAB_HA = os.path.join(ROOT, 'inventories', 'lab-ha')
HOST = 'gw-aio'


def preflight(*extra, inventory=LAB):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, '.collections'), ANSIBLE_NOCOLOR='1',
               ANSIBLE_FORCE_COLOR='0', ANSIBLE_CALLBACK_RESULT_FORMAT='yaml')
    argv = ['ansible-playbook', '-i', inventory, PREFLIGHT, '-e', 'preflight_offline=true']
    for item in extra:
        argv += ['-e', item if isinstance(item, str) else json.dumps(item)]
    proc = subprocess.run(argv, capture_output=True, text=True, cwd=ROOT, timeout=300, check=False, env=env)
    return proc.returncode, proc.stdout + proc.stderr


def problems(output, host=HOST):
    """The preflight's report: the lines of the final failed task's msg (YAML result format)."""
    # The host's block ends at a blank line or at the next host's result.
    match = re.search(r'fatal: \[%s\]: FAILED! => *\n(.*?)\n(?:\n|fatal: |skipping: |ok: )' % host,
                      output.split('Report every problem')[-1], re.S)
    assert match, output[-3000:]
    return yaml.safe_load(match.group(1))['msg']


# Each bad input is on a different variable: all are given at once and each must have its own line.
BAD = {
    # a missing secret
    'redis_admin_password': '',
    # an unknown upstream
    'nginx_sites': [{'name': 'lab', 'server_names': ['lab.groundwork.test'],
                     'locations': [{'path': '/', 'upstream': 'nosuchupstream'}]}],
    # an unknown group
    'nginx_upstreams': [{'name': 'app', 'servers': ['127.0.0.1:8000']},
                        {'name': 'pool', 'group': 'nosuchgroup', 'port': 8000}],
    # a malformed CIDR (host bits set)
    'ufw_admin_cidrs': ['10.213.0.5/24'],
    # a wrong choice
    'redis_maxmemory_policy': 'sometimes',
    # a bad size
    'postgresql_memory_budget': 'lots',
}
EXPECTED = [
    r'^redis: redis_admin_password',
    r"^nginx: nginx_sites\[lab\]: a location's upstream is one of nginx_upstreams .*nosuchupstream",
    r'^nginx: nginx_upstreams\[pool\]: .*group.*inventory',
    r'^ufw: .*ufw_admin_cidrs.*10\.213\.0\.5/24',
    r'^redis: .*redis_maxmemory_policy.*sometimes',
    r'^postgresql: .*postgresql_memory_budget',
    # a wrong type, from the command line
    r'^postgresql: .*postgresql_max_connections.*abc',
]


def test_every_bad_input_is_reported_on_its_own_line_in_one_run():
    rc, output = preflight(BAD, 'postgresql_max_connections=abc')
    assert rc != 0
    lines = problems(output)
    for pattern in EXPECTED:
        found = [line for line in lines if re.search(pattern, line)]
        assert len(found) == 1, (pattern, lines)
    # One line names one variable: no line lists another broken variable too.
    names = list(BAD) + ['postgresql_max_connections']
    for line in lines:
        assert sum(name in line for name in names) <= 1 or 'nginx_upstreams' in line, line
    assert re.search(r'%s\s*: ok=\d+\s+changed=0' % HOST, output)


def _command_line_inputs():
    """Every int, float and bool option of every role, as key=value strings of its default (or a fitting value)."""
    out = []
    for role in sorted(os.listdir(os.path.join(ROOT, 'roles'))):
        with open(os.path.join(ROOT, 'roles', role, 'meta', 'argument_specs.yml'), encoding='utf-8') as handle:
            options = yaml.safe_load(handle)['argument_specs']['main']['options']
        for name, spec in sorted(options.items()):
            kind, default = spec.get('type'), spec.get('default')
            if kind not in ('int', 'float', 'bool') or name == 'preflight_offline':
                continue
            if isinstance(default, str) and '{{' in default:
                continue  # derived from another variable: given as such, it is not a user value
            if kind == 'bool':
                value = 'true' if default in (None, True) else 'false'
            elif default is None:
                value = '1'
            else:
                value = str(default)
            out.append('%s=%s' % (name, value))
    return out


def test_numbers_and_booleans_from_the_command_line_are_accepted():
    inputs = _command_line_inputs()
    assert len(inputs) > 40, inputs
    rc, output = preflight(*inputs)
    assert rc == 0, output[-4000:]


def test_a_local_repository_with_replicas_is_refused():
    """A local pgBackRest repository lives on the primary's disk: with a replica, a failover would leave the
    backups (and the stanza the new primary archives into) behind on the old primary. So the pgbackrest role
    refuses it, and the preflight reports it before any host changes (issue 20 asked whether the role's use of
    the static postgres_primary group is a bug after a failover: in local mode there is no failover, by this
    rule; in SSH mode the repository host takes the backups and pgBackRest finds the primary itself)."""
    rc, output = preflight('pgbackrest_repo=local', inventory=LAB_HA)
    assert rc != 0
    lines = problems(output, host='gw-db1')
    rule = (r'^pgbackrest: backup: without a backup host \(a local repository\) '
            r'there is one database host only .*have 2\)')
    found = [line for line in lines if re.search(rule, line)]
    assert len(found) == 1, lines
    assert not re.search(r'changed=[1-9]', output)


def test_a_memory_plan_over_the_ram_is_one_problem_naming_the_variables():
    """The all-in-one host runs PostgreSQL, Redis and the apps: each plans for its share of the RAM (40, 15, 30 %)
    unless its variable says otherwise, and the parts may not add up to more than the host has. The RAM is a
    fact: offline, the test passes it as one (a host with 4 GB)."""
    four_gb = {'ansible_facts': {'memtotal_mb': 4096}}
    rc, output = preflight(dict(four_gb, postgresql_memory_budget='3GB'))
    assert rc != 0
    assert problems(output) == [
        'base: memory: postgresql 3072 MB (postgresql_memory_budget), redis 614 MB (groundwork_memory_shares: 15 %), '
        'apps 1228 MB (groundwork_memory_shares: 30 %) add up to 4915 MB, more than the host\'s 4096 MB: lower one '
        'of them (postgresql_memory_budget, redis_maxmemory, uvicorn_service_memory_budget_mb), or '
        'groundwork_memory_shares for the planned ones']
    # The inventory's own budget (2GB) fits 4 GB with the planned shares; shares that do not are refused too.
    assert preflight(four_gb)[0] == 0
    rc, output = preflight(dict(four_gb, groundwork_memory_shares={'redis': 30, 'apps': 30}))
    assert rc != 0 and len(problems(output)) == 1 and 'add up to 4505 MB' in problems(output)[0], output[-3000:]
    # Malformed shares: one line naming the variable.
    rc, output = preflight(dict(four_gb, groundwork_memory_shares={'redis': 0, 'web': 5}))
    assert rc != 0
    assert problems(output) == ['base: groundwork_memory_shares: percent of the RAM for postgresql, redis and apps '
                                '(those keys only), each a whole number 1-100 (got {"redis": 0, "web": 5})']


LAB_PATRONI = os.path.join(ROOT, 'inventories', 'lab-patroni')


def test_the_patroni_mode_inputs_are_checked_each_on_its_own_line():
    """postgresql_ha_mode: patroni adds the etcd, patroni and haproxy roles' checks to their hosts, and the
    mode's own rules: an odd number of etcd members, the secrets; pgBackRest's repository on a backup host once
    there is more than one member, as in the streaming mode."""
    rc, output = preflight({'patroni_dcs_group': 'postgres_replica', 'patroni_restapi_password': '',
                            'patroni_profile': 'slow', 'groundwork_backups': True, 'etcd_peer_port': 'x'},
                           inventory=LAB_PATRONI)
    assert rc != 0
    lines = problems(output, host='gw-pg1')
    for rule in (r'^postgresql: postgresql_ha_mode: patroni needs an inventory group dcs .*odd number',
                 r'^patroni: patroni_dcs_group: an inventory group with an odd number of hosts',
                 r'^patroni: patroni_restapi_password: required',
                 r'^patroni: value of patroni_profile must be one of',
                 r'^pgbackrest: backup: without a backup host \(a local repository\) there is one database host only'
                 r'.*have 3\)',
                 r'^etcd: etcd_peer_port: a port number'):
        found = [line for line in lines if re.search(rule, line)]
        assert len(found) == 1, (rule, lines)
    # The app host: HAProxy's input is checked there (and PgBouncer's route follows the mode).
    rc, output = preflight({'haproxy_rw_port': 'abc'}, inventory=LAB_PATRONI)
    assert rc != 0
    assert [line for line in problems(output, host='gw-pgapp1') if line.startswith('haproxy: haproxy_rw_port')]


def test_the_restore_request_is_checked_on_the_controller_before_any_host_is_contacted():
    """restore.yml's first play runs on the controller (the implicit localhost, which has none of the lab
    hosts' connection variables: their defaults must hold for it too). A bad request stops there, in either
    mode, before any host is contacted, so the lab's hosts need not even exist."""
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, '.collections'), ANSIBLE_NOCOLOR='1',
               ANSIBLE_FORCE_COLOR='0')
    for inventory in (LAB, LAB_PATRONI):
        proc = subprocess.run(['ansible-playbook', '-i', inventory, os.path.join(ROOT, 'playbooks', 'restore.yml'),
                               '-e', 'restore_host=nosuchhost'],
                              capture_output=True, text=True, cwd=ROOT, timeout=300, check=False, env=env)
        output = proc.stdout + proc.stderr
        assert proc.returncode != 0, output[-3000:]
        assert "restore_host must name one host of the inventory (got 'nosuchhost')" in ' '.join(output.split()), \
            output[-3000:]
        assert 'UNREACHABLE' not in output and 'is undefined' not in output, output[-3000:]
