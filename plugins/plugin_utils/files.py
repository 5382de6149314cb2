# -*- coding: utf-8 -*-
# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure helpers of groundwork.stack.files: the items of a task, the one shell probe that reads their state
on the host, and the comparison that decides which items the module has to apply.

A converged host is the common case: every file already has its content, owner, group and mode. The
template, copy and file modules each start Python on the host to find that out, about 0.15 s per file on
a lab host (2026-12-07: a ``ping`` costs 0.165 s, a no-op template 0.4 s since it also runs the file
module). One ``stat``/``sha1sum`` command over the connection answers for every file of a task in about
50 ms, without Python; the module then runs only for the items that differ. Anything the probe cannot
decide exactly (a symbolic mode, an unreadable file, an unexpected answer) goes to the module.
"""

from __future__ import annotations

import hashlib
import re
import shlex

from ansible_collections.groundwork.stack.plugins.plugin_utils import lowlevel

STATES = ('file', 'directory', 'absent')
SOURCES = ('template', 'src', 'content')
ITEM_KEYS = frozenset(SOURCES + ('dest', 'state', 'owner', 'group', 'mode', 'validate', 'force', 'secret', 'vars', 'when'))
DEFAULT_KEYS = frozenset(('owner', 'group', 'mode', 'secret'))

_OCTAL = re.compile(r'^0?[0-7]{3,4}$')

# One shell function, then one call per item. Paths are quoted with shlex.quote and passed as arguments,
# never parsed. Output: "<index> <kind> [uid user gid group mode [sha1]]", no path in it.
PROBE_FUNCTION = (
    "gw_probe() { "
    "if [ -L \"$2\" ]; then echo \"$1 link\"; "
    "elif [ -d \"$2\" ]; then echo \"$1 directory $(stat -c '%u %U %g %G %a' -- \"$2\")\"; "
    "elif [ -f \"$2\" ]; then "
    "if [ \"$3\" = sum ]; then echo \"$1 file $(stat -c '%u %U %g %G %a' -- \"$2\") $(sha1sum < \"$2\" | cut -c1-40)\"; "
    "else echo \"$1 file $(stat -c '%u %U %g %G %a' -- \"$2\")\"; fi; "
    "elif [ -e \"$2\" ]; then echo \"$1 other\"; "
    "else echo \"$1 absent\"; fi; }"
)


class ItemError(ValueError):
    """An item of the task is malformed; the message names it."""


def mode_value(mode):
    """The numeric mode of ``mode`` as Ansible's file options read it (an int as is, an octal string
    such as "0640"), None when no mode is asked for, or False when only the module can interpret it
    (a symbolic mode such as "u=rw,g=r")."""
    if mode is None:
        return None
    if isinstance(mode, bool):
        return False
    if isinstance(mode, int):
        return mode
    text = str(mode).strip()
    if _OCTAL.match(text):
        return int(text, 8)
    return False


def normalize(items, defaults=None):
    """The task's items with the defaults applied and the state made explicit; raises ItemError naming the
    first malformed item (index and dest)."""
    defaults = defaults or {}
    unknown = set(defaults) - DEFAULT_KEYS
    if unknown:
        raise ItemError('unknown option(s) for every item: %s' % ', '.join(sorted(unknown)))
    if not isinstance(items, list):
        raise ItemError('files must be a list of items, got %s' % type(items).__name__)
    result = []
    seen = set()
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise ItemError('files[%d] must be a dictionary, got %s' % (index, type(item).__name__))
        where = 'files[%d] (%s)' % (index, item.get('dest', 'no dest'))
        unknown = set(item) - ITEM_KEYS
        if unknown:
            raise ItemError('%s: unknown key(s) %s' % (where, ', '.join(sorted(unknown))))
        if not item.get('dest') or not str(item['dest']).startswith('/'):
            raise ItemError('%s: dest must be an absolute path' % where)
        sources = [key for key in SOURCES if item.get(key) is not None]
        state = item.get('state') or ('file' if sources else None)
        if state not in STATES:
            raise ItemError('%s: state must be one of %s (or give template, src or content)' % (where, ', '.join(STATES)))
        if state == 'file' and len(sources) != 1:
            raise ItemError('%s: a file needs exactly one of template, src or content' % where)
        if state == 'directory' and sources:
            raise ItemError('%s: %s is for files only' % (where, sources[0]))
        if state != 'file' and (item.get('validate') or 'force' in item):
            raise ItemError('%s: validate and force are for files only' % where)
        if item.get('validate') and '%s' not in str(item['validate']):
            raise ItemError('%s: validate must contain %%s (the candidate file)' % where)
        if item.get('vars') is not None and 'template' not in item:
            raise ItemError('%s: vars are for templates only' % where)
        when = lowlevel.flag(item.get('when', True))
        if when is None:
            raise ItemError('%s: when must be a boolean, got %r' % (where, item.get('when')))
        if not when:
            continue
        if str(item['dest']) in seen:
            raise ItemError('%s: the same dest is listed twice' % where)
        seen.add(str(item['dest']))
        # The task's mode is a file mode: a directory takes its own (or keeps the one it has).
        merged = dict((key, value) for key, value in defaults.items() if state == 'file' or key != 'mode')
        merged.update((key, value) for key, value in item.items() if key != 'when')
        if state == 'absent':
            for key in SOURCES + ('vars',):
                merged.pop(key, None)
        merged['state'] = state
        merged['dest'] = str(item['dest'])
        merged.setdefault('force', True)
        merged.setdefault('secret', False)
        result.append(merged)
    return result


def checksum(data):
    """SHA-1 of the bytes ``data``, as sha1sum prints it (what the probe compares with)."""
    return hashlib.sha1(data).hexdigest()


def probe_command(items):
    """The shell command that reads the state of every item's dest (one line each)."""
    lines = [PROBE_FUNCTION]
    for index, item in enumerate(items):
        lines.append('gw_probe %d %s %s' % (index, shlex.quote(item['dest']),
                                            'sum' if item['state'] == 'file' else 'nosum'))
    return '\n'.join(lines)


def parse_probe(stdout, count):
    """The probe's answers: a list of ``count`` dicts (kind, uid, user, gid, group, mode, sha1), None for an
    item the output does not answer (it then goes to the module)."""
    states = [None] * count
    for line in (stdout or '').splitlines():
        fields = line.split()
        if len(fields) < 2 or not fields[0].isdigit() or int(fields[0]) >= count:
            continue
        index, kind = int(fields[0]), fields[1]
        state = {'kind': kind}
        if kind in ('file', 'directory'):
            if len(fields) < 7 or not fields[2].isdigit() or not fields[4].isdigit() or not re.match(r'^[0-7]+$', fields[6]):
                continue
            state.update(uid=int(fields[2]), user=fields[3], gid=int(fields[4]), group=fields[5], mode=int(fields[6], 8))
            if kind == 'file' and len(fields) >= 8 and re.match(r'^[0-9a-f]{40}$', fields[7]):
                state['sha1'] = fields[7]
        elif kind not in ('link', 'other', 'absent'):
            continue
        states[index] = state
    return states


def _same_owner(wanted, number, name):
    if wanted is None:
        return True
    wanted = str(wanted)
    if wanted.isdigit():
        return int(wanted) == number
    return wanted == name


def difference(item, state, desired_sha1=None):
    """Why ``item`` is not yet as asked on the host whose probe answered ``state``, or None when it is.
    ``desired_sha1`` is the checksum of a file's content. Every uncertain case gives a reason."""
    if state is None:
        return 'not probed'
    kind = state['kind']
    wanted = item['state']
    if wanted == 'absent':
        return None if kind == 'absent' else 'present'
    if wanted == 'directory':
        if kind != 'directory':
            return 'not a directory (%s)' % kind
    else:
        if kind == 'absent':
            return 'missing'
        if kind != 'file':
            return 'not a regular file (%s)' % kind
        if not item.get('force', True):
            return None
        if state.get('sha1') is None:
            return 'content unreadable'
        if state['sha1'] != desired_sha1:
            return 'content'
    if not _same_owner(item.get('owner'), state['uid'], state['user']):
        return 'owner'
    if not _same_owner(item.get('group'), state['gid'], state['group']):
        return 'group'
    mode = mode_value(item.get('mode'))
    if mode is False:
        return 'symbolic mode'
    if mode is not None and mode != state['mode']:
        return 'mode'
    return None
