"""Private feed tokens: created, revoked and looked up; only their SHA-256 is stored."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app import clock
from app.domain import audit
from app.extensions import db
from app.models import CalendarToken, Entrepreneur, User

TOKEN_BYTES = 32  # 256 bits of randomness; the issue asks for at least 128
_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{43}")
# A feed polled every few minutes should not write to the database on every poll.
LAST_USED_RESOLUTION = timedelta(hours=1)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def live_token(*, user: User | None = None, entrepreneur: Entrepreneur | None = None):
    owner = _owner_clause(user, entrepreneur)
    return db.session.execute(
        select(CalendarToken).where(owner, CalendarToken.revoked_at.is_(None))
    ).scalar_one_or_none()


def issue_token(
    *, user: User | None = None, entrepreneur: Entrepreneur | None = None, by: User | None
) -> str:
    """Revokes the owner's live token, if any, and returns a new one (the only time it is seen)."""
    _revoke_live(user, entrepreneur, by=by, action="calendar_token.regenerate")
    token = secrets.token_urlsafe(TOKEN_BYTES)
    row = CalendarToken(
        token_hash=hash_token(token),
        user_id=user.id if user else None,
        entrepreneur_id=entrepreneur.id if entrepreneur else None,
        created_at=clock.now_utc(),
    )
    db.session.add(row)
    db.session.flush()
    audit.record(
        "calendar_token.create",
        row,
        actor=by,
        entrepreneur_id=entrepreneur.id if entrepreneur else None,
        commune_id=entrepreneur.commune_id if entrepreneur else None,
    )
    return token


def revoke_token(
    *, user: User | None = None, entrepreneur: Entrepreneur | None = None, by: User | None
) -> bool:
    """Revokes the owner's live token; False when there was none."""
    return _revoke_live(user, entrepreneur, by=by, action="calendar_token.revoke")


def find_live(token: str) -> CalendarToken | None:
    """The live token for this secret, with its owner loaded; None for anything else.

    A deactivated user's token stops working with the account.
    """
    if not _TOKEN_RE.fullmatch(token):
        return None
    row = db.session.execute(
        select(CalendarToken)
        .where(CalendarToken.token_hash == hash_token(token), CalendarToken.revoked_at.is_(None))
        .options(
            joinedload(CalendarToken.user).joinedload(User.commune),
            joinedload(CalendarToken.entrepreneur).joinedload(Entrepreneur.commune),
        )
    ).scalar_one_or_none()
    if row is None or (row.user is not None and not row.user.active):
        return None
    return row


def needs_marking(row: CalendarToken) -> bool:
    """Whether a fetch now should update last_used_at (once per LAST_USED_RESOLUTION)."""
    return row.last_used_at is None or clock.now_utc() - row.last_used_at >= LAST_USED_RESOLUTION


def mark_used(row: CalendarToken) -> None:
    if needs_marking(row):
        row.last_used_at = clock.now_utc()
        db.session.flush()


def _owner_clause(user: User | None, entrepreneur: Entrepreneur | None):
    if (user is None) == (entrepreneur is None):
        raise ValueError("a calendar token belongs to exactly one user or one entrepreneur")
    if user is not None:
        return CalendarToken.user_id == user.id
    return CalendarToken.entrepreneur_id == entrepreneur.id


def _revoke_live(
    user: User | None, entrepreneur: Entrepreneur | None, *, by: User | None, action: str
) -> bool:
    row = live_token(user=user, entrepreneur=entrepreneur)
    if row is None:
        return False
    row.revoked_at = clock.now_utc()
    # Flushed before a replacement is inserted: the partial unique index allows one live token.
    db.session.flush()
    audit.record(
        action,
        row,
        actor=by,
        entrepreneur_id=entrepreneur.id if entrepreneur else None,
        commune_id=entrepreneur.commune_id if entrepreneur else None,
    )
    return True
