# -*- coding: utf-8 -*-
# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Render the nginx role's site template for the nginx versions of Debian 12 and 13.

The edge scenario checks the trixie render with ``nginx -t`` and a real HTTP/2
client; bookworm's nginx 1.22 has no ``http2`` directive (1.25.1 added it), so
the template must put ``http2`` on the ``listen`` lines there instead.
"""

from __future__ import annotations

import os
import re

import pytest
import yaml

from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template

ROLE = os.path.join(os.path.dirname(__file__), '..', '..', '..', 'roles', 'nginx')


def render_site(nginx_version, listen_ipv6=True):
    with open(os.path.join(ROLE, 'defaults', 'main.yml'), encoding='utf-8') as f:
        variables = yaml.safe_load(f)
    with open(os.path.join(ROLE, 'templates', 'site.conf.j2'), encoding='utf-8') as f:
        source = f.read()
    variables.update({
        '__nginx_version': nginx_version,
        'nginx_listen_ipv6': listen_ipv6,
        'nginx_upstreams': [{'name': 'app', 'servers': ['10.0.0.5:8000']}],
        'item': {'name': 'api', 'server_names': ['api.example.com'],
                 'locations': [{'path': '/', 'upstream': 'app', 'limit': 'api'}]},
    })
    return Templar(loader=DataLoader(), variables=variables).template(trust_as_template(source))


def https_listens(text):
    return re.findall(r'^\s*listen (\S*443 [^;]*);', text, re.M)


@pytest.mark.parametrize('version', ['1.22.1', '1.25.0'])
def test_before_1_25_1_http2_is_a_listen_parameter(version):
    text = render_site(version)
    assert https_listens(text) == ['443 ssl http2', '[::]:443 ssl http2']
    assert not re.search(r'^\s*http2 ', text, re.M)


@pytest.mark.parametrize('version', ['1.25.1', '1.26.3', '1.27.10'])
def test_from_1_25_1_http2_is_a_directive(version):
    text = render_site(version)
    assert https_listens(text) == ['443 ssl', '[::]:443 ssl']
    assert re.findall(r'^\s*(http2 .*)$', text, re.M) == ['http2 on;']


@pytest.mark.parametrize('version, expected', [('1.22.1', ['443 ssl http2']), ('1.26.3', ['443 ssl'])])
def test_ipv4_only(version, expected):
    assert https_listens(render_site(version, listen_ipv6=False)) == expected
