# -*- coding: utf-8 -*-
# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.groundwork.stack.plugins.plugin_utils import progress

# Lines as pgBackRest 2.55 logs a restore at detail level, and as pg_basebackup --progress writes.
PGBACKREST = """\
2026-12-07 06:30:01.120 P01 DETAIL: restore file /var/lib/postgresql/17/main/base/5/1249 (440KB, 12.34%) checksum 2c8b
2026-12-07 06:30:01.410 P01 DETAIL: restore file /var/lib/postgresql/17/main/base/5/2608 (424KB, 25.07%) checksum 98aa
"""
# Copied from a lab restore (--delta onto an existing directory).
PGBACKREST_DELTA = ('2026-12-07 06:40:08.413 P02 DETAIL: restore file /var/lib/postgresql/17/main/base/1/13467 - exists '
                    'and is zero size (0B, 100.00%)\n')
BASEBACKUP = '  1024/30720 kB (3%), 0/1 tablespace\r 15360/30720 kB (50%), 0/1 tablespace\r'


@pytest.mark.parametrize('text, expected', [
    (PGBACKREST, 25.07),
    (BASEBACKUP, 50.0),
    (PGBACKREST + PGBACKREST_DELTA, 100.0),
    ('restore file x (8KB, 100%) checksum', 100.0),
    ('restore file x (8KB, 100.00%) checksum', 100.0),
    ('nothing yet', None),
    ('', None),
    (None, None),
    # Not percentages: a number over 100 or glued to another number.
    ('ratio 250% then 1.5.5%', None),
    ('log cut mid-line: 12', None),
])
def test_last_percent(text, expected):
    assert progress.last_percent(text) == expected


def test_last_percent_with_a_pattern_of_the_jobs_own():
    text = 'cpu 95% ... copied 40% ... cpu 99%'
    assert progress.last_percent(text, r'copied (\d+)%') == 40.0
    assert progress.last_percent(text) == 99.0


@pytest.mark.parametrize('percent, elapsed, expected', [
    (25.0, 60.0, 180.0),
    (50.0, 10.0, 10.0),
    (0.0, 60.0, None),
    (None, 60.0, None),
    (100.0, 60.0, None),
    (10.0, 0.0, None),
])
def test_eta_seconds(percent, elapsed, expected):
    assert progress.eta_seconds(percent, elapsed) == expected


@pytest.mark.parametrize('seconds, expected', [
    (0, '0s'), (44.6, '45s'), (60, '1m00s'), (185, '3m05s'), (3599, '59m59s'), (3600, '1h00m'), (7620, '2h07m'),
])
def test_duration(seconds, expected):
    assert progress.duration(seconds) == expected


def test_progress_line_with_and_without_a_percentage():
    assert progress.progress_line('db1', 'pgBackRest restore', 25.0, 60) == \
        'db1: pgBackRest restore, running for 1m00s, 25.0% done, about 3m00s left'
    assert progress.progress_line('db1', 'pgBackRest restore', None, 30) == 'db1: pgBackRest restore, running for 30s'


def test_finished_line():
    assert progress.finished_line('db1', 'restore', 75, False) == 'db1: restore finished after 1m15s'
    assert progress.finished_line('db1', 'restore', 5, True) == 'db1: restore failed after 5s'


@pytest.mark.parametrize('now, last, interval, due', [(100, 70, 30, True), (99, 70, 30, False), (31, 0, 30, True)])
def test_report_due(now, last, interval, due):
    assert progress.report_due(now, last, interval) is due


class FakeJob:
    """A job that ends at ``ends_at`` seconds on a fake clock; sleep() advances the clock."""

    def __init__(self, ends_at, result=None, percent_at=None):
        self.now = 0.0
        self.ends_at = ends_at
        self.result = result or {'rc': 0}
        self.percent_at = percent_at or (lambda now: None)
        self.reports = []
        self.polls = 0

    def clock(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds

    def status(self):
        self.polls += 1
        if self.now >= self.ends_at:
            return dict(self.result, finished=1)
        return {'finished': 0, 'started': 1}

    def percent(self):
        return self.percent_at(self.now)

    def report(self, percent, elapsed):
        self.reports.append((percent, elapsed))


def test_wait_reports_every_interval_until_the_job_ends():
    job = FakeJob(ends_at=95, percent_at=lambda now: now)
    status, elapsed, timed_out = progress.wait(job.status, job.percent, job.report, job.clock, job.sleep,
                                               interval=30, poll=5, timeout=3600)
    assert status == {'rc': 0, 'finished': 1} and not timed_out
    assert elapsed == 95
    assert job.reports == [(30, 30), (60, 60), (90, 90)]


def test_wait_returns_a_failed_job_at_once():
    job = FakeJob(ends_at=0, result={'rc': 3, 'failed': True})
    status, elapsed, timed_out = progress.wait(job.status, job.percent, job.report, job.clock, job.sleep,
                                               interval=30, poll=5, timeout=3600)
    assert status['rc'] == 3 and status['failed'] and elapsed == 0 and not timed_out
    assert job.reports == [] and job.polls == 1


def test_wait_stops_at_the_timeout_with_the_job_still_running():
    job = FakeJob(ends_at=10000)
    status, elapsed, timed_out = progress.wait(job.status, job.percent, job.report, job.clock, job.sleep,
                                               interval=30, poll=10, timeout=100)
    assert timed_out and not status['finished'] and elapsed == 100
    assert [e for dummy, e in job.reports] == [30, 60, 90]


def test_a_status_that_failed_without_finishing_ends_the_wait():
    # async_status fails on an unknown job id (wrong become_user, job file removed).
    job = FakeJob(ends_at=10000)
    job.status = lambda: {'failed': True, 'msg': 'could not find job'}
    status, dummy, timed_out = progress.wait(job.status, job.percent, job.report, job.clock, job.sleep,
                                             interval=30, poll=5, timeout=3600)
    assert status['msg'] == 'could not find job' and not timed_out
