# -*- coding: utf-8 -*-
# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure helpers for systemd unit files: command lines of Exec*= settings."""

from __future__ import annotations

import re

# Words systemd reads back unchanged without quotes: no whitespace, quotes,
# backslashes, specifiers (%), variable references ($) or a lone ';'.
_SAFE = re.compile(r'^[A-Za-z0-9_@+=:,./-]+$')
# systemd.syntax(7) C-style escapes inside double quotes, for the control
# characters an argument may carry.
_ESCAPES = {'\\': '\\\\', '"': '\\"', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\b': '\\b', '\f': '\\f',
            '\v': '\\v', '\a': '\\a'}


def exec_arg(value):
    """One argument of an Exec*= line, written so that systemd passes it to the program exactly.

    systemd.service(7), "Command lines": the line is split into words at whitespace (double or single
    quotes keep a word together, and C-style backslash escapes are undone), "%" starts a specifier (a
    literal one is "%%") and "$" a variable reference (a literal one is "$$"), in quoted words too.
    A word that needs none of that is written as it is, so existing unit files do not change."""
    if isinstance(value, bool) or value is None:
        raise ValueError('%r is not a command-line argument (quote it as a string)' % (value,))
    text = str(value)
    if '\0' in text:
        raise ValueError('a command-line argument cannot contain a NUL byte: %r' % (text,))
    if _SAFE.match(text) and text != ';':
        return text
    out = []
    for char in text:
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif char == '%':
            out.append('%%')
        elif char == '$':
            out.append('$$')
        elif ord(char) < 0x20 or ord(char) == 0x7f:
            out.append('\\x%02x' % ord(char))
        else:
            out.append(char)
    return '"%s"' % ''.join(out)


def exec_line(args):
    """A whole command line of an Exec*= setting from a list of arguments (the first one the program)."""
    if isinstance(args, (str, bytes)) or not args:
        raise ValueError('a command line is a non-empty list of arguments, not %r' % (args,))
    return ' '.join(exec_arg(arg) for arg in args)
