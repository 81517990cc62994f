"""Whole rendered pages kept by data version: heavy read-mostly pages (the review queue of a
full week renders 150 rows) are built once per change instead of once per request.

The key holds everything the page depends on besides the schedule data: the data version
(moved by any schedule change, app/domain/changes.py), the venue's date (windows such as
"the week has started" turn at midnight), the language, and who is looking. The CSRF token is
per session, so the page is stored as encoded pieces around it and joined with the request's
token on the way out: a hit costs a join of bytes, not a search and an encode of the page. A
request that carries flashed messages is never served from or stored in the cache.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable

from flask import current_app, session
from flask_babel import get_locale
from flask_wtf.csrf import generate_csrf

from app import clock
from app.domain import changes
from app.extensions import db

_MAX_PAGES = 128
_lock = threading.Lock()


def cached(key: tuple, render: Callable[[], str]) -> bytes | str:
    if not current_app.config.get("PAGE_CACHE", True) or session.get("_flashes"):
        return render()
    # Usually already read by the sign-in lookup (app/security.py), in the same round trip.
    version = changes.seen(db.session)
    full_key = (version, clock.today(), str(get_locale()), *key)
    pages: OrderedDict = current_app.extensions.setdefault("vitrina_pages", OrderedDict())
    token = generate_csrf().encode()
    with _lock:
        pieces = pages.get(full_key)
        if pieces is not None:
            pages.move_to_end(full_key)
    if pieces is None:
        pieces = tuple(render().encode().split(token))
        with _lock:
            pages[full_key] = pieces
            while len(pages) > _MAX_PAGES:
                pages.popitem(last=False)
    return token.join(pieces)
