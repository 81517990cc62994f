"""Engine set-up per backend: SQLite gets the locking that PostgreSQL has built in."""

from __future__ import annotations

import sqlite3
from time import monotonic

from flask import Flask, has_request_context, request
from sqlalchemy import event, exc
from sqlalchemy.engine import Engine

from app.extensions import db

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def configure(app: Flask) -> None:
    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "sqlite":
            _configure_sqlite(
                engine, in_memory=":memory:" in str(engine.url) or engine.url.database in (None, "")
            )
        else:
            _ping_when_idle(engine, after=app.config["DB_PING_AFTER_IDLE"])


def _ping_when_idle(engine: Engine, *, after: float) -> None:
    # A server restart or a dropped network path kills pooled connections, and the next request
    # on one would fail. SQLAlchemy's pool_pre_ping checks every checkout, which on a busy
    # server is a round trip per request spent asking whether a connection used a millisecond
    # ago is still there. Connections die while they sit idle: ping only those idle longer than
    # `after` seconds; a dead one is replaced before the request sees it (the pool retries the
    # checkout on a DisconnectionError, and InvalidatePoolError recycles the older ones too).
    @event.listens_for(engine, "checkin")
    def _idle_from(_dbapi_connection, record) -> None:
        record.info["idle_since"] = monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection, record, _proxy) -> None:
        since = record.info.pop("idle_since", None)
        if since is None or monotonic() - since < after:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            if engine.dialect.is_disconnect(error, dbapi_connection, None):
                # The server went away: every connection that predates this one is as dead.
                raise exc.InvalidatePoolError() from error
            raise


def _configure_sqlite(engine: Engine, *, in_memory: bool) -> None:
    # pysqlite's own transaction handling starts transactions lazily (DEFERRED), so two writers
    # can both read "the stand is free" and then both write. We turn it off and begin every
    # transaction that may write with BEGIN IMMEDIATE: writers queue on the database lock
    # (busy_timeout) instead of interleaving. Safe-method requests (GET, HEAD) only read: they
    # begin DEFERRED and read a WAL snapshot without queuing behind writers or each other —
    # with IMMEDIATE everywhere, one slow page held every other request up.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA busy_timeout = 15000")
        if not in_memory:
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:
        reading = has_request_context() and request.method in SAFE_METHODS
        connection.exec_driver_sql("BEGIN" if reading else "BEGIN IMMEDIATE")
