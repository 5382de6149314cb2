# -*- coding: utf-8 -*-
# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: apt_packages
author:
  - groundwork.stack maintainers (@groundwork)
version_added: 0.3.0
short_description: Ensure Debian packages are installed, asking dpkg first
description:
  - Ensures that Debian packages are installed, like M(ansible.builtin.apt) with O(state=present), which
    it runs with the task's own arguments whenever a package is missing.
  - When every package is already installed it answers from one C(dpkg-query) command, without Python
    on the host and without opening apt's package cache. On a lab host that is about 30 ms of CPU
    instead of 0.85 s, and a converge runs about a dozen such tasks per host.
  - Installed means unpacked and configured with no error flag (a held package counts). A package that
    is not installed, half-installed, left with its configuration files only, or unknown to dpkg (a
    virtual package) goes to the apt module, which installs it or fails as it would have.
  - Any other option, a name with a version, an architecture or a release, or O(update_cache=true)
    hands the whole task to the apt module unchanged.
  - O(cache_valid_time) is passed to the apt module when it runs. When every package is installed the
    package index is not refreshed, where the M(ansible.builtin.apt) module would refresh a stale one
    even then. Refresh it in a task of its own where that matters, as the base role does.
options:
  name:
    description: The packages, plain Debian package names.
    type: list
    elements: str
    required: true
  state:
    description: Only C(present).
    type: str
    choices: [present]
    default: present
  install_recommends:
    description: Passed to M(ansible.builtin.apt) when it runs.
    type: bool
  cache_valid_time:
    description: Passed to M(ansible.builtin.apt) when it runs.
    type: int
  update_cache:
    description: When true, the task is M(ansible.builtin.apt)'s.
    type: bool
attributes:
  check_mode:
    support: full
    description: dpkg-query only reads; the apt module runs in check mode when a package is missing.
  diff_mode:
    support: none
    description: Nothing to show.
  platform:
    support: full
    platforms: debian
    description: Debian and its derivatives (dpkg and apt).
seealso:
  - module: ansible.builtin.apt
"""

EXAMPLES = r"""
- name: Ensure nginx is installed
  groundwork.stack.apt_packages:
    name: [nginx, ssl-cert]
    cache_valid_time: 3600
"""

RETURN = r"""
packages:
  description: The names checked with dpkg-query (sorted, without duplicates), when every one was installed.
  returned: when dpkg-query answered alone
  type: list
  elements: str
  sample: [nginx, ssl-cert]
missing:
  description: The names dpkg-query did not show as installed; the apt module ran for them.
  returned: when dpkg-query was asked
  type: list
  elements: str
  sample: []
"""
