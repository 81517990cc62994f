"""Brings the weeks' states up to the clock before a request reads them.

A week whose nomination deadline passed must read "Nominaciones cerradas" on every page and
feed at once, whether or not a cron job ran (`flask rotation advance` still does the same).
Each process keeps the next instant at which a transition falls due; a request compares the
clock with that number in memory and, only once it has passed, runs the advance in a short
transaction of its own before its own work. The number is forgotten whenever this process
writes a slot, and at most every DUE_RECHECK_SECONDS, so another process's change (a reopened
week with a new deadline) is seen within that time.
"""

from __future__ import annotations

import logging
from datetime import datetime

from flask import Flask, request
from sqlalchemy import event
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session

from app import caches, clock, database
from app.domain import slot_states
from app.extensions import db
from app.models import Slot

log = logging.getLogger(__name__)
# Requests that never show a week's state: no catch-up for them.
_SKIP = frozenset({"static", "health.healthz", "health.live"})


def forget() -> None:
    caches.NEXT_DUE.forget()


def _next_due() -> datetime | None:
    return caches.NEXT_DUE.get(slot_states.next_due)


def catch_up() -> None:
    if request.endpoint in _SKIP:
        return
    now = clock.now_utc()
    try:
        due = _next_due()
    except DBAPIError:
        db.session.rollback()
        return  # the database is unreachable: the request itself will say so (503)
    if due is None or now < due:
        return
    db.session.rollback()  # nothing of this request's own has happened yet
    try:
        with database.writing():
            moved = slot_states.advance_by_date(now=now)
            db.session.commit()
    except OperationalError:
        # SQLite busy past its timeout: this request shows the states as they are, and the
        # next one tries again (the number was not updated).
        db.session.rollback()
        log.warning("could not advance the weeks' states now; the next request will retry")
        return
    forget()
    _next_due()  # noted now, so the requests after this one ask the database nothing
    if moved:
        log.info("advanced %d week(s) to their date-driven state", len(moved))


@event.listens_for(Session, "before_flush")
def _slot_written(session: Session, _context, _instances) -> None:
    if any(isinstance(obj, Slot) for obj in (*session.new, *session.deleted)) or any(
        isinstance(obj, Slot) and session.is_modified(obj) for obj in session.dirty
    ):
        forget()


def init_app(app: Flask) -> None:
    app.before_request(catch_up)
