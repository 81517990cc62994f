"""Reading the audit trail: filtered, newest first, one page at a time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from app import clock
from app.extensions import db
from app.models import AuditEvent, Entrepreneur, Role, User

PAGE_SIZE = 50


@dataclass
class AuditPage:
    events: list[AuditEvent]
    page: int
    pages: int
    total: int


def search(
    *,
    slot_id: int | None = None,
    commune_id: int | None = None,
    entrepreneur_id: int | None = None,
    action_prefix: str | None = None,
    actor_id: int | None = None,
    week_of: date | None = None,
    page: int = 1,
) -> AuditPage:
    """One page of the trail, newest first. ``week_of``: the changes made in the week (Monday
    to Sunday at the mall) that holds this day."""
    query = select(AuditEvent)
    if actor_id:
        query = query.where(AuditEvent.actor_id == actor_id)
    if week_of:
        monday = week_of - timedelta(days=week_of.weekday())
        query = query.where(
            AuditEvent.at >= clock.venue_midnight(monday),
            AuditEvent.at < clock.venue_midnight(monday + timedelta(days=7)),
        )
    if slot_id:
        query = query.where(AuditEvent.slot_id == slot_id)
    if commune_id:
        query = query.where(AuditEvent.commune_id == commune_id)
    if entrepreneur_id:
        query = query.where(AuditEvent.entrepreneur_id == entrepreneur_id)
    if action_prefix:
        query = query.where(AuditEvent.action.startswith(action_prefix, autoescape=True))
    total = db.session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(page, 1), pages)
    events = db.session.execute(
        query.options(selectinload(AuditEvent.actor))
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
    ).scalars()
    return AuditPage(list(events), page, pages, total)


def recent_weeks(today: date, count: int = 12) -> list[date]:
    """The Mondays of this week and the ``count - 1`` before it: the week filter's choices."""
    monday = today - timedelta(days=today.weekday())
    return [monday - timedelta(weeks=n) for n in range(count)]


# --- the trail as people read it ------------------------------------------------------------

# A stand given is recorded apart from the approval that gave it; shown as one change.
_GIVES_STAND = ("nomination.approve", "nomination.promote")
_SAME_MOMENT = timedelta(seconds=5)


@dataclass
class Entry:
    """One change as people read it: the entrepreneur named, a stand given with it."""

    event: AuditEvent
    entrepreneur: str | None = None  # business name
    stand: str | None = None


def readable(events: list[AuditEvent]) -> list[Entry]:
    """The events in words' order, each change once: a change filed under two weeks (a swap)
    appears once, and the stand given with an approval is folded into that approval. One
    query for the entrepreneurs' names."""
    ids = {e.entrepreneur_id for e in events if e.entrepreneur_id}
    names = (
        dict(
            db.session.execute(
                select(Entrepreneur.id, Entrepreneur.business_name).where(Entrepreneur.id.in_(ids))
            ).all()
        )
        if ids
        else {}
    )
    seen: set[tuple] = set()
    entries: list[Entry] = []
    for event in events:
        key = (event.action, event.object_type, event.object_id, event.at)
        if key in seen:
            continue
        seen.add(key)
        entries.append(Entry(event, names.get(event.entrepreneur_id)))
    folded: set[int] = set()
    for entry in entries:
        if entry.event.action not in _GIVES_STAND:
            continue
        for other in entries:
            e = other.event
            if (
                e.action == "stand.assign"
                and id(other) not in folded
                and e.entrepreneur_id == entry.event.entrepreneur_id
                and e.slot_id == entry.event.slot_id
                and abs(e.at - entry.event.at) <= _SAME_MOMENT
            ):
                entry.stand = (e.after or {}).get("stand")
                folded.add(id(other))
                break
    return [entry for entry in entries if id(entry) not in folded]


# What each person is shown on the home page as changed since their previous sign-in.
OFFICER_NEWS = (
    "nomination.approve",
    "nomination.promote",
    "nomination.reject",
    "nomination.waitlist",
    "nomination.confirm",
    "nomination.cancel",
    "stand.assign",
)
MALL_NEWS = ("nomination.submit", "nomination.withdraw", "swap.request", "swap.accept")


@dataclass
class SinceVisit:
    since: datetime
    counts: dict[str, int]  # action → how many (approvals, rejections…)
    latest: list[Entry]


def since_visit(user: User, since: datetime | None, *, limit: int = 8) -> SinceVisit | None:
    """What others changed that concerns ``user`` since ``since`` (their previous sign-in):
    an officer, their commune's nominations decided; the mall, lists sent and withdrawals.
    Three queries whatever the number of changes."""
    if since is None or user.role is Role.VIEWER:
        return None
    actions = OFFICER_NEWS if user.role is Role.OFFICER else MALL_NEWS
    query = select(AuditEvent).where(
        AuditEvent.at > since,
        AuditEvent.action.in_(actions),
        or_(AuditEvent.actor_id.is_(None), AuditEvent.actor_id != user.id),
    )
    if user.role is Role.OFFICER:
        query = query.where(AuditEvent.commune_id == user.commune_id)
    found = query.subquery()
    counts = dict(
        db.session.execute(select(found.c.action, func.count()).group_by(found.c.action)).all()
    )
    events = list(
        db.session.execute(
            query.options(selectinload(AuditEvent.actor))
            .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
            .limit(limit * 2)
        ).scalars()
    )
    counts.pop("stand.assign", None)
    return SinceVisit(since, counts, readable(events)[:limit])
