"""What the mall's review of a week shows: its nominations grouped by commune in the order they
need a decision, the stands seated and free, and each entrepreneur's past weeks. A read model:
a fixed number of queries whatever the week's size."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.domain import review
from app.extensions import db
from app.models import (
    Entrepreneur,
    Nomination,
    NominationState,
    Slot,
    SlotAllocation,
    Stand,
    StandAssignment,
)

S = NominationState
# Order of the groups inside each commune: what needs a decision first.
STATE_ORDER = [
    S.SUBMITTED,
    S.WAITLISTED,
    S.APPROVED,
    S.CONFIRMED,
    S.ATTENDED,
    S.NO_SHOW,
    S.REJECTED,
    S.WITHDRAWN,
    S.CANCELLED,
    S.DRAFT,
]


@dataclass
class ReviewQueue:
    slot: Slot
    groups: dict[int, list[Nomination]]  # commune id -> its nominations, decisions first
    communes: dict[int, SlotAllocation]  # commune id -> its stands this week
    assignments: dict[int, StandAssignment]  # nomination id -> its live stand
    history: dict[int, Counter]  # entrepreneur id -> past "weeks" and "no_shows"
    free_stands: list[Stand]
    counters: dict[str, int]


def past_weeks(entrepreneur_ids: list[int], slot: Slot) -> dict[int, Counter]:
    """Past weeks per entrepreneur: how many they had, and how many they did not show up to."""
    rows = db.session.execute(
        select(Nomination.entrepreneur_id, Nomination.state, func.count())
        .join(Slot, Slot.id == Nomination.slot_id)
        .where(
            Nomination.entrepreneur_id.in_(entrepreneur_ids),
            Slot.starts_on < slot.starts_on,
            Nomination.state.in_(S.USED_WEEK),
        )
        .group_by(Nomination.entrepreneur_id, Nomination.state)
    )
    history: dict[int, Counter] = defaultdict(Counter)
    for entrepreneur_id, state, n in rows:
        history[entrepreneur_id]["weeks"] += n
        if state is S.NO_SHOW:
            history[entrepreneur_id]["no_shows"] += n
    return history


def load(slot: Slot) -> ReviewQueue:
    nominations = list(
        db.session.execute(
            select(Nomination)
            .where(Nomination.slot_id == slot.id, Nomination.state != S.DRAFT)
            .options(
                selectinload(Nomination.entrepreneur).selectinload(Entrepreneur.category),
                selectinload(Nomination.commune),
            )
            .order_by(Nomination.commune_id, Nomination.is_reserve, Nomination.position)
        ).scalars()
    )
    assignments = {
        a.nomination_id: a
        for a in db.session.execute(
            select(StandAssignment)
            .where(StandAssignment.slot_id == slot.id, StandAssignment.released_at.is_(None))
            .options(selectinload(StandAssignment.stand))
        ).scalars()
    }
    open_stands = review.open_stands(slot)
    taken = {a.stand_id for a in assignments.values()}
    groups: dict[int, list[Nomination]] = defaultdict(list)
    for n in sorted(
        nominations, key=lambda n: (STATE_ORDER.index(n.state), n.is_reserve, n.position)
    ):
        groups[n.commune_id].append(n)
    counts = Counter(n.state for n in nominations)
    return ReviewQueue(
        slot=slot,
        groups=groups,
        communes={a.commune_id: a for a in slot.allocations},
        assignments=assignments,
        history=past_weeks([n.entrepreneur_id for n in nominations], slot),
        free_stands=[s for s in open_stands if s.id not in taken],
        counters={
            "capacity": len(open_stands),
            "seated": len(assignments),
            "free": len(open_stands) - len(taken),
            "pending": counts[S.SUBMITTED],
            "waitlisted": counts[S.WAITLISTED],
        },
    )
