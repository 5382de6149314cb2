# -*- coding: utf-8 -*-
# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Offline stand-in for the get-pip.py that ansible-test downloads.

ansible-test bootstraps pip into its per-test virtual environments with a
get-pip script fetched from ci-files.testing.ansible.com, which CI here cannot
reach. ansible-test looks for that script in ~/.ansible/test/cache first;
tests/sanity.sh puts this file there. It bootstraps pip with the standard
library's ensurepip and then lets pip install exactly the packages
ansible-test asked for (pip==<version> ...) from the configured index.
"""

from __future__ import annotations

import subprocess
import sys


def main():
    args = [a for a in sys.argv[1:] if a not in ('--no-setuptools', '--no-wheel')]
    subprocess.check_call([sys.executable, '-m', 'ensurepip', '--default-pip'])
    subprocess.check_call([sys.executable, '-m', 'pip', 'install'] + args)


if __name__ == '__main__':
    main()
