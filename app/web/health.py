"""Liveness and database readiness for load balancers and uptime checks.

They are polled all day and need nothing of what a page needs (no session, no user, no
language, no date-driven catch-up, no rate limit, no CSRF), so GET and HEAD are answered in
front of Flask, by a WSGI middleware that costs about what a bare Flask "hello" costs: the
same JSON, status and headers (the security headers included) as the views below, which
remain for the other methods (OPTIONS, and 405 for the rest) and for url_for.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable

from flask import Blueprint, Flask, Response
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from app import security
from app.extensions import db
from app.web.access import public

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)

LIVE = {"status": "ok"}
READY = {"status": "ok", "database": "ok"}
UNREACHABLE = {"status": "error", "database": "unreachable"}


def ping_database(engine: Engine) -> None:
    """One round trip to the database: `SELECT 1` on a pooled connection, outside any
    transaction (one would add BEGIN and ROLLBACK, two more round trips on PostgreSQL, and on
    SQLite a health check has no business queuing for the write lock) and without an ORM
    session. Raises when the database cannot be reached; a connection that failed is discarded,
    not returned to the pool. (Connections idle in the pool are pinged on checkout first,
    app/database.py: a server restart costs the check nothing.)"""
    pooled = engine.raw_connection()
    try:
        if engine.dialect.driver == "psycopg":
            _ping_postgresql(pooled.dbapi_connection, engine.dialect.loaded_dbapi)
        else:
            cursor = pooled.cursor()
            try:
                cursor.execute("SELECT 1")
                cursor.fetchall()
            finally:
                cursor.close()
    except BaseException:
        pooled.invalidate()
        raise
    finally:
        pooled.close()


def _ping_postgresql(connection, dbapi) -> None:
    # Sent through libpq itself (psycopg's documented `pgconn`, "to send low level commands"):
    # ~23 µs of CPU against ~53 µs through a cursor, whose machinery is a tenth of what a whole
    # check costs. Pooled connections are lent outside a transaction, where a simple query runs
    # on its own: psycopg's state, which it reads from libpq, is as before.
    pgconn = connection.pgconn
    result = pgconn.exec_(b"SELECT 1")
    if result.status != dbapi.pq.ExecStatus.TUPLES_OK:
        message = result.error_message.decode(errors="replace").strip()
        raise dbapi.OperationalError(f"SELECT 1 failed: {message}")


def _readiness(engine: Engine) -> tuple[int, dict]:
    try:
        ping_database(engine)
    except (SQLAlchemyError, engine.dialect.loaded_dbapi.Error) as exc:
        log.warning("health check: database unreachable (%s)", type(exc).__name__)
        return 503, UNREACHABLE
    return 200, READY


def _body(payload: dict) -> bytes:
    # Byte for byte what jsonify sends outside debug mode.
    return (json.dumps(payload, separators=(",", ":"), sort_keys=True) + "\n").encode()


class HealthChecks:
    """Answers GET and HEAD on /healthz and /healthz/live before Flask sees the request."""

    _STATUS = {200: "200 OK", 503: "503 SERVICE UNAVAILABLE"}

    def __init__(self, app: Flask, wsgi_app: Callable):
        self.app = app
        self.wsgi_app = wsgi_app
        self._engine: Engine | None = None
        headers = [*security.BASE_HEADERS, ("Cache-Control", "no-store"), ("Vary", "Cookie")]
        if app.config.get("SESSION_COOKIE_SECURE"):
            headers.append(security.HSTS)
        self._headers = headers
        self._bodies = {id(p): _body(p) for p in (LIVE, READY, UNREACHABLE)}

    def engine(self) -> Engine:
        if self._engine is None:
            with self.app.app_context():
                self._engine = db.engine
        return self._engine

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        path = environ.get("PATH_INFO")
        if path not in ("/healthz", "/healthz/live"):
            return self.wsgi_app(environ, start_response)
        method = environ.get("REQUEST_METHOD")
        if method not in ("GET", "HEAD"):
            return self.wsgi_app(environ, start_response)
        status, payload = (200, LIVE) if path == "/healthz/live" else _readiness(self.engine())
        body = self._bodies[id(payload)]
        start_response(
            self._STATUS[status],
            [
                ("Content-Type", "application/json"),
                ("Content-Length", str(len(body))),
                *self._headers,
            ],
        )
        return [] if method == "HEAD" else [body]


def init_app(app: Flask) -> None:
    app.wsgi_app = HealthChecks(app, app.wsgi_app)


def _response(status: int, payload: dict) -> Response:
    response = Response(_body(payload), status=status, mimetype="application/json")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/healthz")
@public
def healthz():
    return _response(*_readiness(db.engine))


@bp.route("/healthz/live")
@public
def live():
    """Liveness without touching the database: the process answers."""
    return _response(200, LIVE)
