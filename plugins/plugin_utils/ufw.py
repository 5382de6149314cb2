# -*- coding: utf-8 -*-
# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure helpers of the ufw role: the rule set an inventory asks for, the rule
set ufw has (parsed from its ``### tuple ###`` lines), and what to remove.

A rule is a dict with the keys of ``RULE_KEYS``; ``any`` stands for "no
restriction" in every field, so that IPv4 and IPv6 copies of one rule
(``0.0.0.0/0`` and ``::/0``) are the same rule.
"""

from __future__ import annotations

import ipaddress
import re

ACTIONS = ('allow', 'limit', 'deny', 'reject')
PROTOS = ('any', 'tcp', 'udp')
# Fields that identify a rule (the comment does not).
RULE_KEYS = ('rule', 'proto', 'to_port', 'to_ip', 'from_port', 'from_ip', 'direction', 'interface', 'route', 'log', 'app')
_PORT_RE = re.compile(r'^[0-9]{1,5}(:[0-9]{1,5})?(,[0-9]{1,5}(:[0-9]{1,5})?)*$')
_COMMENT_RE = re.compile(r'^[A-Za-z0-9 _.,:/@+=()-]{0,100}$')
_ANY_NETS = ('0.0.0.0/0', '::/0', 'any')


class UfwRuleError(ValueError):
    """Raised for input that cannot become a ufw rule; the message names the variable."""


def normalize_address(value, where):
    """'any', or an address/network in ufw's own spelling (no /32 or /128 suffix)."""
    if value is None or value in _ANY_NETS:
        return 'any'
    if not isinstance(value, str):
        raise UfwRuleError('%s: %r is not an address or network' % (where, value))
    try:
        net = ipaddress.ip_network(value, strict=True)
    except ValueError:
        raise UfwRuleError('%s: %r is not an address or a network with zero host bits' % (where, value))
    if net.prefixlen == net.max_prefixlen:
        return str(net.network_address)
    if net.prefixlen == 0:
        return 'any'
    return str(net)


def normalize_port(value, where):
    """A port, range (a:b) or list (a,b) as a string, or 'any'."""
    if value is None or value == 'any':
        return 'any'
    if isinstance(value, bool):
        raise UfwRuleError('%s: %r is not a port' % (where, value))
    text = str(value)
    if not _PORT_RE.match(text):
        raise UfwRuleError('%s: %r is not a port, a range like 6000:6007 or a list like 80,443' % (where, value))
    for part in re.split('[,:]', text):
        if not 1 <= int(part) <= 65535:
            raise UfwRuleError('%s: port %s is out of range 1-65535' % (where, part))
    return text


def make_rule(rule='allow', proto='any', to_port='any', from_ip='any', to_ip='any', comment='', where='rule',
              from_port='any', direction='in', interface=''):
    """A normalized rule dict; raises UfwRuleError naming ``where``."""
    if rule not in ACTIONS:
        raise UfwRuleError('%s: rule %r is not one of %s' % (where, rule, ', '.join(ACTIONS)))
    proto = proto or 'any'
    if proto not in PROTOS:
        raise UfwRuleError('%s: proto %r is not one of %s' % (where, proto, ', '.join(PROTOS)))
    to_port = normalize_port(to_port, where)
    from_port = normalize_port(from_port, where)
    if proto == 'any' and (',' in to_port + from_port or ':' in to_port + from_port):
        raise UfwRuleError('%s: a port range or list needs proto tcp or udp' % where)
    if direction not in ('in', 'out'):
        raise UfwRuleError('%s: direction %r is not in or out' % (where, direction))
    comment = comment or ''
    if not isinstance(comment, str) or not _COMMENT_RE.match(comment):
        raise UfwRuleError('%s: comment %r may only hold letters, digits, spaces and _.,:/@+=()- (at most 100)' % (where, comment))
    return {
        'rule': rule, 'proto': proto, 'to_port': to_port, 'to_ip': normalize_address(to_ip, where),
        'from_port': from_port, 'from_ip': normalize_address(from_ip, where), 'direction': direction,
        'interface': interface or '', 'route': False, 'log': '', 'app': '', 'comment': comment,
    }


def rule_key(rule):
    """The identity of a rule: every field but the comment."""
    return tuple(rule[k] for k in RULE_KEYS)


def _dedupe(rules):
    """Rules without repeats, in order; the IP families of repeats are merged."""
    seen = {}
    out = []
    for rule in rules:
        key = rule_key(rule)
        if key not in seen:
            seen[key] = rule
            out.append(rule)
        elif 'families' in rule:
            seen[key]['families'] = sorted(set(seen[key]['families']) | set(rule['families']))
    return out


def _as_list(value, where):
    if value is None:
        return []
    if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
        raise UfwRuleError('%s: %r is not a list' % (where, value))
    return list(value)


def desired_rules(spec):
    """The rules a host needs, in order, without duplicates.

    ``spec`` keys: ``inventory_hostname``, ``group_names`` (the host's groups),
    ``groups`` (group -> hosts), ``addresses`` (host -> list of addresses),
    ``group_rules``, ``extra_rules``, ``admin_cidrs``, ``monitoring_cidrs``,
    ``ssh_port``, ``ssh_public`` and ``ssh_rate_limit``.
    """
    me = spec.get('inventory_hostname')
    my_groups = set(spec.get('group_names') or []) | {'all'}
    groups = spec.get('groups') or {}
    addresses = spec.get('addresses') or {}
    rules = []

    ssh_port = normalize_port(spec.get('ssh_port', 22), 'ufw ssh port')
    ssh_action = 'limit' if spec.get('ssh_rate_limit', True) else 'allow'
    for cidr in _as_list(spec.get('admin_cidrs'), 'ufw_admin_cidrs'):
        rules.append(make_rule(ssh_action, 'tcp', ssh_port, from_ip=cidr, comment='ssh from admins', where='ufw_admin_cidrs'))
    if spec.get('ssh_public'):
        rules.append(make_rule(ssh_action, 'tcp', ssh_port, comment='ssh', where='ufw_ssh_public'))

    for index, entry in enumerate(_as_list(spec.get('group_rules'), 'ufw_group_rules')):
        where = 'ufw_group_rules[%d]' % index
        if not isinstance(entry, dict) or not entry.get('name'):
            raise UfwRuleError('%s: every entry needs a name' % where)
        where = 'ufw_group_rules %s' % entry['name']
        unknown = set(entry) - {'name', 'groups', 'port', 'proto', 'from_groups', 'from_cidrs', 'from_monitoring', 'rule'}
        if unknown:
            raise UfwRuleError('%s: unknown keys %s' % (where, ', '.join(sorted(unknown))))
        if not set(_as_list(entry.get('groups'), where + ' groups')) & my_groups:
            continue
        action = entry.get('rule', 'allow')
        proto = entry.get('proto', 'tcp')
        port = entry.get('port')
        if port in (None, '', 'any'):
            raise UfwRuleError('%s: a port is required' % where)
        make_rule(action, proto, port, where=where)  # validates even when no source matches
        comment = entry['name']
        for group in _as_list(entry.get('from_groups'), where + ' from_groups'):
            for host in groups.get(group) or []:
                if host == me:
                    continue
                host_addresses = addresses.get(host) or []
                if not host_addresses:
                    raise UfwRuleError(
                        '%s: host %s (group %s) has no address; gather its facts, set its ansible_host to an IP '
                        'address or set ufw_host_addresses for it' % (where, host, group))
                for address in host_addresses:
                    rules.append(make_rule(action, proto, port, from_ip=address, comment='%s from %s' % (comment, host),
                                           where='%s (address of %s)' % (where, host)))
        for cidr in _as_list(entry.get('from_cidrs'), where + ' from_cidrs'):
            rules.append(make_rule(action, proto, port, from_ip=cidr, comment=comment, where=where))
        if entry.get('from_monitoring'):
            for cidr in _as_list(spec.get('monitoring_cidrs'), 'ufw_monitoring_cidrs'):
                rules.append(make_rule(action, proto, port, from_ip=cidr, comment='%s from monitoring' % comment,
                                       where='ufw_monitoring_cidrs'))

    for index, entry in enumerate(_as_list(spec.get('extra_rules'), 'ufw_extra_rules')):
        where = 'ufw_extra_rules[%d]' % index
        if not isinstance(entry, dict):
            raise UfwRuleError('%s: %r is not a mapping' % (where, entry))
        unknown = set(entry) - {'rule', 'proto', 'port', 'from', 'to', 'from_port', 'direction', 'interface', 'comment'}
        if unknown:
            raise UfwRuleError('%s: unknown keys %s' % (where, ', '.join(sorted(unknown))))
        rules.append(make_rule(entry.get('rule', 'allow'), entry.get('proto', 'any'), entry.get('port', 'any'),
                               from_ip=entry.get('from', 'any'), to_ip=entry.get('to', 'any'),
                               comment=entry.get('comment', 'extra'), where=where, from_port=entry.get('from_port', 'any'),
                               direction=entry.get('direction', 'in'), interface=entry.get('interface', '')))
    rules = _dedupe(rules)
    for rule in rules:
        rule['args'] = module_args(rule)
    return rules


def parse_tuples(text):
    """The rules of ufw's user.rules/user6.rules ``### tuple ###`` lines (both files' text may be joined)."""
    rules = []
    for line in (text or '').splitlines():
        line = line.strip()
        if not line.startswith('### tuple ###'):
            continue
        fields = line[len('### tuple ###'):].split()
        comment = ''
        if fields and fields[-1].startswith('comment='):
            try:
                comment = bytes.fromhex(fields.pop()[len('comment='):]).decode('utf-8', 'replace')
            except ValueError:
                comment = ''
        if len(fields) not in (7, 9):
            raise UfwRuleError('ufw rules: cannot read the tuple line %r' % line)
        action, proto, dport, dst, sport, src = fields[:6]
        dapp, sapp = (fields[6], fields[7]) if len(fields) == 9 else ('-', '-')
        direction = fields[-1]
        route = action.startswith('route:')
        action = action.split(':', 1)[-1]
        log = ''
        if '_' in action:
            action, log = action.split('_', 1)
        interface = ''
        if '_' in direction:
            direction, interface = direction.split('_', 1)
        rules.append({
            'rule': action, 'proto': proto, 'to_port': dport, 'to_ip': normalize_address(dst, 'ufw rules'),
            'from_port': sport, 'from_ip': normalize_address(src, 'ufw rules'), 'direction': direction,
            'interface': interface, 'route': route, 'log': log,
            'app': '' if dapp == '-' and sapp == '-' else dapp, 'comment': comment,
            'families': [6 if ':' in dst + src else 4],
        })
    return _dedupe(rules)


def stale_rules(current, desired, preserve_comment_prefixes=()):
    """Rules of ``current`` that ``desired`` does not hold, except those whose
    comment starts with one of ``preserve_comment_prefixes`` (runtime rules of
    other tools, e.g. fail2ban bans). Each carries ``args``: the
    community.general.ufw parameters that delete it."""
    wanted = set(rule_key(r) for r in desired)
    prefixes = tuple(preserve_comment_prefixes or ())
    out = []
    for rule in current:
        if rule_key(rule) in wanted or (prefixes and rule.get('comment', '').startswith(prefixes)):
            continue
        rule = dict(rule)
        rule['args'] = module_args(rule, delete=True)
        out.append(rule)
    return out


def plan(text, desired, preserve_comment_prefixes=(), purge=True, ipv6=True):
    """What to change: ``add`` (desired rules ufw does not have, in order) and
    ``delete`` (rules ufw has that are not desired, when ``purge``).

    With ``ipv6``, a rule for any address that ufw holds for IPv4 only (added
    while IPv6 was off) counts as missing: adding it again adds the IPv6 copy.
    """
    current = parse_tuples(text)
    have = set(rule_key(r) for r in current
               if not (ipv6 and r['from_ip'] == 'any' and r['to_ip'] == 'any' and r.get('families') == [4]))
    return {
        'add': [r for r in desired if rule_key(r) not in have],
        'delete': stale_rules(current, desired, preserve_comment_prefixes) if purge else [],
    }


def allows_ssh_from(rules, address, port=22):
    """True when ``rules`` let ``address`` open a TCP connection to ``port`` (allow or limit)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    port = str(port)
    for rule in rules:
        if rule['rule'] not in ('allow', 'limit') or rule['direction'] != 'in' or rule['proto'] not in ('tcp', 'any'):
            continue
        if rule['to_port'] != 'any' and port not in _expand_ports(rule['to_port']):
            continue
        if rule['from_ip'] == 'any' or ip in ipaddress.ip_network(rule['from_ip'], strict=False):
            return True
    return False


def _expand_ports(text):
    ports = set()
    for part in text.split(','):
        if ':' in part:
            low, high = part.split(':')
            ports.update(str(p) for p in range(int(low), int(high) + 1))
        else:
            ports.add(part)
    return ports


def module_args(rule, delete=False):
    """Parameters of community.general.ufw for a rule (to add it, or with delete=True to remove it)."""
    args = {'rule': rule['rule'], 'direction': rule['direction']}
    for key, param in (('proto', 'proto'), ('to_port', 'to_port'), ('to_ip', 'to_ip'),
                       ('from_port', 'from_port'), ('from_ip', 'from_ip')):
        if rule[key] != 'any':
            args[param] = rule[key]
    if rule['interface']:
        args['interface'] = rule['interface']
    if rule['route']:
        args['route'] = True
    if rule['log']:
        args['log'] = True
    if rule['app']:
        args['name'] = rule['app']
        args.pop('to_port', None)
        args.pop('proto', None)
    if delete:
        args['delete'] = True
    elif rule.get('comment'):
        args['comment'] = rule['comment']
    return args
