"""What the extensions run around every request, trimmed to what the request needs.

Flask-WTF and Flask-Limiter install hooks that run on every request and, on most requests, do
nothing but find out that they have nothing to do: CSRF protection looks up the view's
exemptions on a GET before noticing that a GET is never checked; the rate limiter resolves the
route's limits before every request (this app has none that apply there), then, after the
response, looks for limits to report in headers and clears its note of them. Profiled over
thousands of requests, the rate limiter's hooks alone were the largest share of what a request
that does nothing cost the app beyond bare Flask (issue 22). Each hook is kept, and runs
exactly when it can do something (tests/test_request_overhead.py).
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from flask import Flask, request
from flask.globals import request_ctx

from app.extensions import limiter

# Limits that Flask-Limiter checks before every request, whatever the route.
_LIMITS_ON_EVERY_REQUEST = (
    "RATELIMIT_DEFAULT",
    "RATELIMIT_APPLICATION",
    "RATELIMIT_META",
    "RATELIMIT_IN_MEMORY_FALLBACK",
    "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED",
)
# Where Flask-Limiter keeps what it checked during a request (on the request context).
_LIMITER_NOTE = "_limiter_request_context"


def trim(app: Flask) -> None:
    _csrf_only_where_checked(app)
    _limiter_only_where_limited(app)


def _csrf_only_where_checked(app: Flask) -> None:
    """Flask-WTF's hook checks a token on WTF_CSRF_METHODS (POST, PUT, PATCH, DELETE) only, but
    looks up the view's exemptions first: on every other request that is all it does."""
    hooks = app.before_request_funcs.get(None, [])
    for index, hook in enumerate(hooks):
        if hook.__module__ == "flask_wtf.csrf" and hook.__name__ == "csrf_protect":
            hooks[index] = _only_for_checked_methods(app, hook)


def _only_for_checked_methods(app: Flask, hook: Callable) -> Callable:
    @functools.wraps(hook)
    def csrf_protect():
        if request.method in app.config["WTF_CSRF_METHODS"]:
            return hook()
        return None

    return csrf_protect


def _limiter_only_where_limited(app: Flask) -> None:
    """The limits of this app are on views (signing in, changing a password, the password
    links); the limiter's decorator checks them itself when the view runs. Its before-request
    check looks for limits on every route (default, application-wide, per blueprint, meta
    limits, the in-memory fallback): with none of those configured it finds nothing, so it is
    left out. Its after-request hook (rate-limit headers) and teardown (clearing its note) have
    something to do only on a request where a limit was checked, which leaves its note on the
    request context: on any other request they are skipped."""
    manager = limiter.limit_manager
    global_limits = (
        manager.default_limits
        or manager.application_limits
        or any(manager.blueprint_limits(app, name) for name in app.blueprints)
        or any(app.config.get(name) for name in _LIMITS_ON_EVERY_REQUEST)
    )
    if not global_limits:
        before = app.before_request_funcs.get(None, [])
        before[:] = [hook for hook in before if hook != limiter._check_request_limit]
    after = app.after_request_funcs.get(None, [])
    after[:] = [_after_when_limited(hook) if _is_limiters(hook) else hook for hook in after]
    teardown = app.teardown_request_funcs.get(None, [])
    teardown[:] = [_teardown_when_limited(h) if _is_limiters(h) else h for h in teardown]


def _is_limiters(hook: Callable) -> bool:
    return getattr(hook, "__self__", None) is limiter or (
        isinstance(hook, functools.partial) and limiter in hook.args
    )


def _limited() -> bool:
    return hasattr(request_ctx, _LIMITER_NOTE)


def _after_when_limited(hook: Callable) -> Callable:
    def limiter_headers(response):
        return hook(response) if _limited() else response

    return limiter_headers


def _teardown_when_limited(hook: Callable) -> Callable:
    def limiter_release(exc: BaseException | None = None) -> None:
        if _limited():
            hook(exc)

    return limiter_release
