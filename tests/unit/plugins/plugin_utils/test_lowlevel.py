# -*- coding: utf-8 -*-
# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The shortcuts' one command: no terminal where the connection allows it, /dev/null as the command's input,
and a connection error handed back as rc None (the callers then run the module)."""

from __future__ import annotations

from ansible.errors import AnsibleConnectionFailure

from ansible_collections.groundwork.stack.plugins.plugin_utils import lowlevel


class FakeConnection:
    def __init__(self, pipelining):
        self.has_pipelining = pipelining


class FakeAction:
    def __init__(self, pipelining=True, error=None):
        self._connection = FakeConnection(pipelining)
        self.calls = []
        self.error = error

    def _low_level_execute_command(self, cmd, sudoable=True, in_data=None):
        self.calls.append((cmd, sudoable, in_data))
        if self.error:
            raise self.error
        return {'rc': 0, 'stdout': b'out\n', 'stderr': b''}


def test_input_keeps_the_terminal_off_where_the_connection_takes_it():
    action = FakeAction()
    assert lowlevel.run(action, 'stat -- /etc') == (0, 'out\n', '')
    assert action.calls == [('{ stat -- /etc\n} </dev/null', True, b'\n')]


def test_a_multi_line_script_reads_dev_null_as_a_whole():
    action = FakeAction()
    lowlevel.run(action, 'f() { :; }\nf a')
    assert action.calls[0][0] == '{ f() { :; }\nf a\n} </dev/null'


def test_a_connection_without_input_runs_it_plainly():
    action = FakeAction(pipelining=False)
    lowlevel.run(action, 'true')
    assert action.calls == [('{ true\n} </dev/null', True, None)]
    assert not lowlevel.separate_streams(action)


def test_a_connection_error_is_rc_none():
    assert lowlevel.run(FakeAction(error=AnsibleConnectionFailure('gone')), 'true') == (None, '', '')
