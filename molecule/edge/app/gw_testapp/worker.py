# -*- coding: utf-8 -*-
# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A non-HTTP worker (stands in for a queue consumer): logs a heartbeat."""

from __future__ import annotations

import json
import os
import signal
import sys
import time

RUNNING = True


def _stop(signum, frame):  # pylint: disable=unused-argument
    global RUNNING  # pylint: disable=global-statement
    RUNNING = False


def main():
    signal.signal(signal.SIGTERM, _stop)
    interval = float(os.environ.get('GW_WORKER_INTERVAL', '5'))
    # The arguments as the program received them (the verifier compares them
    # with the inventory's command: systemd quoting).
    print('worker started argv=%s' % json.dumps(sys.argv[1:]), flush=True)
    while RUNNING:
        print('heartbeat', flush=True)
        time.sleep(interval)
    print('worker stopped', flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
