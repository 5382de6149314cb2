# -*- coding: utf-8 -*-
# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Options shared by the Patroni modules of groundwork.stack: the members' REST APIs and their TLS
(``groundwork.stack.patroni_rest``), and the write endpoints' credentials
(``groundwork.stack.patroni_rest.credentials``). The argument spec that goes with them is built by
``plugins/module_utils/patroni_rest.py:rest_argument_spec()``; a unit test checks that the two agree.
"""

from __future__ import annotations


class ModuleDocFragment:

    DOCUMENTATION = r'''
options:
  endpoints:
    description:
      - Base URLs of the members' REST APIs, for example C(https://10.0.0.11:8008), asked in order until one
        answers.
    type: list
    elements: str
    required: true
  ca_path:
    description: CA certificate that signed the REST API's certificates (the collection CA).
    type: path
  client_cert:
    description: Client certificate to present (the REST API's write endpoints may ask for one).
    type: path
  client_key:
    description: Key of O(client_cert).
    type: path
'''

    CREDENTIALS = r'''
options:
  username:
    description: User of the REST API's write endpoints.
    type: str
    default: patroni
  password:
    description: Password of O(username).
    type: str
    required: true
'''
