# -*- coding: utf-8 -*-
# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.groundwork.stack.plugins.plugin_utils.pgsettings import db_settings_diff

ROWS = [
    {'datname': 'app', 'setconfig': ['hnsw.ef_search=100', 'ivfflat.probes=10']},
    {'datname': 'other', 'setconfig': None},
]


@pytest.mark.parametrize('databases, expected', [
    ([{'name': 'app', 'settings': {'hnsw.ef_search': 100}}], []),
    ([{'name': 'app', 'settings': {'hnsw.ef_search': 200}}], [('app', 'hnsw.ef_search', '200')]),
    ([{'name': 'app', 'settings': {'hnsw.iterative_scan': 'relaxed_order'}}], [('app', 'hnsw.iterative_scan', 'relaxed_order')]),
    ([{'name': 'new', 'settings': {'ivfflat.probes': 4, 'hnsw.ef_search': 40}}],
     [('new', 'hnsw.ef_search', '40'), ('new', 'ivfflat.probes', '4')]),
    ([{'name': 'other', 'settings': {'hnsw.ef_search': 40}}], [('other', 'hnsw.ef_search', '40')]),
    ([{'name': 'app', 'settings': {'hnsw.ef_search': 200}, 'state': 'absent'}], []),
    ([{'name': 'app'}], []),
    ([{'name': 'app', 'settings': {'x.flag': True}}], [('app', 'x.flag', 'on')]),
    ([], []),
])
def test_diff(databases, expected):
    got = [(db['name'], kv['key'], kv['value']) for db, kv in db_settings_diff(databases, ROWS)]
    assert got == expected


def test_no_rows():
    assert db_settings_diff([{'name': 'a', 'settings': {'ivfflat.probes': 1}}], None)[0][1] == {'key': 'ivfflat.probes', 'value': '1'}
