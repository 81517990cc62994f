"""Personal API tokens: issued to staff users, revoked by them, looked up by their secret.

Only the SHA-256 of a secret is stored (as for the private calendar feeds,
app/calendars/tokens.py); the secret itself is shown once. A token acts as its owner: the API
calls the same domain functions as the pages, so it can never do what the owner's role cannot.
Viewers may hold tokens too: their role reads and changes nothing, and so do their tokens.
"""

from __future__ import annotations

import re
import secrets
from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from app import clock
from app.calendars.tokens import hash_token
from app.domain import audit
from app.domain.errors import Conflict, Invalid, NotFound
from app.extensions import db
from app.models import ApiToken, User

PREFIX = "vit_"
TOKEN_BYTES = 32  # 256 bits of randomness
_TOKEN_RE = re.compile(r"vit_[A-Za-z0-9_-]{43}")
MAX_NAME = 80
MAX_LIVE_PER_USER = 20
# A program polling every minute should not write to the database on every call.
LAST_USED_RESOLUTION = timedelta(hours=1)


def tokens_of(user: User) -> list[ApiToken]:
    """The user's tokens, live ones first, newest first."""
    return list(
        db.session.execute(
            select(ApiToken)
            .where(ApiToken.user_id == user.id)
            .order_by(ApiToken.revoked_at.is_not(None), ApiToken.created_at.desc(), ApiToken.id)
        ).scalars()
    )


def issue(user: User, *, name: str) -> tuple[ApiToken, str]:
    """A new token for the user and its secret (the only time anyone sees it)."""
    name = " ".join((name or "").split())
    if not name:
        raise Invalid(_("Escriba un nombre para el token (por ejemplo, «Sitio web comunal»)."))
    if len(name) > MAX_NAME:
        raise Invalid(_("El nombre es demasiado largo (máximo %(n)d caracteres).", n=MAX_NAME))
    live = db.session.execute(
        select(func.count()).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    ).scalar_one()
    if live >= MAX_LIVE_PER_USER:
        raise Conflict(
            _(
                "Ya tiene %(n)d tokens activos. Revoque alguno que no use antes de crear otro.",
                n=live,
            )
        )
    secret = PREFIX + secrets.token_urlsafe(TOKEN_BYTES)
    row = ApiToken(
        user_id=user.id,
        name=name,
        token_hash=hash_token(secret),
        prefix=secret[:8],
        created_at=clock.now_utc(),
    )
    db.session.add(row)
    db.session.flush()
    audit.record("api_token.create", row, actor=user, after={"name": name})
    return row, secret


def revoke(user: User, token_id: int) -> ApiToken:
    """Revokes one of the user's own tokens; another person's token does not exist for them."""
    row = db.session.get(ApiToken, token_id)
    if row is None or row.user_id != user.id:
        raise NotFound(_("Ese token no existe."))
    if row.revoked_at is None:
        row.revoked_at = clock.now_utc()
        db.session.flush()
        audit.record("api_token.revoke", row, actor=user, before={"name": row.name})
    return row


def find_live(secret: str) -> ApiToken | None:
    """The live token for this secret, its owner loaded; None for anything else (a revoked
    token, a deactivated owner, a string that is not a token at all)."""
    if not _TOKEN_RE.fullmatch(secret):
        return None
    row = db.session.execute(
        select(ApiToken)
        .where(ApiToken.token_hash == hash_token(secret), ApiToken.revoked_at.is_(None))
        .options(joinedload(ApiToken.user).joinedload(User.commune))
    ).scalar_one_or_none()
    if row is None or not row.user.active:
        return None
    return row


def mark_used(row: ApiToken) -> None:
    """Notes when the token was last used, at most once per LAST_USED_RESOLUTION."""
    now = clock.now_utc()
    if row.last_used_at is None or now - row.last_used_at >= LAST_USED_RESOLUTION:
        row.last_used_at = now
        db.session.flush()
