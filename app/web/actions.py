"""Running a domain action from a view, the one way every route that changes something does it.

The action (domain calls that change and flush) either succeeds, and the request commits once
before answering, or is refused with a DomainError: then nothing it wrote is kept, and the
answer shows the refusal with the error's status (409, 400, 403 …), usually the same partial
htmx asked for, so the user reads why in place.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from app.domain.errors import DomainError
from app.extensions import db

T = TypeVar("T")


def run(
    action: Callable[[], T],
    *,
    done: Callable[[T], Any],
    refused: Callable[[DomainError], Any] | None = None,
) -> Any:
    """Runs `action`; on success commits and answers `done(result)`. On a DomainError rolls
    back and answers `refused(error)`, or lets the app's error page answer it when there is
    no better place to show it."""
    try:
        result = action()
    except DomainError as exc:
        db.session.rollback()
        if refused is None:
            raise
        return refused(exc)
    db.session.commit()
    return done(result)
