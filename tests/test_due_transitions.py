"""A week's date-driven state changes happen by the next request, with no cron and no one
opening the rotation page: a week past its deadline reads "Nominaciones cerradas" at once."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.domain import slot_states
from app.extensions import db as _db
from app.models import AuditEvent, Slot, SlotState
from tests.conftest import csrf_token, login, page_statements
from tests.factories import make_category, make_nominations_world, register


def _closing_events() -> int:
    return _db.session.execute(
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.action == "slot.close_nominations")
    ).scalar_one()


@pytest.mark.db
def test_a_week_past_its_deadline_reads_closed_on_the_next_request(app, db, client, backend):
    w = make_nominations_world(app)
    slot = w["slot"]
    person = register(w["melipilla"], make_category("tejidos"), "12345678-5")
    db.session.commit()
    login(client, "coordinador@example.com")
    before = client.get(f"/rotation/slots/{slot.id}").get_data(as_text=True)
    assert "Nominaciones abiertas" in before
    feed_before = client.get("/calendar/mall.ics").headers["ETag"]

    app.config["FIXED_NOW"] = slot.nominations_deadline + timedelta(minutes=1)
    # Not the rotation page, not the CLI: any page moves the week.
    assert client.get("/").status_code == 200
    db.session.expire_all()
    assert db.session.get(Slot, slot.id).state is SlotState.NOMINATIONS_CLOSED
    assert _closing_events() == 1
    page = client.get(f"/rotation/slots/{slot.id}").get_data(as_text=True)
    assert "Nominaciones cerradas" in page
    assert client.get("/calendar/mall.ics").headers["ETag"] != feed_before

    officer = app.test_client()
    login(officer, "melipilla@example.com")
    url = f"/nominations/{slot.id}/{w['melipilla'].id}"
    assert "Nominaciones cerradas" in officer.get(url).get_data(as_text=True)
    refused = officer.post(
        f"{url}/nominate",
        data={"entrepreneur_id": person.id, "csrf_token": csrf_token(officer, url)},
    )
    assert refused.status_code == 409
    assert "El plazo para nominar venció" in refused.get_data(as_text=True)
    assert _closing_events() == 1  # moved once, not on every request


@pytest.mark.db
def test_a_published_week_starts_and_ends_with_its_dates(app, db, client, backend):
    w = make_nominations_world(app)
    slot = w["slot"]
    slot.state = SlotState.PUBLISHED
    db.session.commit()
    app.config["FIXED_NOW"] = slot.nominations_deadline + timedelta(days=14, hours=2)
    assert client.get("/mall").status_code == 200  # a visitor, signed out
    db.session.expire_all()
    assert db.session.get(Slot, slot.id).state is SlotState.IN_PROGRESS

    app.config["FIXED_NOW"] += timedelta(days=8)
    assert client.get("/calendar/mall.ics").status_code == 200
    db.session.expire_all()
    assert db.session.get(Slot, slot.id).state is SlotState.COMPLETED
    assert slot_states.next_due() is None


@pytest.mark.db
def test_concurrent_first_requests_move_a_week_once(app, db, backend):
    w = make_nominations_world(app)
    app.config["FIXED_NOW"] = w["slot"].nominations_deadline + timedelta(seconds=1)
    db.session.commit()
    statuses: list[int] = []
    barrier = threading.Barrier(6)

    def visit() -> None:
        client = app.test_client()
        barrier.wait()
        statuses.append(client.get("/mall").status_code)

    threads = [threading.Thread(target=visit) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * 6
    db.session.expire_all()
    assert db.session.get(Slot, w["slot"].id).state is SlotState.NOMINATIONS_CLOSED
    assert _closing_events() == 1


def test_a_request_with_nothing_due_asks_the_database_nothing_more(app, db, client):
    make_nominations_world(app)
    client.get("/healthz")
    client.get("/mall")  # notes when the next change falls due
    with page_statements() as seen:
        client.get("/calendar/mall.ics", headers={"If-None-Match": '"x"'})
    assert not [s for s in seen if "min(slot.nominations_deadline)" in s]


def test_the_cli_still_advances_for_cron(app, db):
    w = make_nominations_world(app)
    app.config["FIXED_NOW"] = w["slot"].nominations_deadline + timedelta(minutes=1)
    result = app.test_cli_runner().invoke(args=["rotation", "advance"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert db.session.get(Slot, w["slot"].id).state is SlotState.NOMINATIONS_CLOSED
