"""Whole rendered pages kept by data version: heavy read-mostly pages (the review queue of a
full week renders 150 rows) are built once per change instead of once per request.

The key holds everything the page depends on besides the schedule data: the data version
(moved by any schedule change, app/domain/changes.py), the venue's date (windows such as
"the week has started" turn at midnight), the language, and who is looking (viewer()). A signed-in
page carries the session's CSRF token, so it is stored as encoded pieces around it and joined
with the request's token on the way out: a hit costs a join of bytes, not a search and an encode
of the page. Visitors' pages carry no token (base.html) and are stored whole. A request that
carries flashed messages is never served from or stored in the cache.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import current_app, g, session
from flask_babel import get_locale
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from app import caches, clock
from app.domain import changes
from app.extensions import db


def viewer() -> tuple | None:
    """What of the signed-in user a page shows (name in the navigation, role-dependent buttons),
    so it belongs in the key; None for a visitor."""
    user = current_user._get_current_object()  # each attribute through the proxy costs a lookup
    if not user.is_authenticated:
        return None
    return (
        user.id,
        user.session_version,
        user.name,
        user.role.value,
        user.commune_id,
        user.inbox_unread,
    )


def data_version() -> int:
    """The version a page is built from. Signed in: exact, and usually already read by the
    sign-in lookup (app/security.py) in the same round trip. Visitors: what anyone may see,
    and public pages may be a minute old in any shared cache anyway, so a version read a second
    or two ago by this process will do (caches.recent_data_version): a visit then costs no query
    at all."""
    if current_user.is_authenticated:
        return changes.seen(db.session)
    return changes.seen(db.session, read=caches.recent_data_version)


def csrf_token() -> str:
    """The session's CSRF token, signed. Flask-WTF signs it anew on every request (a timestamped
    HMAC); with WTF_CSRF_TIME_LIMIT unset the timestamp is never checked, so the token signed
    for a session's first page is as good on its later pages, and this process keeps it. Set as
    this request's token too: a form rendered later in the request carries the same one."""
    config = current_app.config
    field = config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    if config.get("WTF_CSRF_TIME_LIMIT") is not None or field in g:
        return generate_csrf()

    def key() -> tuple:
        return (current_app.secret_key, config.get("WTF_CSRF_SECRET_KEY"), session.get(field))

    signed = caches.CSRF_TOKENS.get(key()) if field in session else None
    if signed is None:
        signed = generate_csrf()  # a session's first token is made here
        return caches.CSRF_TOKENS.put(key(), signed)
    setattr(g, field, signed)
    return signed


def cached(key: tuple, render: Callable[[], str]) -> bytes | str:
    if not current_app.config.get("PAGE_CACHE", True) or session.get("_flashes"):
        return render()
    who = viewer()
    full_key = (data_version(), clock.today(), str(get_locale()), who, *key)
    # Asking a visitor's session for a token would create one (and a cookie): only signed-in
    # pages carry it.
    token = csrf_token().encode() if who is not None else b""
    pieces = caches.PAGES.get(full_key)
    if pieces is None:
        g.shared_page = True  # base.html leaves out what only this request has (its query)
        page = render().encode()
        pieces = caches.PAGES.put(full_key, tuple(page.split(token)) if token else (page,))
    return token.join(pieces)
