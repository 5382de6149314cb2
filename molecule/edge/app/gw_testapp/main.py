# -*- coding: utf-8 -*-
# Copyright: groundwork.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A small FastAPI service exercising what the edge roles deliver.

- ``/health``: liveness for the role's health gate and nginx checks.
- ``/api/whoami``: which app host answered and the client address as seen
  through ``--proxy-headers`` (the real client, not nginx).
- ``/api/secret``: proves the secret arrived as a systemd credential
  (``$CREDENTIALS_DIRECTORY``), returning only its SHA-256.
- ``/auth/login``: a cheap endpoint behind nginx's ``auth`` rate limit.
- ``/db``: one query through PgBouncer to PostgreSQL (who PostgreSQL sees
  connecting, and whether over TLS); ``/redis``: a write and read under the
  app's ACL key pattern and a write outside it. Both need ``GW_DATABASE_DSN``
  / ``GW_REDIS_URL`` and the drivers; 503 with the reason otherwise.
- ``/ws``: a websocket that echoes each text message.
"""

from __future__ import annotations

import hashlib
import os
import socket

from fastapi import FastAPI, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import JSONResponse

app = FastAPI(title='gw-testapp')
HOST = socket.gethostname()


def credential(name):
    """Return the systemd credential ``name`` as text, or None."""
    directory = os.environ.get('CREDENTIALS_DIRECTORY')
    if not directory:
        return None
    path = os.path.join(directory, name)
    if not os.path.isfile(path):
        return None
    with open(path, encoding='utf-8') as f:
        return f.read()


@app.get('/health')
def health():
    return {'status': 'ok', 'host': HOST}


@app.get('/api/whoami')
def whoami(request: Request):
    return {'host': HOST, 'client': request.client.host if request.client else None,
            'scheme': request.url.scheme, 'env': os.environ.get('GW_APP_ENV', '')}


@app.get('/api/secret')
def secret():
    value = credential('app_secret')
    if value is None:
        return JSONResponse({'error': 'no app_secret credential'}, status_code=503)
    return {'sha256': hashlib.sha256(value.encode()).hexdigest()}


@app.post('/auth/login')
def login():
    return {'token': 'none', 'host': HOST}


@app.get('/db')
def db():
    dsn = os.environ.get('GW_DATABASE_DSN')
    password = credential('db_password')
    if not dsn:
        return JSONResponse({'error': 'GW_DATABASE_DSN is not set'}, status_code=503)
    try:
        import psycopg  # pylint: disable=import-outside-toplevel
    except ImportError:
        return JSONResponse({'error': 'psycopg is not installed'}, status_code=503)
    # prepare_threshold=None: no server-side prepared statements (PgBouncer transaction pooling).
    with psycopg.connect(dsn, password=password, connect_timeout=5, prepare_threshold=None) as conn:
        row = conn.execute('SELECT current_user, current_database(), host(inet_client_addr()), '
                           '(SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid())').fetchone()
    return {'user': row[0], 'database': row[1], 'server_sees_client': row[2], 'server_ssl': row[3], 'host': HOST}


@app.get('/redis')
def redis_roundtrip():
    url = os.environ.get('GW_REDIS_URL')
    if not url:
        return JSONResponse({'error': 'GW_REDIS_URL is not set'}, status_code=503)
    try:
        import redis  # pylint: disable=import-outside-toplevel
    except ImportError:
        return JSONResponse({'error': 'redis is not installed'}, status_code=503)
    client = redis.Redis.from_url(url, password=credential('redis_password'), socket_timeout=5)
    key = 'app:edge:%s' % HOST
    client.set(key, HOST, ex=60)
    # A key outside the ACL user's pattern must be refused.
    try:
        client.set('other:edge', HOST, ex=60)
        outside = 'allowed'
    except redis.exceptions.NoPermissionError:
        outside = 'refused'
    # (ACL WHOAMI is only in @slow, which the app's ACL user does not have.)
    return {'roundtrip': client.get(key).decode() == HOST, 'outside_pattern': outside, 'host': HOST}


@app.websocket('/ws')
async def echo(websocket: WebSocket):
    await websocket.accept()
    try:
        while True:
            message = await websocket.receive_text()
            await websocket.send_text('%s:%s' % (HOST, message))
    except WebSocketDisconnect:
        return
