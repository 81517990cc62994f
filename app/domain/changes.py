"""Moves the data version in the same transaction as any change a calendar could show.

A listener on every flush, rather than a call in each domain function: a change made anywhere
(a new operation, an admin fix in the shell) cannot forget to invalidate the feeds.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Delete, Insert, Select, Update, event, insert, select, update
from sqlalchemy.orm import ORMExecuteState, Session

from app import models as m
from app.models.changes import DataVersion
from app.models.types import utcnow

# Every model is either TRACKED (something a page, feed or cached page can show: a change
# moves the version) or NOT_SHOWN (bookkeeping no cached answer depends on). A test checks that
# each mapped model is in exactly one, so a new model cannot be forgotten.
TRACKED = (
    m.Blackout,
    m.Category,
    m.Commune,
    m.CommuneUnavailability,
    m.Entrepreneur,
    m.Nomination,
    m.OpeningHours,
    m.Program,
    m.Slot,
    m.SlotAllocation,
    m.SlotSwap,
    m.Stand,
    m.StandAssignment,
    m.StandClosure,
    m.Venue,
    m.VenueClosure,
)
NOT_SHOWN = (
    m.ApiToken,  # written on use (last used); API answers never come from a cache by token
    m.AuditEvent,  # the audit page reads it live, never from a cache
    m.CalendarToken,  # written on every private-feed fetch (last used); feeds key on the token
    m.DataVersion,  # the version itself
    m.InboxItem,  # read live; the navigation's unread count is part of the page key (viewer)
    m.OutboxMessage,  # mail waiting to go out: the admin's mail page reads it live
    m.RegistryImport,  # an import's preview: a private, live page
    m.RegistryImportRow,
    m.User,  # sessions are checked live; cached pages are kept per user
)
_TRACKED_TABLES = frozenset(model.__table__.name for model in TRACKED)


def _touches_schedule(session: Session) -> bool:
    return any(
        isinstance(obj, TRACKED)
        for obj in (*session.new, *session.dirty, *session.deleted)
        if obj not in session.dirty or session.is_modified(obj)
    )


# Where a session keeps the version it has read, so a request asks the database only once.
_SEEN = "vitrina.data_version"
# Set on a session whose transaction moved the version (read at commit by app/caches.py).
MOVED = "vitrina.data_version_moved"


@event.listens_for(Session, "before_flush")
def _bump(session: Session, _context, _instances) -> None:
    if _touches_schedule(session):
        _move_version(session)


@event.listens_for(Session, "do_orm_execute")
def _bump_on_bulk(state: ORMExecuteState) -> None:
    # Bulk INSERT/UPDATE/DELETE statements (the CSV import's) bypass the flush: catch them here,
    # in the same transaction, or a withdrawn publication consent would stay on the showcase.
    statement = state.statement
    if isinstance(statement, Insert | Update | Delete) and (
        statement.table.name in _TRACKED_TABLES
    ):
        _move_version(state.session)


def _move_version(session: Session) -> None:
    # This session's own change moves the version: what it read before no longer holds.
    session.info.pop(_SEEN, None)
    session.info[MOVED] = True
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


def with_version(query: Select) -> Select:
    """Adds the data version to a query as a last column: the sign-in lookup that runs on every
    signed-in request brings it along, and a cached page then needs no query of its own."""
    return query.add_columns(DataVersion.version).outerjoin(DataVersion, DataVersion.id == 1)


def note(session: Session, version: int | None) -> None:
    """Records a version read alongside another query (see with_version)."""
    session.info[_SEEN] = version or 0


def seen(session: Session, *, read: Callable[[Session], tuple[int, object]] = current) -> int:
    """The version this session read first, reading it now if it has not yet (`read`: how; the
    web's caches pass a read of the process's recent note, app/caches.py). Read once per request
    and before the data: a page is then never filed under a newer version than the data it shows
    (at worst under an older one, which only costs a rebuild)."""
    version = session.info.get(_SEEN)
    if version is None:
        version = read(session)[0]
        note(session, version)
    return version


@event.listens_for(Session, "after_soft_rollback")
def _forget(session: Session, _previous_transaction) -> None:
    # A rolled-back flush may have moved the version this session noted; the number will be
    # used again by the next real change.
    session.info.pop(_SEEN, None)
    session.info.pop(MOVED, None)
