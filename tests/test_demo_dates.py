"""The demo works on every date: loaded on any day, each week is in the state that day implies,
nothing is left for the clock to move, and the main pages answer for every role.

The days sampled are the ones where something changes (each month's nomination deadline, the
day after it, publication, the week's first day and the day after it ends), the turn of the
year and both clock changes, over the twelve months of a year that is not the suite's own.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from app import clock
from app.demo.loader import PUBLISH_DAYS_BEFORE, load_demo
from app.domain import slot_states, weeks
from app.models import Nomination, NominationState, Slot, SlotState, WeekRule
from tests.conftest import login

pytestmark = pytest.mark.date_sweep

YEAR = 2027
S = SlotState


def _noon(day: date) -> datetime:
    return datetime.combine(day, time(12), tzinfo=clock.VENUE_TZ).astimezone(UTC)


def _sample_days() -> list[date]:
    days = {date(YEAR, 1, 1), date(YEAR, 1, 2), date(YEAR, 12, 31)}
    days |= {date(YEAR, 4, 3), date(YEAR, 4, 4), date(YEAR, 9, 5)}  # clock changes in 2027
    for month in range(1, 13):
        # The demo program's rule: the second full week, nominations close 14 days before.
        starts_on, ends_on = weeks.week_for(
            WeekRule.NTH_FULL_WEEK, YEAR, month, n=2, weekday=0, week_start=0, length=7
        )
        deadline_day = starts_on - timedelta(days=14)
        days |= {
            deadline_day,
            deadline_day + timedelta(days=1),
            starts_on - timedelta(days=PUBLISH_DAYS_BEFORE),
            starts_on,
            ends_on + timedelta(days=1),
        }
    return sorted(days)


DAYS = _sample_days()


def _expected(slot: Slot, now: datetime, today: date) -> set[SlotState]:
    """What a person would expect of a week on this day, from its dates alone."""
    if slot.ends_on < today:
        return {S.COMPLETED}
    if slot.starts_on <= today:
        return {S.IN_PROGRESS}
    if slot.nominations_deadline <= now:
        return {S.NOMINATIONS_CLOSED, S.PUBLISHED}
    return {S.NOMINATIONS_OPEN, S.PLANNED}


def _pages(slots: list[Slot], commune_id: int) -> dict[str, list[str]]:
    live = [s for s in slots if s.state is not S.PLANNED]
    week = live[-1] if live else slots[0]
    own = [s for s in live if any(a.commune_id == commune_id for a in s.allocations)]
    own_week = [f"/nominations/{own[-1].id}/{commune_id}"] if own else []
    shown = [s for s in slots if s.state in (S.PUBLISHED, S.IN_PROGRESS, S.COMPLETED)]
    public = [f"/calendar/weeks/{shown[-1].id}"] if shown else []
    return {
        "": ["/mall", "/mall/communes/melipilla", "/calendar/mall.ics", *public],
        "admin@example.com": ["/", "/admin/users", "/audit/"],
        "coordinador@example.com": [
            "/",
            f"/rotation/programs/{week.program_id}/years/{week.year}",
            f"/rotation/slots/{week.id}",
            f"/review/slots/{week.id}",
            "/nominations/",
            "/stands/",
            f"/stands/?slot={week.id}",
            "/registry/",
            "/calendar/",
        ],
        "viewer@example.com": ["/", f"/review/slots/{week.id}", "/rotation/", "/calendar/"],
        "melipilla@example.com": [
            "/",
            "/nominations/",
            *own_week,
            "/registry/",
            f"/rotation/programs/{week.program_id}/years/{week.year}",
        ],
    }


@pytest.mark.parametrize("day", DAYS, ids=[d.isoformat() for d in DAYS])
def test_demo_loaded_on_any_day_is_in_the_state_the_day_implies(app, db, day):
    now = _noon(day)
    app.config["FIXED_NOW"] = now
    load_demo(today=day)
    db.session.commit()

    slots = list(db.session.execute(select(Slot).order_by(Slot.starts_on)).scalars())
    # The program covers the day it was loaded on, with half a year of weeks on either side.
    assert slots[0].starts_on <= day - timedelta(days=150)
    assert slots[-1].ends_on >= day + timedelta(days=150)
    assert len([s for s in slots if s.state is S.COMPLETED]) >= 5
    for slot in slots:
        assert slot.state in _expected(slot, now, day), (slot, slot.state)
        if slot.state is S.PUBLISHED:
            assert day >= slot.starts_on - timedelta(days=PUBLISH_DAYS_BEFORE)
    # Nothing is due: the clock would move no week (no open week past its deadline, no
    # published week that has begun, no week in progress that has ended).
    assert slot_states.advance_by_date(now=now) == []
    assert slot_states.next_due() is None or slot_states.next_due() > now
    # The next weeks take nominations, and some are already nominated.
    upcoming = [s for s in slots if s.state is S.NOMINATIONS_OPEN]
    assert upcoming, "no week takes nominations"
    drafted = db.session.execute(
        select(func.count())
        .select_from(Nomination)
        .where(Nomination.slot_id.in_([s.id for s in upcoming]))
    ).scalar_one()
    assert drafted > 0
    # Whatever is decided was decided before today.
    latest = db.session.execute(select(func.max(Nomination.updated_at))).scalar_one()
    assert latest <= now
    attended = db.session.execute(
        select(Slot.starts_on)
        .join(Nomination, Nomination.slot_id == Slot.id)
        .where(Nomination.state == NominationState.ATTENDED)
    ).scalars()
    assert all(start <= day for start in attended)

    melipilla = next(
        a.commune_id for s in slots for a in s.allocations if a.commune.slug == "melipilla"
    )
    for email, paths in _pages(slots, melipilla).items():
        client = app.test_client()
        if email:
            assert login(client, email).status_code == 302
        for path in paths:
            response = client.get(path, follow_redirects=True)
            assert response.status_code == 200, (email, path, response.status_code)
