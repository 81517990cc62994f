"""On PostgreSQL a request that only reads runs without a transaction (no BEGIN, no ROLLBACK:
two round trips fewer); the first statement that writes or locks opens one (app/database.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event, select

from app.database import _only_reads
from app.extensions import db as _db
from app.models import Slot, SlotState
from tests.conftest import csrf_token, login
from tests.factories import make_nominations_world


def _record(engine) -> tuple[list[tuple[bool, str]], callable]:
    """Each statement with whether its connection was in autocommit when it ran."""
    seen: list[tuple[bool, str]] = []

    def before(conn, _cursor, statement, *_):
        seen.append((conn.connection.dbapi_connection.autocommit, statement))

    event.listen(engine, "before_cursor_execute", before)
    return seen, lambda: event.remove(engine, "before_cursor_execute", before)


def test_only_plain_selects_count_as_reads():
    assert _only_reads("SELECT users.id FROM users WHERE users.id = %(id)s")
    assert _only_reads("  select 1")
    assert not _only_reads("SELECT slots.id FROM slots WHERE slots.id = 3 FOR UPDATE")
    assert not _only_reads("SELECT slots.id FROM slots FOR NO KEY UPDATE OF slots")
    assert not _only_reads("SELECT 1 FROM slots FOR SHARE")
    assert not _only_reads("select id from slots for update")
    assert _only_reads("SELECT platform.format FROM platform")  # "for" inside names
    assert not _only_reads("UPDATE slots SET state='x'")
    assert not _only_reads("INSERT INTO audit_events (action) VALUES ('x')")
    assert not _only_reads("SAVEPOINT sa_savepoint_1")
    assert not _only_reads("WITH moved AS (DELETE FROM x RETURNING *) SELECT * FROM moved")


@pytest.mark.postgres_only
def test_a_page_that_only_reads_runs_every_statement_outside_a_transaction(app, db, backend):
    slot_id = make_nominations_world(app)["slot"].id
    coordinator = app.test_client()
    login(coordinator, "coordinador@example.com")
    _db.session.remove()  # the test's own session shares the request's (one app context)
    seen, stop = _record(db.engine)
    try:
        page = coordinator.get(f"/review/slots/{slot_id}")
    finally:
        stop()
    assert page.status_code == 200
    assert seen and all(autocommit for autocommit, _ in seen)


@pytest.mark.postgres_only
def test_a_post_after_reads_on_the_same_connection_still_runs_in_one_transaction(app, db, backend):
    make_nominations_world(app)
    client = app.test_client()
    login(client, "coordinador@example.com")
    token = csrf_token(client, "/")  # a GET: its connection goes back to the pool
    _db.session.remove()
    seen, stop = _record(db.engine)
    try:
        response = client.post("/logout", data={"csrf_token": token})
    finally:
        stop()
    assert response.status_code == 302
    assert seen and not any(autocommit for autocommit, _ in seen)


@pytest.mark.postgres_only
def test_a_read_that_writes_switches_to_a_transaction_before_its_first_lock(app, db, backend):
    world = make_nominations_world(app)
    slot = world["slot"]
    coordinator = app.test_client()
    login(coordinator, "coordinador@example.com")
    # The deadline passes: the year page moves the week along as it shows it (a lazy advance).
    app.config["FIXED_NOW"] = slot.nominations_deadline + timedelta(minutes=1)
    path = f"/rotation/programs/{world['program'].id}/years/{slot.year}"
    slot_id = slot.id
    _db.session.remove()
    seen, stop = _record(db.engine)
    try:
        page = coordinator.get(path)
    finally:
        stop()
    assert page.status_code == 200
    first_lock = next(i for i, (_, sql) in enumerate(seen) if "FOR UPDATE" in sql)
    assert all(autocommit for autocommit, _ in seen[:first_lock])  # the sign-in lookup, ...
    writes = [autocommit for autocommit, sql in seen if sql.lstrip().startswith("UPDATE")]
    assert writes and not any(writes) and not seen[first_lock][0]
    _db.session.remove()
    state = _db.session.execute(select(Slot.state).where(Slot.id == slot_id)).scalar_one()
    assert state is SlotState.NOMINATIONS_CLOSED


@pytest.mark.postgres_only
def test_a_write_during_a_read_request_rolls_back_whole(app, db, backend):
    world = make_nominations_world(app)
    slot_id = world["slot"].id
    _db.session.remove()
    with app.test_request_context("/", method="GET"):
        slot = _db.session.get(Slot, slot_id)  # a read, without a transaction
        slot.state = SlotState.CANCELLED
        slot.sequence += 1
        _db.session.flush()  # two statements: the slot and the data version
        _db.session.rollback()
        _db.session.remove()
    state = _db.session.execute(select(Slot.state).where(Slot.id == slot_id)).scalar_one()
    assert state is SlotState.NOMINATIONS_OPEN


@pytest.mark.postgres_only
def test_a_read_that_streams_or_chose_its_isolation_level_runs_in_a_transaction(app, db, backend):
    from sqlalchemy import text

    slot_id = make_nominations_world(app)["slot"].id
    _db.session.remove()
    with app.test_request_context("/", method="GET"):
        # A server-side cursor (DECLARE) only exists inside a transaction.
        streamed = _db.session.execute(select(Slot.id).execution_options(yield_per=1)).scalars()
        assert slot_id in list(streamed)
        _db.session.remove()
        # An explicit isolation level keeps its snapshot: now() is the transaction's start.
        with _db.engine.connect() as conn:
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
            first = conn.execute(text("SELECT now()")).scalar_one()
            conn.execute(text("SELECT pg_sleep(0.01)"))
            assert conn.execute(text("SELECT now()")).scalar_one() == first
