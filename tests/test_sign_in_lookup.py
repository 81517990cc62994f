"""The sign-in lookup runs on the driver's cursor (app/database.py: fetch_one) and must give
exactly what SQLAlchemy would: the same values, of the same types, seen by the same listeners."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import bindparam, event, exc, select

from app import database
from app.extensions import db
from app.models import Role, User
from app.models.inbox import InboxItem
from app.models.types import UTCDateTime
from app.security import _user_statement
from tests.conftest import (
    IsolatedClient,
    login,
    make_app,
    page_statements,
    terminate_backend,
)
from tests.factories import make_communes, make_user


def _officer() -> User:
    commune = make_communes()[0]
    # Not the first account: its id must differ from the statement's own constant (the data
    # version's row, 1), or parameters passed in the wrong order would go unnoticed.
    make_user("coordinacion@example.com", Role.COORDINATOR)
    user = make_user("oficina@example.com", Role.OFFICER, commune, name="Oficina Melipilla")
    user.must_change_password = True
    user.last_login_at = datetime(2026, 11, 30, 12, 5, tzinfo=UTC)
    user.previous_login_at = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
    for n, read in enumerate((None, None, datetime(2026, 11, 3, tzinfo=UTC))):
        db.session.add(
            InboxItem(user_id=user.id, key=f"k{n}", subject="Aviso", sentence="", read_at=read)
        )
    db.session.commit()
    return user


def _lookup():
    """The sign-in lookup compiled for the session's connection, and that connection."""
    statement, _ = _user_statement()
    connection = db.session.connection()
    return database.driver_query(statement, connection.dialect), connection


@pytest.mark.db
def test_the_lookup_gives_what_sqlalchemy_gives_value_for_value(app, db, backend):
    user_id = _officer().id
    statement, names = _user_statement()
    assert user_id != 1
    query, connection = _lookup()
    expected = tuple(connection.execute(statement, {"user_id": user_id}).one())
    got = database.fetch_one(connection, query, {"user_id": user_id})
    assert got == expected
    assert [type(v) for v in got] == [type(v) for v in expected]
    values = dict(zip(names, got, strict=False))
    assert values["role"] is Role.OFFICER  # the enum, not its string
    assert values["previous_login_at"] == datetime(2026, 11, 2, 9, 30, tzinfo=UTC)  # aware
    assert values["must_change_password"] is True and values["active"] is True
    assert got[len(names)] == 2  # unread notices
    assert database.fetch_one(connection, query, {"user_id": user_id + 1000}) is None


@pytest.mark.db
def test_a_signed_in_request_still_shows_its_lookup_to_the_engines_listeners(
    app, client, db, backend
):
    _officer().must_change_password = False
    db.session.commit()
    assert login(client, "oficina@example.com").status_code == 302
    with page_statements() as seen:
        assert client.get("/avisos/").status_code == 200
    lookups = [s for s in seen if "FROM user_account" in s and "inbox_item" in s]
    assert len(lookups) == 1


def test_a_statement_whose_parameters_are_not_plain_values_is_refused(app, db):
    # Values going in are passed to the driver as they are: a type that converts them (an
    # aware datetime stored as UTC) must go through execute().
    statement = select(User.id).where(User.created_at > bindparam("since", type_=UTCDateTime))
    dialect = db.session.connection().dialect
    with pytest.raises(ValueError, match="since"):
        database.driver_query(statement, dialect)
    # Nor is a parameter whose SQL is only known at run time (an IN list).
    expanding = select(User.id).where(User.id.in_(bindparam("ids", expanding=True)))
    with pytest.raises(ValueError, match="ids"):
        database.driver_query(expanding, dialect)


@pytest.mark.db
def test_a_driver_error_is_reported_as_execute_reports_it(app, db, backend):
    user_id = _officer().id
    query, connection = _lookup()
    dbapi = connection.dialect.loaded_dbapi
    refusal = dbapi.OperationalError("canceling statement due to statement timeout")

    def fail(*_):
        raise refusal

    event.listen(db.engine, "before_cursor_execute", fail)
    try:
        with pytest.raises(exc.OperationalError) as raised:  # what the 503 page handles
            database.fetch_one(connection, query, {"user_id": user_id})
    finally:
        event.remove(db.engine, "before_cursor_execute", fail)
    assert raised.value.orig is refusal and not raised.value.connection_invalidated
    assert not connection.invalidated


@pytest.mark.postgres_only
def test_a_connection_the_server_dropped_is_discarded(app, db, backend):
    user_id = _officer().id
    query, connection = _lookup()
    pid = connection.connection.dbapi_connection.info.backend_pid
    terminate_backend(pid)
    with pytest.raises(exc.OperationalError) as raised:
        database.fetch_one(connection, query, {"user_id": user_id})
    assert raised.value.connection_invalidated and connection.invalidated
    db.session.rollback()
    # The session's next connection is a new one, and the lookup answers on it.
    connection = db.session.connection()
    assert connection.connection.dbapi_connection.info.backend_pid != pid
    assert database.fetch_one(connection, query, {"user_id": user_id})[0] == user_id


@pytest.mark.postgres_only
def test_a_server_restart_costs_one_failed_lookup_not_one_per_pooled_connection(app, db, backend):
    """As with execute(): the first statement to meet a dropped connection invalidates the
    whole pool, so the older connections are replaced on checkout instead of failing too."""
    user_id = _officer().id
    db.session.rollback()  # its connection back in the pool too
    # Every connection in the pool and one more: at least two, all dead once returned.
    held = [db.engine.connect() for _ in range(db.engine.pool.checkedin() + 1)]
    pids = [c.connection.dbapi_connection.info.backend_pid for c in held]
    for connection in held:
        connection.close()
    for pid in pids:
        terminate_backend(pid)
    outcomes = []
    for _ in range(2):
        query, connection = _lookup()
        try:
            outcomes.append(database.fetch_one(connection, query, {"user_id": user_id})[0])
        except exc.OperationalError:
            outcomes.append("failed")
        db.session.rollback()
    assert outcomes == ["failed", user_id]


def test_listeners_may_rewrite_the_statement_and_see_it_run(app, db):
    """A listener registered with retval=True (an SQL commenter, a tracer) rewrites what is
    sent; after_cursor_execute sees what ran."""
    user_id = _officer().id
    query, connection = _lookup()
    ran = []

    def comment(_conn, _cursor, statement, parameters, _context, _many):
        return "/* traced */ " + statement, parameters

    def after(_conn, _cursor, statement, *_):
        ran.append(statement)

    event.listen(db.engine, "before_cursor_execute", comment, retval=True)
    event.listen(db.engine, "after_cursor_execute", after)
    try:
        assert database.fetch_one(connection, query, {"user_id": user_id})[0] == user_id
    finally:
        event.remove(db.engine, "before_cursor_execute", comment)
        event.remove(db.engine, "after_cursor_execute", after)
    assert len(ran) == 1 and ran[0].startswith("/* traced */ SELECT user_account.id")


def test_with_query_recording_on_the_lookup_goes_through_execute(app_config):
    # Flask-SQLAlchemy's recorder (what debug toolbars read) keeps its timing on the execution
    # context, which the driver path does not build.
    recording = make_app(app_config, SQLALCHEMY_RECORD_QUERIES=True)
    recording.test_client_class = IsolatedClient  # each request loads its user, as in production
    with recording.app_context():
        db.create_all()
        _officer().must_change_password = False
        db.session.commit()
        client = recording.test_client()
        assert login(client, "oficina@example.com").status_code == 302
        assert client.get("/avisos/").status_code == 200
        db.session.remove()
        db.engine.dispose()
