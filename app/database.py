"""Engine set-up per backend: SQLite gets the locking that PostgreSQL has built in."""

from __future__ import annotations

import sqlite3

from flask import Flask, has_request_context, request
from sqlalchemy import event
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
