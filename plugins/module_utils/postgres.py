# -*- coding: utf-8 -*-
# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Connection options, connection helper and identifier quoting for the PostgreSQL modules.

Everything a module needs to talk to PostgreSQL goes through here:

* ``postgres_argument_spec()`` builds the connection options documented by the
  ``groundwork.stack.postgres`` doc fragment (same names as community.postgresql).
* ``connection_params()`` maps them to libpq keywords (pure, unit tested);
  ``connect()`` opens the connection and fails the module with a readable message.
* ``quote_identifier()`` is the one place where a name becomes SQL text; values
  are never formatted into SQL, they are passed as ``%(name)s`` parameters.
"""

from __future__ import annotations

import traceback

from ansible.module_utils.basic import missing_required_lib
from ansible.module_utils.common.text.converters import to_native

PSYCOPG2_IMPORT_ERROR = None
try:
    import psycopg2
    import psycopg2.extras
except ImportError:
    psycopg2 = None
    PSYCOPG2_IMPORT_ERROR = traceback.format_exc()

HAS_PSYCOPG2 = psycopg2 is not None

# PostgreSQL truncates names to NAMEDATALEN - 1 bytes; we refuse longer ones
# instead, so that the name in the inventory is the name in the catalog.
MAX_IDENTIFIER_BYTES = 63

SSL_MODES = ('allow', 'disable', 'prefer', 'require', 'verify-ca', 'verify-full')

# Module option -> libpq keyword.
_LIBPQ_KEYWORDS = (
    ('login_host', 'host'),
    ('login_user', 'user'),
    ('login_password', 'password'),
    ('login_port', 'port'),
    ('login_db', 'dbname'),
    ('ssl_mode', 'sslmode'),
    ('ca_cert', 'sslrootcert'),
    ('ssl_cert', 'sslcert'),
    ('ssl_key', 'sslkey'),
)


def postgres_argument_spec(**module_options):
    """Return the connection options, updated with the module's own ``module_options``."""
    spec = dict(
        login_user=dict(type='str', default='postgres'),
        login_password=dict(type='str', default='', no_log=True),
        login_host=dict(type='str', default=''),
        login_port=dict(type='int', default=5432),
        login_unix_socket=dict(type='str', default=''),
        login_db=dict(type='str'),
        ssl_mode=dict(type='str', default='prefer', choices=list(SSL_MODES)),
        ca_cert=dict(type='str', aliases=['ssl_rootcert']),
        ssl_cert=dict(type='path'),
        ssl_key=dict(type='path', no_log=False),
        # May carry a password or a key: never shown in the module's invocation.
        connect_params=dict(type='dict', default={}, no_log=True),
    )
    spec.update(module_options)
    return spec


def connection_params(params, application_name=None):
    """Map module parameters to ``psycopg2.connect()`` keywords.

    Empty values are left out so libpq applies its own defaults (environment,
    ``~/.pgpass``, service file). ``login_unix_socket`` is used as the host when
    no host (or ``localhost``) is given. ``connect_params`` wins over everything.
    """
    kw = {}
    for option, keyword in _LIBPQ_KEYWORDS:
        value = params.get(option)
        if value is None or value == '':
            continue
        kw[keyword] = value
    if kw.get('host') in (None, 'localhost') and params.get('login_unix_socket'):
        kw['host'] = params['login_unix_socket']
    if application_name:
        kw['application_name'] = application_name
    kw.update(params.get('connect_params') or {})
    return kw


def is_remote_host(params):
    """True when the connection goes over TCP to another machine than the one the module runs on."""
    host = params.get('login_host') or ''
    if not host or host.startswith('/'):
        return False
    return host not in ('localhost', '127.0.0.1', '::1')


def ensure_psycopg2(module):
    """Fail the module with Ansible's standard message when psycopg2 is missing."""
    if not HAS_PSYCOPG2:
        module.fail_json(msg=missing_required_lib('psycopg2'), exception=PSYCOPG2_IMPORT_ERROR)


def connect(module, autocommit=True, application_name=None):
    """Connect with the module's connection options; fail the module if that is impossible.

    ``autocommit=True`` (the default) is what statements such as
    ``CREATE INDEX CONCURRENTLY`` need: they refuse to run in a transaction block.
    """
    ensure_psycopg2(module)
    kw = connection_params(module.params, application_name=application_name)
    try:
        conn = psycopg2.connect(**kw)
        conn.autocommit = autocommit
        return conn
    except psycopg2.Error as e:
        module.fail_json(msg='Unable to connect to PostgreSQL: %s' % to_native(e).strip())
    return None  # not reached: fail_json exits


def dict_cursor(conn):
    """A cursor whose rows are dictionaries keyed by column name."""
    return conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor)


def identifier_error(value, option):
    """Return why ``value`` cannot be a PostgreSQL identifier, or None when it can."""
    if not isinstance(value, str) or value == '':
        return '%s must be a non-empty string, got %r' % (option, value)
    if '\x00' in value:
        return '%s=%r contains a NUL character' % (option, value)
    size = len(value.encode('utf-8'))
    if size > MAX_IDENTIFIER_BYTES:
        return '%s=%r is %d bytes long; PostgreSQL identifiers are at most %d bytes' % (
            option, value, size, MAX_IDENTIFIER_BYTES)
    return None


def quote_identifier(*parts):
    """Quote a name for SQL: ``quote_identifier('public', 'items')`` gives ``"public"."items"``.

    Each part is one identifier (a schema, a table, an index, a column): it is
    checked, embedded double quotes are doubled, and it is wrapped in double
    quotes. A qualified name is given as separate parts, never as one dotted
    string, so a dot inside a name stays part of that name.
    """
    if not parts:
        raise ValueError('quote_identifier needs at least one name')
    quoted = []
    for part in parts:
        error = identifier_error(part, 'identifier')
        if error:
            raise ValueError(error)
        quoted.append('"%s"' % part.replace('"', '""'))
    return '.'.join(quoted)


def truncate_identifier(value, max_bytes=MAX_IDENTIFIER_BYTES):
    """Cut ``value`` to at most ``max_bytes`` UTF-8 bytes without splitting a character."""
    return value.encode('utf-8')[:max_bytes].decode('utf-8', 'ignore')


def render_query(cursor, sql, params):
    """The statement as the server receives it (parameters bound), for ``queries`` results."""
    return to_native(cursor.mogrify(sql, params))


# What a failed statement raises; Exception when psycopg2 is missing (the module fails before using it).
DatabaseError = psycopg2.Error if HAS_PSYCOPG2 else Exception


def server_version(conn):
    """The server's version as an integer (150004 for 15.4)."""
    return conn.server_version
