"""Every cache this process keeps, declared in one place, and the one policy they follow.

Vitrina runs as several processes sharing one database, so nothing a process keeps may outlive
a change made by another. Each cache below follows one of three rules:

1. **Keyed by the data version** — what the schedule's data can change (whole pages, feed bodies,
   feed tags). Every write that anything shown depends on moves the version in its own
   transaction (app/domain/changes.py), so such an entry is never stale, only unused, and the
   bound drops it.
2. **Re-read after a lifetime** — what is read from the database with no version to key it by
   (the data version itself, the next instant a week's state falls due). Re-read after a number
   of seconds set in the configuration, and forgotten at once when this process itself moves
   them (a commit that moved the data version; a write to a week, for the next-due instant).
   Only what may be a little old anyway reads these (visitors' pages and feeds, which shared
   caches keep for a minute or more).
3. **Keyed by the settings it depends on** — what only the code and the configuration decide
   (feed descriptions, mail URL builders, CSRF token signatures, session signers and the
   cookies they verified, statements compiled for the driver). A rotated key is a new key: old
   entries are never read again.

Each cache belongs to one app (the tests build many), is bounded, and is kept under one key of
`app.extensions`; every bound and lifetime is read here. Pure functions of their arguments
(a year's holidays, a colour's name) use functools' own memoisation where they are defined.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from time import monotonic
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.domain import changes

_EXTENSION = "vitrina_caches"
_MISSING = object()


class _Lru:
    """A bounded map, thread-safe, the least recently used entry first out."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._entries: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, default: Any = None) -> Any:
        with self._lock:
            value = self._entries.get(key, _MISSING)
            if value is _MISSING:
                return default
            self._entries.move_to_end(key)
            return value

    def put(self, key: Hashable, value: Any) -> Any:
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


class _Note:
    """One value with the moment it was read. Replaced whole (one tuple), so a reader without
    the lock sees the old note or the new one, never one's time with the other's value."""

    def __init__(self) -> None:
        self.note: tuple[float, Any] | None = None


def _stores() -> dict[str, Any]:
    return current_app.extensions.setdefault(_EXTENSION, {})


class _PerApp:
    """A declared cache: each app gets its own store, made by `new` on first use."""

    def __init__(self, name: str, new: Callable[[], Any]) -> None:
        self.name = name
        self._new = new

    def _store(self) -> Any:
        stores = _stores()
        store = stores.get(self.name)
        if store is None:
            store = stores.setdefault(self.name, self._new())
        return store


class Lru(_PerApp):
    """Rules 1 and 3: a bounded map per app."""

    def __init__(self, name: str, size: int) -> None:
        super().__init__(name, lambda: _Lru(size))

    def get(self, key: Hashable, default: Any = None) -> Any:
        return self._store().get(key, default)

    def put(self, key: Hashable, value: Any) -> Any:
        return self._store().put(key, value)

    def get_or_build(self, key: Hashable, build: Callable[[], Any]) -> Any:
        """The entry for `key`, built and kept if missing. Two requests missing at once both
        build it (the entries are pure results, the same either way): no lock is held while
        building, so a slow build never stalls the hits."""
        store = self._store()
        value = store.get(key, _MISSING)
        if value is _MISSING:
            value = store.put(key, build())
        return value

    def clear(self) -> None:
        self._store().clear()

    def __len__(self) -> int:
        return len(self._store())


class Recent(_PerApp):
    """Rule 2: one value per app, re-read once it is older than the configured lifetime
    (`ttl_setting`, in seconds; 0 reads every time)."""

    def __init__(self, name: str, ttl_setting: str) -> None:
        super().__init__(name, _Note)
        self.ttl_setting = ttl_setting

    def get(self, read: Callable[[], Any]) -> Any:
        value = self.peek(_MISSING)
        return self.note(read()) if value is _MISSING else value

    def peek(self, default: Any = None) -> Any:
        """The kept value if it is still within its lifetime, else `default` (nothing is read)."""
        ttl = current_app.config.get(self.ttl_setting, 0)
        note = self._store().note
        if ttl <= 0 or note is None or monotonic() - note[0] >= ttl:
            return default
        return note[1]

    def note(self, value: Any) -> Any:
        """Keeps a value just read by other means (it counts as read now)."""
        self._store().note = (monotonic(), value)
        return value

    def forget(self) -> None:
        """The next get() reads again. Safe outside an app (a script's session): nothing is
        kept there."""
        if has_app_context():
            self._store().note = None


# --- every cache of the app --------------------------------------------------------------

# Rule 1: keyed by the data version.
PAGES = Lru("pages", 128)  # whole pages (app/web/page_cache.py); up to ~150 KB each
FEED_BODIES = Lru("feed_bodies", 64)  # built iCalendar files by ETag (app/web/calendars.py)
FEED_VERSIONS = Lru("feed_versions", 1024)  # a feed's ETag and Last-Modified (feeds.version)
PAGE_ETAGS = Lru("page_etags", 1024)  # visitors' pages' ETags (app/web/showcase.py)
FRONT = Lru("front_answers", 128)  # visitors' whole answers, served ahead of Flask (web/front.py)

# Rule 2: re-read after a lifetime.
DATA_VERSION = Recent("data_version", "FEED_VERSION_TTL")  # for what visitors see
NEXT_DUE = Recent("next_due", "DUE_RECHECK_SECONDS")  # app/web/due.py

# Rule 3: keyed by the settings they depend on.
FEED_DESCRIPTORS = Lru("feed_descriptors", 16)  # the mall feed's name and path, per language
MAIL_URL_ADAPTERS = Lru("mail_url_adapters", 4)  # per PUBLIC_BASE_URL (notifications/outbox.py)
CSRF_TOKENS = Lru("csrf_tokens", 1024)  # a session's signed CSRF token (page_cache.csrf_token)
SESSION_SIGNERS = Lru("session_signers", 4)  # per secret keys (security.SessionCookies)
VERIFIED_COOKIES = Lru("verified_cookies", 1024)  # session cookies already verified
DRIVER_QUERIES = Lru("driver_queries", 8)  # per statement and dialect (database.driver_query)

ALL = (
    PAGES,
    FEED_BODIES,
    FEED_VERSIONS,
    PAGE_ETAGS,
    FRONT,
    DATA_VERSION,
    NEXT_DUE,
    FEED_DESCRIPTORS,
    MAIL_URL_ADAPTERS,
    CSRF_TOKENS,
    SESSION_SIGNERS,
    VERIFIED_COOKIES,
    DRIVER_QUERIES,
)


def recent_data_version(session: Session) -> tuple[int, object]:
    """The data version (and when it moved) as this process read it at most FEED_VERSION_TTL
    seconds ago. For what anyone may see and is told may be stale anyway (feeds: max-age 15
    minutes, public pages: a minute): a version a second or two old lets the storm of
    revalidations and visits skip the database. Signed-in pages read it exactly instead, free
    with the sign-in lookup (app/security.py)."""
    return DATA_VERSION.get(lambda: changes.current(session))


@event.listens_for(Session, "after_commit")
def _version_moved_here(session: Session) -> None:
    # This process's own change is shown at once by its next answers to visitors (and by the
    # front layer, which then asks Flask), not after the note's lifetime; other processes'
    # changes still wait for it.
    if session.info.pop(changes.MOVED, False):
        DATA_VERSION.forget()


def clear_all() -> None:
    """Empties every cache of the current app (a test that changes settings in place)."""
    current_app.extensions.pop(_EXTENSION, None)
