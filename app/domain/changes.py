"""Moves the data version in the same transaction as any change a calendar could show.

A listener on every flush, rather than a call in each domain function: a change made anywhere
(a new operation, an admin fix in the shell) cannot forget to invalidate the feeds.
"""

from __future__ import annotations

from sqlalchemy import event, insert, select, update
from sqlalchemy.orm import Session

from app import models as m
from app.models.changes import DataVersion
from app.models.types import utcnow

TRACKED = (
    m.Category,
    m.Commune,
    m.Entrepreneur,
    m.Nomination,
    m.OpeningHours,
    m.Program,
    m.Slot,
    m.SlotAllocation,
    m.Stand,
    m.StandAssignment,
    m.StandClosure,
    m.Venue,
    m.VenueClosure,
)


def _touches_schedule(session: Session) -> bool:
    return any(
        isinstance(obj, TRACKED)
        for obj in (*session.new, *session.dirty, *session.deleted)
        if obj not in session.dirty or session.is_modified(obj)
    )


@event.listens_for(Session, "before_flush")
def _bump(session: Session, _context, _instances) -> None:
    if not _touches_schedule(session):
        return
    # Core statements on the session's connection: no autoflush, no recursion.
    connection = session.connection()
    bumped = connection.execute(
        update(DataVersion)
        .where(DataVersion.id == 1)
        .values(version=DataVersion.version + 1, changed_at=utcnow())
    )
    if bumped.rowcount == 0:
        connection.execute(insert(DataVersion).values(id=1, version=1, changed_at=utcnow()))


def current(session: Session) -> tuple[int, object]:
    row = session.execute(
        select(DataVersion.version, DataVersion.changed_at).where(DataVersion.id == 1)
    ).one_or_none()
    return (row.version, row.changed_at) if row else (0, None)
