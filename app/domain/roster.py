"""What makes a stand part of a week's published roster, and who of it may be shown publicly.

One definition for every reader: the calendar feeds, the public week page and the showcase.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_

from app.models import (
    Entrepreneur,
    Nomination,
    NominationState,
    Slot,
    SlotState,
    StandAssignment,
)


def on_published_roster() -> ColumnElement[bool]:
    """SQL for a query joining StandAssignment, Nomination and Slot: the stand is live on a
    published roster."""
    return and_(
        StandAssignment.released_at.is_(None),
        Nomination.state.in_(NominationState.ON_ROSTER),
        Slot.state.in_(SlotState.ROSTER_PUBLIC),
    )


def is_on_published_roster(assignment: StandAssignment, nomination: Nomination, slot: Slot) -> bool:
    """The same rule on loaded rows."""
    return (
        assignment.released_at is None
        and nomination.state in NominationState.ON_ROSTER
        and slot.state in SlotState.ROSTER_PUBLIC
    )


def shown_publicly() -> ColumnElement[bool]:
    """SQL: the entrepreneur agreed to appear on public pages and feeds."""
    return Entrepreneur.public_consent.is_(True)
