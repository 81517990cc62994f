"""HTTP security: response headers, login-manager wiring, session revocation."""

from __future__ import annotations

import functools

from argon2 import PasswordHasher
from flask import Flask, Response, current_app, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, select

from app.extensions import db, login_manager

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


# The domain reads the app's settings only through these (it never touches current_app).
DEFAULT_HASHER = PasswordHasher()  # argon2id with the library's current (RFC 9106) defaults
# Tests log in hundreds of times; a cheap hash there tests the same code paths.
_FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def password_hasher() -> PasswordHasher:
    return _FAST_HASHER if current_app.config.get("PASSWORD_HASH_FAST") else DEFAULT_HASHER


def secret_key() -> str:
    """Signs the links the app sends (password links); sessions sign with it too."""
    return current_app.config["SECRET_KEY"]


@functools.cache
def _user_statement():
    """The statement behind every signed-in request, built once: a statement object keeps its
    cache key, so each request skips building and keying it again. (Built on first use: the
    models import the app package.)"""
    from app.domain import changes
    from app.models import User
    from app.notifications import inbox

    # The navigation's unread notices come along too (app/notifications/inbox.py).
    return changes.with_version(
        select(User, inbox.unread_count_column(User.id)).where(User.id == bindparam("user_id"))
    )


def init_app(app: Flask) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Inicie sesión para continuar.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def load_user(session_id: str):
        from app.domain import changes

        user_id, _, version = session_id.partition(":")
        if not user_id.isdigit() or not version.isdigit():
            return None
        # One round trip for who is asking and which data they see: cached pages key on the
        # data version (app/web/page_cache.py) and would otherwise query it separately.
        row = db.session.execute(_user_statement(), {"user_id": int(user_id)}).one_or_none()
        if row is None:
            return None
        user, unread, data_version = row
        changes.note(db.session, data_version)
        user.inbox_unread = unread
        # An older session_version means logout, password change or deactivation since.
        if not user.active or user.session_version != int(version):
            return None
        return user

    @app.after_request
    def set_security_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CSP)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if app.config.get("SESSION_COOKIE_SECURE"):
            headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        # Pages of signed-in users must not be served from a shared cache.
        if request.endpoint != "static" and "Cache-Control" not in headers:
            headers["Cache-Control"] = "no-store"
        headers.add("Vary", "Cookie")
        return response
