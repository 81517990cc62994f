"""An entrepreneur's stand by e-mail as a calendar invitation (iMIP, RFC 6047): REQUEST with
the private feed's UID when the week is published, a higher SEQUENCE when the stand changes,
CANCEL when it is withdrawn, so mail clients add, move and remove the week themselves."""

from __future__ import annotations

import pytest
from icalendar import Calendar
from sqlalchemy import select

from app.domain import nominations, review, slot_states
from app.extensions import db as _db
from app.models import OutboxMessage, Stand
from app.notifications import worker
from tests.factories import make_nominations_world, register
from tests.test_notifications import smtp  # noqa: F401 - the SMTP server fixture


def invitations() -> list[OutboxMessage]:
    return list(
        _db.session.execute(
            select(OutboxMessage)
            .where(OutboxMessage.calendar.is_not(None))
            .order_by(OutboxMessage.id)
        ).scalars()
    )


def event_of(message: OutboxMessage):
    calendar = Calendar.from_ical(message.calendar)
    (event,) = [c for c in calendar.walk("VEVENT") if "RECURRENCE-ID" not in c]
    return calendar, event


@pytest.fixture
def seated(app, db):
    """Ana's honey stall, nominated by Melipilla, approved with a stand; the week not yet
    published (nothing is in her calendar yet)."""
    w = make_nominations_world(app)
    users = w["users"]
    person = register(
        w["melipilla"], w["crafts"], "12345678-5", business_name="Miel Ana", email="ana@example.com"
    )
    nomination = nominations.nominate(w["slot"], person, by=users["officer"])
    nominations.submit_list(w["slot"], w["melipilla"], by=users["officer"])
    review.approve(nomination, by=users["coordinator"])
    db.session.commit()
    return w, nomination


@pytest.mark.db
def test_publishing_invites_then_a_new_stand_updates_and_cancelling_removes(
    seated, db, backend, icaljs
):
    w, nomination = seated
    coordinator = w["users"]["coordinator"]
    assert invitations() == []  # approved, but the week is not published
    slot_states.transition_slot(w["slot"], "close_nominations", by=coordinator)
    slot_states.transition_slot(w["slot"], "publish", by=coordinator)
    db.session.commit()
    (invite,) = invitations()
    assert invite.recipient == "ana@example.com" and invite.calendar_method == "REQUEST"
    calendar, event = event_of(invite)
    assert calendar["METHOD"] == "REQUEST"
    uid = str(event["UID"])
    assert uid == f"stand-{nomination.id}@vitrina.espaciourbano-melipilla"  # the feed's UID
    assert str(event["ATTENDEE"]) == "mailto:ana@example.com"
    assert str(event["ORGANIZER"]).startswith("mailto:")
    first_sequence = int(event["SEQUENCE"])
    parsed = icaljs(invite.calendar.encode())
    assert parsed["method"] == "REQUEST" and parsed["events"][0]["uid"] == uid
    assert "stand" in invite.subject.lower() and "Miel Ana" in invite.body_text

    current = review.live_assignment_of(nomination).stand
    other = _db.session.execute(
        select(Stand).where(Stand.id != current.id, Stand.food_allowed.is_(False)).limit(1)
    ).scalar_one()
    review.reassign(nomination, other, by=coordinator)
    db.session.commit()
    moved = invitations()[-1]
    _, event = event_of(moved)
    assert moved.calendar_method == "REQUEST" and str(event["UID"]) == uid
    assert int(event["SEQUENCE"]) > first_sequence
    assert other.code in str(event["LOCATION"])

    review.decide(nomination, "cancel", by=coordinator, reason="No confirmó")
    db.session.commit()
    cancelled = invitations()[-1]
    calendar, event = event_of(cancelled)
    assert calendar["METHOD"] == "CANCEL" and cancelled.calendar_method == "CANCEL"
    assert str(event["UID"]) == uid and str(event["STATUS"]) == "CANCELLED"
    assert int(event["SEQUENCE"]) > int(event_of(moved)[1]["SEQUENCE"])
    assert len(invitations()) == 3


def test_a_stand_withdrawn_before_publication_sends_nothing(seated, db):
    w, nomination = seated
    review.decide(nomination, "cancel", by=w["users"]["coordinator"], reason="Cambio de planes")
    db.session.commit()
    assert invitations() == []


def test_the_invitation_goes_out_as_an_imip_part(app, seated, db, smtp):  # noqa: F811
    w, _nomination = seated
    coordinator = w["users"]["coordinator"]
    slot_states.transition_slot(w["slot"], "close_nominations", by=coordinator)
    slot_states.transition_slot(w["slot"], "publish", by=coordinator)
    db.session.commit()
    worker.run_once()
    (mail,) = [m for m in smtp.received if m["To"] == "ana@example.com"]
    parts = {part.get_content_type(): part for part in mail.walk()}
    calendar = parts["text/calendar"]
    assert calendar.get_param("method") == "REQUEST"  # matches the calendar's METHOD
    assert "METHOD:REQUEST" in calendar.get_content()
    assert "text/plain" in parts and "text/html" in parts
