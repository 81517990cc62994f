"""Visitors' public pages and feeds answered in front of Flask (app/web/front.py): the same
bytes Flask gave, never for a signed-in or cookie-carrying request, never past a change."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import request_started

from app import caches, clock
from app.models import Role
from tests.conftest import login
from tests.factories import PASSWORD, make_user

PUBLIC = ["/calendar/mall.ics", "/mall", "/calendar/communes/melipilla.ics"]


@pytest.fixture
def kept(app, province):
    """Production's lifetimes (the suite reads the data version afresh on every request)."""
    app.config["FEED_VERSION_TTL"] = 60
    app.config["DUE_RECHECK_SECONDS"] = 60
    return province


@pytest.fixture
def through_flask(app):
    seen: list[str] = []

    def count(sender, **_extra):
        from flask import request

        seen.append(request.path)

    request_started.connect(count, app)
    yield seen
    request_started.disconnect(count, app)


def answer(response) -> tuple:
    return response.status_code, sorted(response.headers.items()), response.data


@pytest.mark.parametrize("path", PUBLIC)
def test_a_visitor_gets_the_bytes_flask_gave_without_flask(app, kept, through_flask, path):
    client = app.test_client()
    first = client.get(path)
    assert first.status_code == 200
    assert through_flask == [path]
    again = [app.test_client().get(path) for _ in range(3)]
    assert through_flask == [path]  # answered in front
    assert all(answer(r) == answer(first) for r in again)
    assert "Set-Cookie" not in first.headers


@pytest.mark.parametrize("path", PUBLIC)
def test_a_revalidation_gets_flasks_304(app, kept, through_flask, path):
    first = app.test_client().get(path)
    tag = first.headers["ETag"]
    flask_304 = app.test_client().get(path, headers={"If-None-Match": tag})
    assert flask_304.status_code == 304
    assert len(through_flask) == 2
    front_304 = app.test_client().get(path, headers={"If-None-Match": tag})
    assert len(through_flask) == 2
    assert answer(front_304) == answer(flask_304)
    other = app.test_client().get(path, headers={"If-None-Match": '"someone-elses"'})
    assert len(through_flask) == 2
    assert answer(other) == answer(first)


def test_each_language_is_kept_apart(app, kept, through_flask):
    spanish = app.test_client().get("/mall")
    english = app.test_client().get("/mall", headers={"Accept-Language": "en"})
    assert "Esta semana en el mall" in spanish.get_data(as_text=True)
    assert "This week at the mall" in english.get_data(as_text=True)
    assert len(through_flask) == 2
    chosen = app.test_client()
    chosen.set_cookie("vitrina_lang", "en")
    again = chosen.get("/mall", headers={"Accept-Language": "es"})
    assert len(through_flask) == 2  # the cookie's choice, kept from the English answer
    assert again.data == english.data


def test_a_signed_in_request_always_reaches_flask(app, kept, through_flask, db):
    make_user("coord@example.com", Role.COORDINATOR)
    db.session.commit()
    app.test_client().get("/mall")
    client = app.test_client()
    login(client, "coord@example.com", PASSWORD)
    through_flask.clear()
    page = client.get("/mall")
    assert through_flask == ["/mall"]
    assert "coord" in page.get_data(as_text=True)  # their name in the navigation


def test_a_query_string_or_another_cookie_reaches_flask(app, kept, through_flask):
    app.test_client().get("/calendar/mall.ics")
    app.test_client().get("/calendar/mall.ics?download=1")
    other = app.test_client()
    other.set_cookie("session", "anything")
    other.get("/calendar/mall.ics")
    assert through_flask == ["/calendar/mall.ics"] * 3


def test_a_change_is_served_once_the_version_note_is_read_again(app, kept, through_flask, db):
    first = app.test_client().get("/mall")
    kept["ana"].business_name = "Quesos Ana y Familia"
    db.session.commit()
    # Within the note's lifetime a visitor may still get the page as it was (public pages say
    # max-age=60 to every cache anyway); once the note is read again, the change is there.
    caches.DATA_VERSION.forget()
    after = app.test_client().get("/mall")
    assert len(through_flask) == 2
    assert after.data != first.data
    assert "Quesos Ana y Familia" in after.get_data(as_text=True)


def test_a_week_falling_due_goes_through_flask_first(app, kept, through_flask):
    app.test_client().get("/calendar/mall.ics")
    with app.app_context():
        caches.NEXT_DUE.note(clock.now_utc() - timedelta(seconds=1))
    app.test_client().get("/calendar/mall.ics")
    assert len(through_flask) == 2  # Flask's hook brings the weeks up to the clock first


def test_private_feeds_are_never_kept(app, kept, through_flask):
    from tests.calendars.conftest import feed_token

    token = feed_token(entrepreneur=kept["ana"])
    for _ in range(2):
        assert app.test_client().get(f"/calendar/private/{token}.ics").status_code == 200
    assert len(through_flask) == 2  # each fetch notes when the link was last used


def test_nothing_is_kept_when_the_page_cache_is_off(app, kept, through_flask):
    app.config["PAGE_CACHE"] = False
    for _ in range(2):
        app.test_client().get("/calendar/mall.ics")
    assert len(through_flask) == 2
