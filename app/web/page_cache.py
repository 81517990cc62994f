"""Whole rendered pages kept by data version: heavy read-mostly pages (the review queue of a
full week renders 150 rows) are built once per change instead of once per request.

The key holds everything the page depends on besides the schedule data: the data version
(moved by any schedule change, app/domain/changes.py), the venue's date (windows such as
"the week has started" turn at midnight), the language, and who is looking. The CSRF token is
per session, so it is stored as a placeholder and put back on the way out. A request that
carries flashed messages is never served from or stored in the cache.
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

_PLACEHOLDER = "\x00csrf\x00"
_MAX_PAGES = 128
_lock = threading.Lock()


def cached(key: tuple, render: Callable[[], str]) -> str:
    if not current_app.config.get("PAGE_CACHE", True) or session.get("_flashes"):
        return render()
    version, _ = changes.current(db.session)
    full_key = (version, clock.today(), str(get_locale()), *key)
    pages: OrderedDict = current_app.extensions.setdefault("vitrina_pages", OrderedDict())
    token = generate_csrf()
    with _lock:
        stored = pages.get(full_key)
        if stored is not None:
            pages.move_to_end(full_key)
    if stored is None:
        html = render()
        stored = html.replace(token, _PLACEHOLDER)
        with _lock:
            pages[full_key] = stored
            while len(pages) > _MAX_PAGES:
                pages.popitem(last=False)
    return stored.replace(_PLACEHOLDER, token)
