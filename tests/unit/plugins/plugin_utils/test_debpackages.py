# -*- coding: utf-8 -*-
# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import shlex

import pytest

from ansible_collections.groundwork.stack.plugins.plugin_utils import debpackages


@pytest.mark.parametrize('args, expected', [
    ({'name': ['nginx', 'ssl-cert', 'nginx']}, ['nginx', 'ssl-cert']),
    ({'name': 'logrotate'}, ['logrotate']),
    ({'name': 'ufw, logrotate'}, ['logrotate', 'ufw']),
    ({'name': ['postgresql-17-pgvector', 'libpq5', 'g++'], 'state': 'present', 'install_recommends': False,
      'cache_valid_time': 3600, 'update_cache': False}, ['g++', 'libpq5', 'postgresql-17-pgvector']),
    ({'name': ['python3'], 'update_cache': 'false'}, ['python3']),
])
def test_plain_names_take_the_shortcut(args, expected):
    assert debpackages.names_of(args) == expected


@pytest.mark.parametrize('args', [
    {'name': ['nginx'], 'update_cache': True},          # an index refresh asked for
    {'name': ['nginx'], 'update_cache': 'yes'},
    {'name': ['nginx'], 'state': 'latest'},             # another state
    {'name': ['nginx'], 'state': 'absent'},
    {'name': ['nginx=1.26.3-3']},                       # a version
    {'name': ['libc6:i386']},                           # an architecture
    {'name': ['nginx/trixie-backports']},               # a release
    {'name': ['/tmp/foo.deb']},                         # a file
    {'name': ['nginx*']},                               # a glob
    {'name': ['Nginx']},                                # not a Debian name
    {'name': ['x']},                                    # too short
    {'name': []},
    {'name': None},
    {'pkg': ['nginx']},                                 # an alias: apt decides
    {'name': ['nginx'], 'default_release': 'trixie'},   # an option apt alone handles
    {'name': ['nginx'], 'dpkg_options': 'force-confold'},
])
def test_anything_else_goes_to_apt(args):
    assert debpackages.names_of(args) is None


def test_the_query_is_quoted_and_reads_status_only():
    command = debpackages.query_command(['g++', 'nginx'])
    words = shlex.split(command)
    assert words[:3] == ['LC_ALL=C', 'dpkg-query', '-W']
    assert words[3] == '-f=${Package}\\t${db:Status-Abbrev}\\n'
    assert words[4:] == ['--', 'g++', 'nginx']


# What dpkg-query printed on a lab host (Debian 13), with the states dpkg documents.
OUTPUT = '\n'.join([
    'libc6\tii ',               # installed
    'logrotate\thi ',           # held, installed
    'mail-transport-agent\tun ',  # virtual: known, not installed
    'ufw\trc ',                 # removed, configuration files left
    'nginx\tiU ',               # unpacked, not configured
    'redis-server\tiF ',        # half-configured
    'pgbackrest\tiiR',          # installed, reinstallation required
    'sudo\tiW ',                # awaiting triggers
    'curl\tri ',                # to be removed, still installed
]) + '\n'


def test_installed_means_configured_without_error():
    names = ['curl', 'libc6', 'logrotate', 'mail-transport-agent', 'nginx', 'nosuchpkg', 'pgbackrest',
             'redis-server', 'sudo', 'ufw']
    assert debpackages.missing(names, OUTPUT) == ['mail-transport-agent', 'nginx', 'nosuchpkg', 'pgbackrest',
                                                  'redis-server', 'sudo', 'ufw']


def test_all_installed():
    assert debpackages.missing(['libc6', 'logrotate'], OUTPUT) == []
    assert debpackages.missing(['libc6'], '') == ['libc6']
    # Two architectures of one package: two lines, one name.
    assert debpackages.missing(['libc6'], 'libc6\tii \nlibc6\tii \n') == []
