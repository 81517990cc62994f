"""Visitors' public pages and feeds, answered in front of Flask from what Flask answered before.

A visitor (no cookie besides the language one) asking for the showcase or a public feed gets
the same bytes as every other visitor until the data, the venue's date or the language change.
So the first such request runs through Flask, whose view says that its answer may be kept
(`keep()`), and this WSGI layer keeps it whole (status, headers, body) in the cache module
(caches.FRONT, keyed by the data version: never stale). The next visitors are answered here,
without a request context, session, sign-in, locale selection, hooks or view: a polling
calendar client or a visit costs about what a bare Flask "hello" costs. Django's cache
middleware works the same way.

Flask still answers whenever anything could differ:
- a method other than GET, a query string, or any cookie but the language's (a session may be
  signed in, or carry a flashed message);
- the process's note of the data version or of the next date-driven change is older than its
  lifetime (app/caches.py: the next request through Flask reads both again), or a week's state
  falls due (Flask's hook brings it up to the clock first);
- nothing is kept yet for that path, language, data version and date.
A conditional request (If-None-Match, If-Modified-Since) is decided by werkzeug's own
`is_resource_modified` against the kept answer's validators, exactly as the views decide, and
answered with the 304 Flask gave for that answer (kept the same way) or with the kept 200.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime

from flask import Flask, request, url_for
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import (
    is_resource_modified,
    parse_accept_header,
    parse_cookie,
    parse_date,
    unquote_etag,
)

from app import caches, clock
from app.i18n import LANG_COOKIE, visitor_language

_MARK = "vitrina.front"  # set in the WSGI environ by a view whose answer may be kept


def keep(data_version: int, today: date) -> None:
    """Called by a view whose answer is the same for every visitor: it may be kept and served to
    the next ones, filed under the data version and date it was built from. Only under the
    route's own spelling of its URL: /calendar/slots/007.ics reaches the same view as 7.ics,
    and a visitor making up spellings must not push the real pages out of the cache."""
    if request.script_root + request.path == url_for(request.endpoint, **request.view_args):
        request.environ[_MARK] = (data_version, today)


@dataclass(frozen=True)
class _Answer:
    status: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    etag: str | None
    last_modified: datetime | None


def _visitor_language(environ: dict) -> str | None:
    """The visitor's language as Flask would pick it, or None when the request carries another
    cookie than the language's (then it is not a visitor's request to answer here)."""
    cookies = parse_cookie(environ.get("HTTP_COOKIE"))  # as Flask's request.cookies reads it
    if set(cookies) - {LANG_COOKIE}:
        return None
    chosen = cookies.get(LANG_COOKIE)
    accepted = parse_accept_header(environ.get("HTTP_ACCEPT_LANGUAGE"), LanguageAccept)
    return visitor_language(chosen, accepted)


class FrontAnswers:
    def __init__(self, app: Flask, wsgi_app: Callable) -> None:
        self.app = app
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if (
            environ.get("REQUEST_METHOD") != "GET"
            or environ.get("QUERY_STRING")
            or environ.get("PATH_INFO", "").startswith("/static/")
            or not self.app.config.get("PAGE_CACHE", True)
        ):
            return self.wsgi_app(environ, start_response)
        lang = _visitor_language(environ)
        if lang is None:
            return self.wsgi_app(environ, start_response)
        with self.app.app_context():  # the caches and the clock are the app's
            key = self._key(environ["PATH_INFO"], lang)
            answer = self._kept(key, environ) if key is not None else None
        if answer is None:
            return self._through_flask(environ, start_response, lang)
        start_response(answer.status, list(answer.headers))  # a server may change its list
        return [answer.body]

    @staticmethod
    def _key(path: str, lang: str) -> tuple | None:
        """The key of a kept answer, or None when Flask must look at the clock or the database
        first (a note expired, or a week's state is due)."""
        version = caches.DATA_VERSION.peek()
        due = caches.NEXT_DUE.peek(default=False)
        if version is None or due is False:
            return None
        if due is not None and clock.now_utc() >= due:
            return None
        return (path, lang, version[0], clock.today())

    @staticmethod
    def _kept(key: tuple, environ: dict) -> _Answer | None:
        whole = caches.FRONT.get(key)
        if whole is None:
            return None
        if "HTTP_IF_NONE_MATCH" not in environ and "HTTP_IF_MODIFIED_SINCE" not in environ:
            return whole
        if is_resource_modified(environ, etag=whole.etag, last_modified=whole.last_modified):
            return whole
        return caches.FRONT.get((*key, 304))  # None: Flask answers this 304 first

    def _through_flask(self, environ: dict, start_response: Callable, lang: str):
        sent: dict = {}

        def remember(status: str, headers: list, exc_info=None):
            sent.update(status=status, headers=list(headers))
            return start_response(status, headers, exc_info)

        result = self.wsgi_app(environ, remember)
        mark = environ.get(_MARK)
        status = sent.get("status", "")
        if mark is None or status[:3] not in ("200", "304"):
            return result
        if any(name.lower() == "set-cookie" for name, _ in sent["headers"]):
            return result  # a cookie is one client's: never handed to another
        try:
            body = b"".join(result)
        finally:
            if hasattr(result, "close"):
                result.close()
        with self.app.app_context():
            self._store(environ["PATH_INFO"], lang, mark, status, sent["headers"], body)
        return [body]

    @staticmethod
    def _store(path, lang, mark, status, headers, body) -> None:
        version, today = mark
        key = (path, lang, version, today)
        found = {name.lower(): value for name, value in headers}
        etag = unquote_etag(found["etag"])[0] if "etag" in found else None
        last_modified = parse_date(found.get("last-modified"))
        answer = _Answer(status, tuple(headers), body, etag, last_modified)
        caches.FRONT.put((*key, 304) if status.startswith("304") else key, answer)


def init_app(app: Flask) -> None:
    app.wsgi_app = FrontAnswers(app, app.wsgi_app)
