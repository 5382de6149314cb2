# -*- coding: utf-8 -*-
# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure helpers of groundwork.stack.command: when a command can run over the connection as it is, without
Python on the host, and the shell line that runs it.

M(ansible.builtin.command) starts Python on the host to run one program: about 0.25 s per task on a lab host
(2026-12-07), where the connection alone takes about 50 ms. A converge of the all-in-one lab runs about 20
commands, most of them read-only probes, and some only to find that O(creates) already exists. These helpers
decide when the shortcut is exact (an argv, no chdir, no stdin, no environment); everything else goes to the
module unchanged.
"""

from __future__ import annotations

import shlex

_OPTIONS = frozenset(('argv', 'creates', 'removes', 'expand_argument_vars'))


def argv_of(args):
    """The argv the shortcut may run for the task's ``args``, or None when the module must decide."""
    if set(args) - _OPTIONS:
        return None
    argv = args.get('argv')
    if not isinstance(argv, list) or not argv or not all(isinstance(arg, str) for arg in argv):
        return None
    if any('\0' in arg for arg in argv):
        return None
    # The module expands ~ and $VARIABLES in each argument unless expand_argument_vars is false; leave
    # those to it.
    expand = args.get('expand_argument_vars', True)
    if expand not in (True, False):
        return None
    if expand and any('$' in arg or arg.startswith('~') for arg in argv):
        return None
    # creates/removes are globs to the module; a plain absolute path is one test -e.
    for key in ('creates', 'removes'):
        value = args.get(key)
        if value is not None and (not isinstance(value, str) or not value.startswith('/') or set(value) & set('*?[]~$')):
            return None
    return argv


# ssh exits 255 for its own errors, and Ansible's ssh connection reads an exit status of 255 as one: a program
# that exits 255 (fail2ban-client without its server does) would look like an unreachable host. The line turns
# that status into 254 with this marker on stderr, and result_of() turns it back.
EXIT_255_MARKER = 'groundwork.stack.command: exit status 255'


def shell_line(argv):
    """The argv as one /bin/sh line: every argument quoted, none parsed; exit status 255 passed as 254 plus a
    marker line on stderr."""
    return ('%s; gw_rc=$?; if [ "$gw_rc" -eq 255 ]; then echo %s >&2; gw_rc=254; fi; exit "$gw_rc"'
            % (' '.join(shlex.quote(arg) for arg in argv), shlex.quote(EXIT_255_MARKER)))


def guard_line(args):
    """A command that prints "run" when creates/removes let the command run, "skip" otherwise."""
    tests = []
    if args.get('creates'):
        tests.append('[ ! -e %s ]' % shlex.quote(args['creates']))
    if args.get('removes'):
        tests.append('[ -e %s ]' % shlex.quote(args['removes']))
    return 'if %s; then echo run; else echo skip; fi' % ' && '.join(tests)


def result_of(argv, rc, stdout, stderr):
    """The command module's result keys for a finished command (trailing newlines stripped, as it does)."""
    stdout = (stdout or '').rstrip('\r\n')
    stderr = (stderr or '').rstrip('\r\n')
    if rc == 254 and stderr.endswith(EXIT_255_MARKER):
        rc = 255
        stderr = stderr[:-len(EXIT_255_MARKER)].rstrip('\r\n')
    result = {'cmd': list(argv), 'rc': rc, 'stdout': stdout, 'stderr': stderr,
              'stdout_lines': stdout.splitlines(), 'stderr_lines': stderr.splitlines(), 'changed': True}
    if rc != 0:
        result.update(failed=True, msg='non-zero return code')
    return result
