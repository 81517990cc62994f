"""HTTP security: response headers, login-manager wiring, session revocation."""

from __future__ import annotations

import functools
import time

from argon2 import PasswordHasher
from flask import Flask, Response, current_app, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import make_transient_to_detached

from app import caches, database
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


# Set on every response unless the view set its own.
BASE_HEADERS = (
    ("Content-Security-Policy", CSP),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
)
HSTS = ("Strict-Transport-Security", "max-age=31536000")


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, the same cookies, without the per-request set-up: Flask
    builds a new signing serializer on every request (twice: to open the session and to save
    it), even for a request that carries no cookie and leaves its session empty, as every
    visitor's does, and verifies and decodes the same cookie again on every request of a
    signed-in user (HMAC, zlib, JSON). Here the serializer is built once per key, a request
    without a cookie never asks for it, an empty session left untouched is done with at once,
    and a cookie verified once is remembered by this process, with the time it was signed:
    the same string is taken at its word until it is older than the session lifetime, exactly
    as a fresh verification would decide. Only sessions of plain values (the sign-in and the
    CSRF token) are remembered; one holding lists (flashed messages) is decoded every time,
    so that no request can change what the next one reads. Both are kept by the keys that
    signed them (app/caches.py): a key rotated in place is picked up at once."""

    def _keys(self, app: Flask) -> tuple:
        return (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        return caches.SESSION_SIGNERS.get_or_build(
            self._keys(app), lambda: super(CookieSessions, self).get_signing_serializer(app)
        )

    def open_session(self, app: Flask, request) -> SecureCookieSession | None:
        value = request.cookies.get(self.get_cookie_name(app))
        serializer = self.get_signing_serializer(app)
        if serializer is None:
            return None
        if not value:
            return self.session_class()  # nothing to verify
        max_age = app.permanent_session_lifetime.total_seconds()
        remembered = (self._keys(app), value)
        known = caches.VERIFIED_COOKIES.get(remembered)
        if known is not None and time.time() - known[0] <= max_age:
            return self.session_class(known[1])  # a copy: the session may change it
        try:
            data, signed_at = serializer.loads(value, max_age=int(max_age), return_timestamp=True)
        except BadSignature:
            return self.session_class()
        if all(isinstance(v, _PLAIN) for v in data.values()):
            caches.VERIFIED_COOKIES.put(remembered, (signed_at.timestamp(), dict(data)))
        return self.session_class(data)

    def save_session(self, app: Flask, session, response: Response) -> None:
        if not session and not session.modified:  # empty before and after: no cookie to send
            if session.accessed:
                response.vary.add("Cookie")
            return
        super().save_session(app, session, response)


_PLAIN = (str, int, float, bool, type(None))


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
def _user_statement() -> tuple[Select, tuple[str, ...]]:
    """The statement behind every signed-in request and the attribute each of its first columns
    fills, built once: a statement object keeps its cache key, so each request skips building
    and keying it again. (Built on first use: the models import the app package.)

    It selects the user's columns, not the ORM entity: the ORM's loading of one row (its
    per-execution result set-up) cost twice what the query itself costs, on every signed-in
    request; _as_loaded() builds the same persistent object from the row."""
    from app.domain import changes
    from app.models import User
    from app.notifications import inbox

    columns = tuple(User.__table__.columns)
    names = tuple(User.__mapper__.get_property_by_column(c).key for c in columns)
    # The navigation's unread notices come along too (app/notifications/inbox.py).
    statement = changes.with_version(
        select(*columns, inbox.unread_count_column(User.id)).where(User.id == bindparam("user_id"))
    )
    return statement, names


def _as_loaded(row, names: tuple[str, ...]):
    """The User of a row, in this request's session exactly as if a query had loaded it
    (SQLAlchemy's make_transient_to_detached: the values as loaded, no pending change), so
    its relationships load lazily and a change to it is flushed like any other. No load event
    runs for it: a `@reconstructor` or `load` listener added to User would not see it."""
    from app.models import User

    key = User.__mapper__.identity_key_from_primary_key((row[names.index("id")],))
    if (known := db.session.identity_map.get(key)) is not None:
        return known  # already in this session (loaded earlier in the same request)
    user = User.__mapper__.class_manager.new_instance()
    user.__dict__.update(zip(names, row, strict=False))
    make_transient_to_detached(user)
    db.session.add(user)
    return user


def init_app(app: Flask) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Inicie sesión para continuar.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    @login_manager.unauthorized_handler
    def signed_out():
        # Back to where the person was, with what they typed (app/web/session_expiry.py).
        from app.web import session_expiry

        return session_expiry.expired()

    @login_manager.user_loader
    def load_user(session_id: str):
        from app.domain import changes

        user_id, _, version = session_id.partition(":")
        if not user_id.isdigit() or not version.isdigit():
            return None
        # One round trip for who is asking and which data they see: cached pages key on the
        # data version (app/web/page_cache.py) and would otherwise query it separately.
        statement, names = _user_statement()
        connection = db.session.connection()  # the request's transaction, as a query would
        params = {"user_id": int(user_id)}
        if app.config.get("SQLALCHEMY_RECORD_QUERIES"):  # its listener needs execute()'s context
            row = connection.execute(statement, params).one_or_none()
        else:
            query = caches.DRIVER_QUERIES.get_or_build(
                (statement, connection.dialect),
                lambda: database.driver_query(statement, connection.dialect),
            )
            row = database.fetch_one(connection, query, params)
        if row is None:
            return None
        user = _as_loaded(row, names)
        unread, data_version = row[len(names) :]
        changes.note(db.session, data_version)
        user.inbox_unread = unread
        # An older session_version means logout, password change or deactivation since.
        if not user.active or user.session_version != int(version):
            return None
        return user

    app.session_interface = CookieSessions()

    @app.after_request
    def set_security_headers(response: Response) -> Response:
        headers = response.headers
        # One pass over the response's headers instead of one per header set by default.
        present = {name.lower() for name, _ in headers}
        defaults = BASE_HEADERS
        if app.config.get("SESSION_COOKIE_SECURE"):
            defaults = (*BASE_HEADERS, HSTS)
        for name, value in defaults:
            if name.lower() not in present:
                headers.add(name, value)
        # Pages of signed-in users must not be served from a shared cache.
        if "cache-control" not in present and request.endpoint != "static":
            headers.add("Cache-Control", "no-store")
        headers.add("Vary", "Cookie")
        return response
