# -*- coding: utf-8 -*-
# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: await_job
author:
  - groundwork.stack maintainers (@groundwork)
version_added: 0.3.0
short_description: Wait for an asynchronous task, showing its progress from its log
description:
  - Waits for a job started with C(async) and C(poll=0), like M(ansible.builtin.async_status) in an
    C(until) loop, and returns the job's own result (its C(rc), C(stdout), C(failed)) so that the task
    that registers it fails when the job failed.
  - While the job runs it prints one line every O(interval) seconds on the controller, with how long
    the job has run and, when O(log) is given, the last percentage in the new part of that log and the
    time left at the pace so far. pgBackRest logs a percentage with each file it restores (at
    C(detail) level), C(pg_basebackup --progress) with each update.
  - When the job ends it prints one line saying whether it finished or failed, and after how long, and
    removes the job's status file.
  - Run it with the same C(become) and C(become_user) as the job, whose status lives in that user's
    home.
options:
  jid:
    description: The C(ansible_job_id) of the job, from the result registered by the async task.
    type: str
    required: true
  label:
    description: What the job does, for the progress lines.
    type: str
    default: job
  log:
    description:
      - A file on the host the job appends its progress to, as an absolute path (it is not expanded on the
        controller). Without it the lines show the time only.
    type: str
  log_offset:
    description:
      - The size of O(log) before the job started (from M(ansible.builtin.stat)); only what was written
        after it counts. When the file is now shorter (rotated), all of it counts.
    type: int
    default: 0
  pattern:
    description:
      - A regular expression whose first group is the percentage, for logs that carry other
        percentages. By default the last number from 0 to 100 followed by C(%) counts.
    type: str
  interval:
    description: Seconds between two progress lines.
    type: int
    default: 30
  poll:
    description:
      - Seconds between two checks of the job (each runs M(ansible.builtin.async_status) on the host). The
        task ends at most this long after the job.
    type: float
    default: 5.0
  timeout:
    description: Seconds to wait at the most. The job is left running when they pass, and the task fails.
    type: int
    default: 86400
attributes:
  check_mode:
    support: full
    description: It only reads the job's status and the log.
  diff_mode:
    support: none
    description: Nothing to show.
  platform:
    support: full
    platforms: posix
    description: The host needs C(sh), C(stat) and C(tail) to read the log.
seealso:
  - module: ansible.builtin.async_status
"""

EXAMPLES = r"""
- name: Note where the restore log ends now
  ansible.builtin.stat:
    path: /var/log/pgbackrest/main-restore.log
  register: restore_log

- name: Restore the latest backup
  ansible.builtin.command:
    argv: [pgbackrest, --stanza=main, --delta, --log-level-file=detail, restore]
  async: 86400
  poll: 0
  register: restore_job
  changed_when: true

- name: Wait for the restore, with its progress every 30 s
  groundwork.stack.await_job:
    jid: "{{ restore_job.ansible_job_id }}"
    label: pgBackRest restore
    log: /var/log/pgbackrest/main-restore.log
    log_offset: "{{ restore_log.stat.size | default(0) }}"
  register: restore_run
  changed_when: true
"""

RETURN = r"""
elapsed:
  description: Seconds the task waited for the job.
  returned: when the job ended
  type: float
  sample: 312.4
rc:
  description: The job's return code, for a job that has one (the command module's).
  returned: when the job returned it
  type: int
  sample: 0
"""
