# -*- coding: utf-8 -*-
# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of groundwork.stack.await_job (documented in plugins/modules/await_job.py)."""

from __future__ import annotations

import shlex
import time

from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

from ansible_collections.groundwork.stack.plugins.plugin_utils import progress

display = Display()

ARGUMENT_SPEC = {
    'jid': {'type': 'str', 'required': True},
    'label': {'type': 'str', 'default': 'job'},
    'log': {'type': 'str'},  # a path on the host: not expanded on the controller
    'log_offset': {'type': 'int', 'default': 0},
    'pattern': {'type': 'str'},
    'interval': {'type': 'int', 'default': 30},
    'poll': {'type': 'float', 'default': 5.0},
    'timeout': {'type': 'int', 'default': 86400},
}

# What async_status adds about the job itself; the rest is the job's own result.
_STATUS_KEYS = ('ansible_job_id', 'started', 'finished', 'results_file', 'erased', 'stdout_lines', 'stderr_lines')

# The new part of the log: from log_offset (the file's size before the job), or all of it when the
# file is now shorter (rotated), and of that the last 8 KiB. Nothing when there is no file yet.
_TAIL = ('f=$1; o=$2; s=$(stat -c %s -- "$f" 2>/dev/null) || exit 0; '
         '[ "$s" -ge "$o" ] || o=0; tail -c "+$((o + 1))" -- "$f" | tail -c 8192')


class ActionModule(ActionBase):
    """Wait for an async job, showing its progress from its log every ``interval`` seconds."""

    _supports_check_mode = True
    _supports_async = False

    def _status(self, task_vars, jid, async_dir, mode='status'):
        # As the async_status action calls its module: with the job directory of the connection's
        # (become) user, which that action works out and passes as _async_dir.
        return self._execute_module(module_name='ansible.legacy.async_status', task_vars=task_vars,
                                    module_args={'jid': jid, 'mode': mode, '_async_dir': async_dir})

    def _log_tail(self, path, offset):
        command = 'sh -c %s sh %s %d' % (shlex.quote(_TAIL), shlex.quote(path), max(offset, 0))
        out = self._low_level_execute_command(command, sudoable=True)
        return out.get('stdout', '') if out.get('rc') == 0 else ''

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        valid, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        del valid
        if args['interval'] < 1 or args['poll'] <= 0 or args['timeout'] < 1:
            result.update(failed=True, msg='interval and timeout must be 1 or more and poll above 0 (got %s, %s, %s)'
                          % (args['interval'], args['timeout'], args['poll']))
            return result
        jid = args['jid']
        async_dir = self._remote_expand_user(self.get_shell_option('async_dir', default='~/.ansible_async'))
        host = (task_vars or {}).get('inventory_hostname', '?')

        def percent():
            if not args['log']:
                return None
            return progress.last_percent(self._log_tail(args['log'], args['log_offset']), args['pattern'])

        def report(share, elapsed):
            display.display(progress.progress_line(host, args['label'], share, elapsed))

        status, elapsed, timed_out = progress.wait(lambda: self._status(task_vars, jid, async_dir), percent, report,
                                                   time.monotonic, time.sleep, args['interval'], args['poll'],
                                                   args['timeout'])
        if timed_out:
            result.update(failed=True, ansible_job_id=jid,
                          msg='%s did not finish within %d s; the job (%s) still runs on %s'
                          % (args['label'], args['timeout'], jid, host))
            return result
        result.update((k, v) for k, v in status.items() if k not in _STATUS_KEYS)
        result['elapsed'] = round(elapsed, 1)
        if not status.get('finished'):
            # async_status itself failed (an unknown job, another user's job directory): its message says why.
            return result
        self._status(task_vars, jid, async_dir, mode='cleanup')
        failed = bool(status.get('failed')) or status.get('rc') not in (None, 0)
        display.display(progress.finished_line(host, args['label'], elapsed, failed))
        return result
