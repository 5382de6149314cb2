# -*- coding: utf-8 -*-
# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Render the certbot role's deploy hook and run it with sh, stand-ins for nginx and systemctl.

The hook runs as root on every renewal: certbot_tls_dir must reach it as one
word, whatever it contains (audit finding: it was put into the script
unquoted, so a space split it and a ';' ran a command). The edge scenario
runs the real hook on a real renewal.
"""

from __future__ import annotations

import os
import subprocess

import pytest
import yaml

from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template

ROLE = os.path.join(os.path.dirname(__file__), '..', '..', '..', 'roles', 'certbot')


def render_hook(tls_dir):
    with open(os.path.join(ROLE, 'defaults', 'main.yml'), encoding='utf-8') as f:
        variables = yaml.safe_load(f)
    with open(os.path.join(ROLE, 'templates', 'deploy-hook.j2'), encoding='utf-8') as f:
        source = f.read()
    variables['certbot_tls_dir'] = tls_dir
    return Templar(loader=DataLoader(), variables=variables).template(trust_as_template(source))


@pytest.mark.parametrize('tls_dir_name', ['tls', 'with space', "it's; touch PWNED", '$(touch PWNED)', '`touch PWNED`'])
def test_hook_installs_the_lineage_under_the_tls_dir_as_one_word(tmp_path, tls_dir_name):
    lineage = tmp_path / 'live' / 'example.com'
    lineage.mkdir(parents=True)
    (lineage / 'privkey.pem').write_text('KEY\n')
    (lineage / 'fullchain.pem').write_text('CHAIN\n')
    tls_dir = tmp_path / tls_dir_name
    tls_dir.mkdir()
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir()
    calls = tmp_path / 'calls'
    for tool in ('nginx', 'systemctl'):
        stub = bin_dir / tool
        stub.write_text('#!/bin/sh\necho "%s $*" >>"%s"\n' % (tool, calls))
        stub.chmod(0o755)
    hook = tmp_path / 'hook.sh'
    hook.write_text(render_hook(str(tls_dir)))
    env = {'PATH': '%s:/usr/bin:/bin' % bin_dir, 'RENEWED_LINEAGE': str(lineage)}
    subprocess.run(['sh', str(hook)], check=True, cwd=str(tmp_path), env=env)
    dest = tls_dir / 'example.com'
    assert (dest / 'privkey.pem').read_text() == 'KEY\n'
    assert (dest / 'fullchain.pem').read_text() == 'CHAIN\n'
    assert oct((dest / 'privkey.pem').stat().st_mode & 0o777) == '0o600'
    assert calls.read_text().splitlines() == ['nginx -t -q', 'systemctl reload nginx']
    assert not list(tmp_path.rglob('PWNED'))
