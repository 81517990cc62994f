"""Reminders the clock sends (run by the worker): officers before their nomination deadline,
entrepreneurs before their week. Each is queued once (its outbox key), however often the
worker looks."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select

from app import clock
from app.domain.roster import on_published_roster
from app.extensions import db
from app.models import (
    Nomination,
    NominationState,
    Slot,
    SlotAllocation,
    SlotState,
    StandAssignment,
)
from app.notifications import outbox, rules

DEADLINE_NOTICE = timedelta(days=3)  # officers: this long before the list closes
WEEK_NOTICE = timedelta(days=2)  # entrepreneurs: this many days before their first day


def queue_due(now: datetime | None = None) -> int:
    now = now or clock.now_utc()
    return _deadlines(now) + _weeks(now)


def _deadlines(now: datetime) -> int:
    """Each commune with stands in a week still open, whose list is not all sent, hears
    three days before the deadline how many it has nominated."""
    queued = 0
    slots = db.session.execute(
        select(Slot).where(
            Slot.state == SlotState.NOMINATIONS_OPEN,
            Slot.nominations_deadline > now,
            Slot.nominations_deadline <= now + DEADLINE_NOTICE,
        )
    ).scalars()
    for slot in slots:
        drafts = dict(
            db.session.execute(
                select(Nomination.commune_id, func.count())
                .where(Nomination.slot_id == slot.id, Nomination.state == NominationState.DRAFT)
                .group_by(Nomination.commune_id)
            ).all()
        )
        sent = dict(
            db.session.execute(
                select(Nomination.commune_id, func.count())
                .where(
                    Nomination.slot_id == slot.id,
                    Nomination.state == NominationState.SUBMITTED,
                )
                .group_by(Nomination.commune_id)
            ).all()
        )
        allocations = db.session.execute(
            select(SlotAllocation).where(
                SlotAllocation.slot_id == slot.id, SlotAllocation.stands > 0
            )
        ).scalars()
        for allocation in allocations:
            if sent.get(allocation.commune_id) and not drafts.get(allocation.commune_id):
                continue  # the list is in
            link = outbox.absolute_url(
                "nominations.show", slot_id=slot.id, commune_id=allocation.commune_id
            )
            queued += rules.tell(
                rules.officers(allocation.commune_id),
                f"deadline:{slot.id}:{slot.nominations_deadline:%Y%m%dT%H%M}",
                "deadline_reminder",
                {
                    "slot": slot,
                    "stands": allocation.stands,
                    "drafts": drafts.get(allocation.commune_id, 0),
                    "sent": sent.get(allocation.commune_id, 0),
                    "link": link,
                },
            )
    return queued


def _weeks(now: datetime) -> int:
    """Entrepreneurs on a published roster hear two days before their week begins."""
    today = now.astimezone(clock.VENUE_TZ).date()
    rows = db.session.execute(
        select(Nomination, StandAssignment)
        .join(StandAssignment, StandAssignment.nomination_id == Nomination.id)
        .join(Slot, Slot.id == Nomination.slot_id)
        .where(
            on_published_roster(),
            Slot.starts_on > today,
            Slot.starts_on <= today + WEEK_NOTICE,
        )
    ).all()
    queued = 0
    for nomination, assignment in rows:
        entrepreneur = nomination.entrepreneur
        if not entrepreneur.email:
            continue
        slot = nomination.slot
        queued += bool(
            outbox.enqueue(
                key=f"week:{nomination.id}:{slot.starts_on:%Y%m%d}",
                recipient=entrepreneur.email,
                locale="es",
                template="week_reminder",
                context={
                    "entrepreneur": entrepreneur,
                    "slot": slot,
                    "stand": assignment.stand.code,
                    "link": outbox.absolute_url("calendars.week", slot_id=slot.id),
                },
            )
        )
    return queued
