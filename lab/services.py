# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What site.yml runs on each lab host: `ansible-inventory --list` on stdin, one line per host.

The services follow the groups the way playbooks/site.yml applies the roles, and their ports come from
the inventory's variables or, where it sets none, from the roles' own defaults (roles/*/defaults/main.yml),
so the list shows what the roles will actually start. Used by `lab/lab.sh info`.
"""

import json
import os
import sys

import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..'))


def role_defaults():
    out = {}
    for role in os.listdir(os.path.join(ROOT, 'roles')):
        path = os.path.join(ROOT, 'roles', role, 'defaults', 'main.yml')
        if os.path.exists(path):
            with open(path, encoding='utf-8') as handle:
                out.update(yaml.safe_load(handle) or {})
    return out


def truthy(value):
    return str(value).lower() in ('true', 'yes', 'on', '1')


def services(hostvars, groups, defaults, has_backup_host):
    def var(name):
        value = hostvars.get(name, defaults.get(name))
        return value if not (isinstance(value, str) and '{{' in value) else defaults.get(name)

    monitoring = truthy(hostvars.get('groundwork_monitoring', True))
    exporters = var('monitoring_exporters') or []
    out = ['sshd:%s' % var('base_sshd_port'), 'ufw', 'fail2ban']

    def exporter(kind):
        if monitoring and kind in exporters:
            out.append('%s-exporter:%s' % (kind, var('monitoring_%s_exporter_port' % kind)))

    exporter('node')
    patroni = hostvars.get('postgresql_ha_mode', defaults.get('postgresql_ha_mode')) == 'patroni'
    if patroni and 'dcs' in groups:
        out.append('etcd:%s,%s' % (var('etcd_client_port'), var('etcd_peer_port')))
    if 'postgres' in groups:
        if patroni:
            out.append('patroni:%s' % var('patroni_restapi_port'))
        out.append('postgresql:%s' % var('postgresql_port'))
        exporter('postgres')
    if patroni and 'haproxy' in groups:
        out.append('haproxy:%s(leader),%s(replicas)' % (var('haproxy_rw_port'), var('haproxy_ro_port')))
    if truthy(hostvars.get('groundwork_backups', True)):
        if 'backup' in groups:
            out.append('pgbackrest (repository, backup timers)')
        elif 'postgres' in groups:
            out.append('pgbackrest (WAL archive%s)' % ('' if has_backup_host else ', local repository, backup timers'))
    if 'pgbouncer' in groups:
        out.append('pgbouncer:%s' % var('pgbouncer_port'))
        exporter('pgbouncer')
    if 'redis' in groups:
        if truthy(var('redis_server_enabled')):
            ports = [] if truthy(var('redis_tls_only')) else [str(var('redis_port'))]
            if truthy(var('redis_tls')):
                ports.append('%s/tls' % var('redis_tls_port'))
            out.append('redis:%s' % ','.join(ports))
        if truthy(var('redis_sentinel')):
            out.append('sentinel:%s' % var('redis_sentinel_port'))
        exporter('redis')
    if 'app' in groups:
        for service in var('uvicorn_service_services') or []:
            port = service.get('port')
            out.append('%s%s' % (service.get('name', '?'), ':%s' % port if port else ' (worker)'))
    if 'web' in groups:
        out.append('nginx:80,443')
        exporter('nginx')
    return out


def main():
    inventory = json.load(sys.stdin)
    defaults = role_defaults()
    groups = {}
    for group, data in inventory.items():
        if group in ('_meta', 'all', 'ungrouped') or not isinstance(data, dict):
            continue
        for host in data.get('hosts', []):
            groups.setdefault(host, set()).add(group)
    # Parent groups (postgres holds postgres_primary and postgres_replica).
    for group, data in inventory.items():
        if isinstance(data, dict):
            for child in data.get('children', []):
                for mine in groups.values():
                    if child in mine:
                        mine.add(group)
    has_backup_host = bool(inventory.get('backup', {}).get('hosts'))
    for name, hostvars in sorted(inventory['_meta']['hostvars'].items()):
        if 'lab_ip' not in hostvars:
            continue
        mine = groups.get(name, set())
        shown = sorted(g for g in mine if g not in ('all', 'ungrouped'))
        print('  %-12s %-14s %s' % (name, hostvars['lab_ip'], ','.join(shown)))
        print('  %-12s %-14s %s' % ('', '', ' '.join(services(hostvars, mine, defaults, has_backup_host))))


if __name__ == '__main__':
    main()
