"""Links by e-mail to choose a password: an invitation for a new account, and "¿Olvidó su
contraseña?". Nobody reads a password out or sees one on a screen.

A link is signed (the app's secret), carries its purpose, expires (an hour to reset, a week to
accept an invitation) and works once: it is bound to the password it replaces, so choosing a
password, or any other change of it, spends every link sent before.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import select

from app import clock, security
from app.domain import audit
from app.domain.accounts import check_password_strength, hash_password, normalize_email
from app.domain.errors import Invalid, NotAllowed
from app.extensions import db
from app.models import User

LIFETIME = {"reset": timedelta(hours=1), "invite": timedelta(days=7)}


class _ClockSigner(TimestampSigner):
    def get_timestamp(self) -> int:  # the app's clock, so a link's age is the app's idea of it
        return int(clock.now_utc().timestamp())


def _signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(
        security.secret_key(), salt="vitrina.password-link", signer=_ClockSigner
    )


def _fingerprint(user: User) -> str:
    return hashlib.sha256(f"{user.password_hash}:{user.session_version}".encode()).hexdigest()[:20]


def make_token(user: User, purpose: str) -> str:
    return _signer().dumps({"u": user.id, "p": purpose, "f": _fingerprint(user)})


def user_for(token: str) -> tuple[User, str]:
    """The active user a link is for, and its purpose; Invalid when it is not good."""
    try:
        data = _signer().loads(token, max_age=int(LIFETIME["invite"].total_seconds()))
    except SignatureExpired as exc:
        raise Invalid(_("El enlace venció. Pida uno nuevo.")) from exc
    except BadSignature as exc:
        raise Invalid(_("El enlace no es válido. Pida uno nuevo.")) from exc
    purpose = data.get("p") if isinstance(data, dict) else None
    if purpose not in LIFETIME:
        raise Invalid(_("El enlace no es válido. Pida uno nuevo."))
    try:
        _signer().loads(token, max_age=int(LIFETIME[purpose].total_seconds()))
    except SignatureExpired as exc:
        raise Invalid(_("El enlace venció. Pida uno nuevo.")) from exc
    user = db.session.get(User, data.get("u"))
    if user is None or not user.active or data.get("f") != _fingerprint(user):
        raise Invalid(_("El enlace ya se usó o no es válido. Pida uno nuevo."))
    return user, purpose


def set_password(token: str, new: str, repeated: str) -> User:
    user, purpose = user_for(token)
    if new != repeated:
        raise Invalid(_("Las dos contraseñas no coinciden."), field="repeated")
    check_password_strength(new)
    user.password_hash = hash_password(new)
    user.must_change_password = False
    user.session_version += 1  # every older session and link ends here
    audit.record(f"user.password_by_link.{purpose}", user, actor=user)
    return user


def spend_current_password(user: User) -> None:
    """Nobody knows the account's password any more (a new account, an admin's reset)."""
    user.password_hash = hash_password(secrets.token_urlsafe(24))
    user.session_version += 1


def send_link(user: User, purpose: str, *, by: User | None = None) -> None:
    from app.notifications import outbox

    if by is not None and not by.is_admin:
        raise NotAllowed(_("Solo un administrador puede enviar estos enlaces."))
    token = make_token(user, purpose)
    outbox.enqueue(
        key=f"password-link:{user.id}:{purpose}:{_fingerprint(user)}:{secrets.token_hex(4)}",
        recipient=user.email,
        locale=user.locale or "es",
        template=f"password_{purpose}",
        context={
            "user": user,
            "link": outbox.absolute_url("account_links.choose", token=token),
            "hours": int(LIFETIME[purpose].total_seconds() // 3600),
            "days": LIFETIME[purpose].days,
        },
    )


def request_reset(email: str) -> None:
    """Sends a reset link if an active account has this address; says nothing either way."""
    try:
        address = normalize_email(email)
    except Invalid:
        return
    user = db.session.execute(
        select(User).where(User.email == address, User.active)
    ).scalar_one_or_none()
    if user is not None:
        send_link(user, "reset")
        audit.record("user.password_link_requested", user, actor=None)
