"""Engine set-up per backend: SQLite gets the locking that PostgreSQL has built in."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from time import monotonic
from typing import Any, NamedTuple

from flask import Flask, g, has_request_context, request
from sqlalchemy import Select, event, exc
from sqlalchemy.engine import Connection, Dialect, Engine

from app.extensions import db

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_WRITING = "vitrina_writing"


def _reads_only() -> bool:
    """Whether the transaction about to begin belongs to a request that only reads."""
    return has_request_context() and request.method in SAFE_METHODS and not g.get(_WRITING, False)


@contextmanager
def writing() -> Iterator[None]:
    """Transactions begun inside the block may write, even during a GET: BEGIN IMMEDIATE on
    SQLite (queue for the lock instead of failing on a read snapshot), a real transaction on
    PostgreSQL. For the one write a read may do: bringing the weeks' states up to the clock."""
    before = g.get(_WRITING, False)
    setattr(g, _WRITING, True)
    try:
        yield
    finally:
        setattr(g, _WRITING, before)


class DriverQuery(NamedTuple):
    """A SELECT compiled once for one dialect, run on the driver's own cursor (fetch_one)."""

    sql: str
    order: tuple[str, ...] | None  # the parameters' order, for a positional paramstyle
    constants: dict[str, Any]  # the statement's own bound values
    processors: tuple[Callable[[Any], Any] | None, ...]  # each column's result conversion


def driver_query(statement: Select, dialect: Dialect) -> DriverQuery:
    """Compiles `statement` for fetch_one. Only what passes through unchanged is accepted: a
    parameter that a type converts on the way in, that expands (IN lists), is rendered into
    the SQL at run time or is computed by a callable is refused; result types are asked for
    their conversion without the driver's type code (a type that needs it raises here)."""
    compiled = statement.compile(dialect=dialect)
    for bind in compiled.binds.values():
        if bind.expanding or bind.literal_execute or bind.callable is not None:
            raise ValueError(f"{bind.key} is set at run time: run it through execute()")
        if bind.type.dialect_impl(dialect).bind_processor(dialect) is not None:
            raise ValueError(f"{bind.key} needs converting on the way in: run it through execute()")
    processors = tuple(
        column.type.dialect_impl(dialect).result_processor(dialect, None)
        for column in statement.selected_columns
    )
    order = tuple(compiled.positiontup) if compiled.positional else None
    constants = {
        name: bind.effective_value
        for bind, name in compiled.bind_names.items()
        if not bind.required
    }
    return DriverQuery(str(compiled), order, constants, processors)


def fetch_one(connection: Connection, query: DriverQuery, params: Mapping[str, Any]):
    """The first row of `query` as a tuple of the values SQLAlchemy would give, or None, on a
    connection whose transaction has begun (the ORM session's connection()).

    For the statement every signed-in request runs (app/security.py): through Core's execute(),
    the per-execution set-up (execution context, result metadata, the driver's column
    descriptions, a Row) cost more CPU than the round trip itself on PostgreSQL, ~110 µs per
    request. Here the SQL compiled once goes through SQLAlchemy's cursor-level path, the one it
    uses itself for sequences and defaults (`_cursor_execute`: the engine's cursor events,
    statement rewrites by listeners, echo logging, errors wrapped as execute() wraps them, a
    pool the server dropped invalidated), and the columns' own types convert the values.
    Listeners are given no execution context (None, which SQLAlchemy's event documentation
    allows): Flask-SQLAlchemy's query recording needs one, so the caller uses execute() when
    that is on."""
    values = {**query.constants, **params}
    parameters = tuple(values[name] for name in query.order) if query.order else values
    cursor = connection.connection.cursor()
    try:
        connection._cursor_execute(cursor, query.sql, parameters)
        try:
            row = cursor.fetchone()
        except BaseException as error:
            connection._handle_dbapi_exception(error, query.sql, parameters, cursor, None)
    finally:
        cursor.close()
    if row is None:
        return None
    return tuple(
        value if process is None else process(value)
        for process, value in zip(query.processors, row, strict=True)
    )


def configure(app: Flask) -> None:
    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "sqlite":
            _configure_sqlite(
                engine, in_memory=":memory:" in str(engine.url) or engine.url.database in (None, "")
            )
        else:
            _ping_when_idle(engine, after=app.config["DB_PING_AFTER_IDLE"])
            _read_without_transaction(engine)


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


# A statement that only reads: a SELECT that takes no row locks. Anything else (INSERT, UPDATE,
# DELETE, SAVEPOINT, a CTE, SELECT ... FOR UPDATE/SHARE) is treated as writing.
_LOCKS = re.compile(r"\bFOR\s+(?:NO\s+KEY\s+UPDATE|UPDATE|KEY\s+SHARE|SHARE)\b", re.IGNORECASE)
_READING = "vitrina.reading"


def _only_reads(statement: str) -> bool:
    if statement.lstrip()[:6].upper() != "SELECT":
        return False
    # Runs before every statement: the case-blind search costs ~8 µs on a long SELECT, finding
    # no "for" at all ~0.6 µs, and most statements have none.
    return "for" not in statement.lower() or not _LOCKS.search(statement)


def _read_without_transaction(engine: Engine) -> None:
    # A transaction costs a PostgreSQL client two round trips of its own: BEGIN before the first
    # statement and ROLLBACK when the connection goes back to the pool. A cached signed-in page
    # runs one statement (the sign-in lookup), so those two tripled its database time. Under
    # READ COMMITTED, PostgreSQL's default and ours, each statement of a transaction sees what
    # was committed before that statement began, exactly as a statement on its own does: a
    # request that only reads loses nothing without one. So safe-method requests start in
    # autocommit, and the first statement that writes or locks rows (a lazy state advance, a
    # SELECT ... FOR UPDATE) switches the connection back first: from there on everything runs
    # in one transaction that commits or rolls back whole, as in any other request.
    # What a plain SELECT cannot do here: see a snapshot across statements (ask for it with an
    # explicit isolation_level, which is left alone), stream through a server-side cursor (those
    # switch too), or hold something until the end of a transaction (pg_advisory_xact_lock,
    # set_config(..., true)): a GET that needs one locks or writes a row first.
    @event.listens_for(engine, "begin")
    def _begin_reading(connection) -> None:
        if not _reads_only():
            return
        if "isolation_level" in connection.get_execution_options():
            return  # the caller chose how this transaction reads
        pooled = connection.connection
        if pooled.dbapi_connection.autocommit:  # someone else's autocommit: not ours to manage
            return
        pooled.dbapi_connection.autocommit = True
        pooled.info[_READING] = True

    @event.listens_for(engine, "before_cursor_execute")
    def _transaction_before_writing(connection, _cursor, statement, _params, context, _many):
        pooled = connection.connection
        if not pooled.info.get(_READING):
            return
        # A server-side cursor (yield_per, stream_results) is a DECLARE: transactions only.
        streaming = context is not None and context.execution_options.get("stream_results")
        if streaming or not _only_reads(statement):
            pooled.info.pop(_READING)
            pooled.dbapi_connection.autocommit = False  # psycopg sends BEGIN before this statement

    @event.listens_for(engine, "checkin")
    def _back_to_transactions(dbapi_connection, record) -> None:
        # The pool's next user expects the driver's default: a transaction per unit of work.
        reading = record.info.pop(_READING, False)
        if not reading or dbapi_connection is None or dbapi_connection.closed:
            return
        try:
            dbapi_connection.autocommit = False
        except engine.dialect.loaded_dbapi.Error:
            record.invalidate()  # a connection in an unknown state is replaced, never reused


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
        connection.exec_driver_sql("BEGIN" if _reads_only() else "BEGIN IMMEDIATE")
