"""What a request skips to be cheap (issue 22) is what it could not need: each skipped or
remembered step still does its job wherever it has one."""

from __future__ import annotations

import time

import pytest
from itsdangerous import TimestampSigner

from app.extensions import limiter
from app.security import CSP
from tests.conftest import csrf_from, login, make_app
from tests.factories import make_world

SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Cache-Control": "no-store",
}


@pytest.mark.db
@pytest.mark.parametrize("path", ["/healthz", "/healthz/live"])
def test_health_checks_answered_before_flask_still_carry_the_security_headers(
    client, db, backend, path
):
    for method in ("GET", "HEAD"):
        response = client.open(path, method=method)
        assert response.status_code == 200
        for name, value in SECURITY_HEADERS.items():
            assert response.headers[name] == value, (method, name)
        assert response.headers["Content-Type"] == "application/json"
        assert "Set-Cookie" not in response.headers
    assert client.get(path).json["status"] == "ok"
    # Other methods still reach Flask: refused as before, with the app's error page.
    assert client.post(path).status_code == 405


def test_health_checks_need_none_of_the_request_hooks(app, client, db):
    """No session, user, language, catch-up or limit goes into a health check's answer: a
    request hook that would refuse every request leaves it alone."""

    @app.before_request
    def refuse_everything():  # pragma: no cover - must not run for health checks
        raise AssertionError("a health check ran the request hooks")

    assert client.get("/healthz").json == {"status": "ok", "database": "ok"}
    assert client.get("/healthz/live").json == {"status": "ok"}


def test_a_health_check_does_not_wait_for_the_sqlite_write_lock(app, client, db):
    """The ping runs outside any transaction: a writer holding the lock does not make the
    load balancer think the app is down."""
    import sqlite3

    path = app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    try:
        started = time.monotonic()
        assert client.get("/healthz").status_code == 200
        assert time.monotonic() - started < 5
    finally:
        writer.execute("ROLLBACK")
        writer.close()


def test_the_rate_limiter_checks_only_views_that_have_limits(app_config, db):
    app = make_app(app_config, LOGIN_RATE_LIMIT="2 per minute")
    assert limiter._check_request_limit not in app.before_request_funcs[None]
    client = app.test_client()
    with app.app_context():
        db.create_all()
        make_world()
        db.session.commit()
    responses = [login(client, "admin@example.com", "bad-password") for _ in range(3)]
    assert [r.status_code for r in responses] == [401, 401, 429]
    # The limited view still reports its limit in headers; a page without one reports none.
    assert responses[0].headers["X-RateLimit-Limit"] == "2"
    assert "X-RateLimit-Limit" not in client.get("/mall").headers


def test_a_limit_on_every_route_keeps_the_rate_limiters_check_before_requests(app_config, db):
    # The limiter is one object for every app: its default limits would outlive this test.
    try:
        app = make_app(app_config, RATELIMIT_DEFAULT="2 per minute")
        assert limiter._check_request_limit in app.before_request_funcs[None]
        with app.app_context():
            db.create_all()
        client = app.test_client()
        statuses = [client.get("/login").status_code for _ in range(3)]
        assert statuses == [200, 200, 429]
    finally:
        limiter.limit_manager.set_default_limits([])


def test_csrf_is_still_checked_on_posts(client, db):
    make_world()
    assert login(client, "admin@example.com").status_code == 302
    refused = client.post("/logout", data={"csrf_token": "not-a-token"})
    assert refused.status_code == 400
    token = csrf_from(client.get("/").get_data(as_text=True))
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302


def test_a_remembered_session_cookie_still_expires_with_the_session_lifetime(
    client, db, monkeypatch
):
    make_world()
    assert login(client, "coordinador@example.com").status_code == 302
    assert client.get("/").status_code == 200  # the session's CSRF token: a new cookie
    cookie = client.get_cookie("session").value
    assert client.get("/").status_code == 200  # that cookie verified, then remembered
    assert client.get_cookie("session").value == cookie  # and sent again as it is
    lifetime = client.application.permanent_session_lifetime.total_seconds()
    later = time.time() + lifetime + 60
    monkeypatch.setattr(time, "time", lambda: later)
    expired = client.get("/")  # signed out: a visitor's home is the showcase
    assert expired.status_code == 302 and expired.headers["Location"].endswith("/mall")


def test_a_remembered_session_cookie_is_forgotten_when_the_secret_key_changes(client, db):
    make_world()
    assert login(client, "coordinador@example.com").status_code == 302
    assert client.get("/").status_code == 200  # the session's CSRF token: a new cookie
    cookie = client.get_cookie("session").value
    assert client.get("/").status_code == 200  # that cookie verified, then remembered
    assert client.get_cookie("session").value == cookie
    client.application.secret_key = "another-secret"
    signed_out = client.get("/")  # the cookie was signed with the old key
    assert signed_out.status_code == 302 and signed_out.headers["Location"].endswith("/mall")


def test_a_signed_in_page_served_from_the_cache_carries_a_token_that_posts(client, db, monkeypatch):
    make_world()
    assert login(client, "coordinador@example.com").status_code == 302
    first = csrf_from(client.get("/").get_data(as_text=True))
    # A token signed anew carries a new timestamp: the next page comes a minute later.
    later = int(time.time()) + 60
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda _self: later)
    again = csrf_from(client.get("/").get_data(as_text=True))
    assert first == again  # signed once for this session
    assert client.post("/logout", data={"csrf_token": again}).status_code == 302
