# -*- coding: utf-8 -*-
# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Progress of a long job read from the tail of its log: the percentage, an ETA, one line to show.

Used by the action plugin of groundwork.stack.await_job. Pure functions, no Ansible imports.
"""

from __future__ import annotations

import re

# A percentage as long jobs log it: pgBackRest's "restore file ... (1.2MB, 45.67%)", pg_basebackup's
# "12345/67890 kB (18%), 0/1 tablespace". 0-100 with up to two decimals; "100%" included.
_PERCENT = re.compile(r'(?<![\d.])(100(?:\.0+)?|\d{1,2}(?:\.\d+)?)%')


def last_percent(text, pattern=None):
    """The last percentage in ``text`` (a float from 0 to 100), or None when there is none.

    ``pattern``: a regular expression whose first group is the number, for logs that carry other
    percentages (the default takes any number followed by ``%``).
    """
    regex = re.compile(pattern) if pattern else _PERCENT
    found = None
    for match in regex.finditer(text or ''):
        found = match.group(1)
    if found is None:
        return None
    value = float(found)
    return value if 0 <= value <= 100 else None


def eta_seconds(percent, elapsed):
    """Seconds left at the pace so far, or None while it cannot be told (nothing done yet, or done)."""
    if percent is None or percent <= 0 or percent >= 100 or elapsed <= 0:
        return None
    return elapsed * (100 - percent) / percent


def duration(seconds):
    """A duration for people: 45s, 3m05s, 2h07m."""
    seconds = int(round(seconds))
    if seconds < 60:
        return '%ds' % seconds
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return '%dm%02ds' % (minutes, seconds)
    hours, minutes = divmod(minutes, 60)
    return '%dh%02dm' % (hours, minutes)


def progress_line(host, label, percent, elapsed):
    """One line per report: host, what runs, the percentage and the ETA when they are known."""
    parts = ['%s: %s' % (host, label), 'running for %s' % duration(elapsed)]
    if percent is not None:
        parts.append('%.1f%% done' % percent)
        eta = eta_seconds(percent, elapsed)
        if eta is not None:
            parts.append('about %s left' % duration(eta))
    return ', '.join(parts)


def finished_line(host, label, elapsed, failed):
    return '%s: %s %s after %s' % (host, label, 'failed' if failed else 'finished', duration(elapsed))


def report_due(now, last_report, interval):
    """Whether a progress line is due: ``interval`` seconds since the last one (or since the start)."""
    return now - last_report >= interval


def wait(status, percent, report, clock, sleep, interval, poll, timeout):
    """Poll ``status()`` until the job it describes has ended; report progress every ``interval`` s.

    ``status()`` returns async_status's result, ``percent()`` the job's share done so far (or None),
    ``report(percent, elapsed)`` shows one progress line; ``clock`` and ``sleep`` are time.monotonic
    and time.sleep. Returns (the last status, seconds waited, whether ``timeout`` passed first).
    """
    start = last_report = clock()
    while True:
        current = status()
        now = clock()
        if current.get('finished') or current.get('failed'):
            return current, now - start, False
        if now - start >= timeout:
            return current, now - start, True
        if report_due(now, last_report, interval):
            report(percent(), now - start)
            last_report = now
        sleep(poll)
