# -*- coding: utf-8 -*-
# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Connection options shared by the PostgreSQL modules of groundwork.stack.

The names and defaults are those of community.postgresql, so one
``module_defaults`` block (or one set of inventory variables) serves both
collections. The argument spec that goes with this fragment is built by
``plugins/module_utils/postgres.py:postgres_argument_spec()``; a unit test
checks that the two agree.
"""

from __future__ import annotations


class ModuleDocFragment:

    DOCUMENTATION = r'''
options:
  login_user:
    description:
      - The role this module connects as.
    type: str
    default: postgres
  login_password:
    description:
      - The password of O(login_user).
      - Leave empty for peer or certificate authentication, or to let libpq read C(~/.pgpass).
    type: str
    default: ''
  login_host:
    description:
      - Host name or address of the PostgreSQL server.
      - Empty (the default) connects through the Unix socket in O(login_unix_socket), or libpq's default socket.
    type: str
    default: ''
  login_port:
    description:
      - TCP port (or socket file suffix) of the PostgreSQL server.
    type: int
    default: 5432
  login_unix_socket:
    description:
      - Directory of the server's Unix domain socket, used when O(login_host) is empty or C(localhost).
    type: str
    default: ''
  login_db:
    description:
      - Database to connect to. libpq's default (the database named like O(login_user)) when omitted.
    type: str
  ssl_mode:
    description:
      - Whether and with what priority an SSL connection is negotiated with the server.
      - See U(https://www.postgresql.org/docs/current/libpq-ssl.html) for the modes.
      - The default V(prefer) matches libpq's default.
    type: str
    default: prefer
    choices: [ allow, disable, prefer, require, verify-ca, verify-full ]
  ca_cert:
    description:
      - File with the certificate authority certificate(s) the server's certificate must be signed by.
    type: str
    aliases: [ ssl_rootcert ]
  ssl_cert:
    description:
      - File with the client's SSL certificate.
    type: path
  ssl_key:
    description:
      - File with the private key of the client certificate in O(ssl_cert).
    type: path
  connect_params:
    description:
      - Further libpq connection parameters (for example C(connect_timeout) or C(application_name)).
      - They take precedence over the options above.
      - Not shown in the task's output (it may carry a password).
    type: dict
    default: {}
notes:
  - The modules connect with C(psycopg2); install C(python3-psycopg2) on the host the task runs on.
  - Local connections as the C(postgres) role usually need C(become_user=postgres) (peer authentication).
requirements:
  - psycopg2 >= 2.7
'''
