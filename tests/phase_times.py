# -*- coding: utf-8 -*-
# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Copy a Molecule run's output to a log file and time each of its actions.

Usage: molecule test -s S 2>&1 | python3 tests/phase_times.py LOG TSV

Molecule prints ``<scenario> ➜ <action>: Executing`` when an action starts
and ``... Executed: ...`` when it ends. Each line is written to LOG as it
comes; at the end TSV holds one ``action<TAB>seconds`` line per action, in
order (an action that runs twice, like destroy, is summed), which
tests/run-all.sh turns into its timing table.
"""

from __future__ import annotations

import re
import sys
import time

ANSI = re.compile(r'\x1b\[[0-9;]*m')
START = re.compile(r'\u279c (?P<action>[a-z_]+): Executing')
END = re.compile(r'\u279c (?P<action>[a-z_]+): Executed')


def main(argv):
    if len(argv) != 3:
        sys.stderr.write('usage: phase_times.py LOG TSV\n')
        return 2
    totals = {}
    current, since = None, None
    with open(argv[1], 'w', encoding='utf-8', errors='replace') as log:
        for raw in sys.stdin.buffer:
            line = raw.decode('utf-8', errors='replace')
            log.write(line)
            log.flush()
            plain = ANSI.sub('', line)
            now = time.monotonic()
            started = START.search(plain)
            ended = END.search(plain)
            if started:
                current, since = started.group('action'), now
            elif ended and current is not None:
                totals[current] = totals.get(current, 0.0) + now - since
                current = None
    if current is not None:  # the run stopped inside an action (failure, timeout)
        totals[current] = totals.get(current, 0.0) + time.monotonic() - since
    with open(argv[2], 'w', encoding='utf-8') as tsv:
        for action, seconds in totals.items():
            tsv.write('%s\t%d\n' % (action, round(seconds)))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
