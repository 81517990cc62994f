"""Visitors' public pages and feeds answered in front of Flask (app/web/front.py): the same
bytes Flask gave, never for a signed-in or cookie-carrying request, never past a change."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import request_started
from sqlalchemy import text
from werkzeug.test import EnvironBuilder, run_wsgi_app

from app import caches, clock
from app.models import Role
from app.web.front import FrontAnswers
from tests.conftest import login
from tests.factories import PASSWORD, make_user

PUBLIC = ["/calendar/mall.ics", "/mall", "/calendar/communes/melipilla.ics"]


@pytest.fixture
def kept(app, province):
    """Notes that last a minute (production keeps the data version 2 s, the next due instant
    60 s; the suite otherwise reads both afresh on every request)."""
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


def test_this_processs_change_is_served_at_once(app, kept, through_flask, db):
    first = app.test_client().get("/mall")
    kept["ana"].business_name = "Quesos Ana y Familia"
    db.session.commit()  # moves the data version; this process forgets its note at commit
    after = app.test_client().get("/mall")
    assert len(through_flask) == 2
    assert "Quesos Ana y Familia" in after.get_data(as_text=True)
    assert "Quesos Ana y Familia" not in first.get_data(as_text=True)


def test_another_processs_change_is_served_once_the_note_is_read_again(
    app, kept, through_flask, db, monkeypatch
):
    now = [1000.0]
    monkeypatch.setattr(caches, "monotonic", lambda: now[0])
    ana_id = kept["ana"].id
    first = app.test_client().get("/mall")
    db.session.rollback()  # the test's own reads hold no lock
    # Another process renames and moves the version: nothing of this process hears of it.
    with db.engine.begin() as other:
        other.execute(
            text("UPDATE entrepreneur SET business_name = 'Quesos Ana y Familia' WHERE id = :id"),
            {"id": ana_id},
        )
        other.execute(text("UPDATE data_version SET version = version + 1"))
    now[0] += 59  # within the note's lifetime: the page as it was (public: max-age=60 anyway)
    assert app.test_client().get("/mall").data == first.data
    assert len(through_flask) == 1
    now[0] += 2  # past it: the version is read again and the page built anew
    after = app.test_client().get("/mall")
    assert len(through_flask) == 2
    assert "Quesos Ana y Familia" in after.get_data(as_text=True)
    assert app.test_client().get("/mall").data == after.data  # and kept again
    assert len(through_flask) == 2


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


# --- the layer on its own, in front of a stand-in for Flask -------------------------------


@pytest.fixture
def layer(app):
    """FrontAnswers in front of a WSGI app that marks each answer as keepable under the
    version and date the test sets, and counts its calls."""
    app.config["FEED_VERSION_TTL"] = 60
    app.config["DUE_RECHECK_SECONDS"] = 60
    state = {"version": 5, "calls": 0, "headers": []}

    def behind(environ, start_response):
        state["calls"] += 1
        with app.app_context():
            environ["vitrina.front"] = (state["version"], clock.today())
        start_response("200 OK", [("Content-Type", "text/plain"), *state["headers"]])
        return [b"answer %d" % state["calls"]]

    def get(method="GET"):
        with app.app_context():  # what Flask's own requests would have noted
            caches.DATA_VERSION.note((state["version"], None))
            caches.NEXT_DUE.note(None)
        environ = EnvironBuilder(path="/page", method=method).get_environ()
        body, status, _headers = run_wsgi_app(FrontAnswers(app, behind), environ)
        return b"".join(body)

    state["get"] = get
    return state


def test_a_kept_answer_is_filed_under_its_data_version(layer):
    assert layer["get"]() == b"answer 1"
    assert layer["get"]() == b"answer 1"  # kept
    layer["version"] = 6  # noted by this process as read just now
    assert layer["get"]() == b"answer 2"
    assert layer["calls"] == 2


def test_a_kept_answer_is_filed_under_the_venues_date(app, layer):
    assert layer["get"]() == b"answer 1"
    app.config["FIXED_NOW"] = clock.now_utc() + timedelta(days=1)
    assert layer["get"]() == b"answer 2"


def test_an_answer_setting_a_cookie_is_never_kept(layer):
    layer["headers"] = [("Set-Cookie", "session=someone; HttpOnly")]
    layer["get"]()
    layer["get"]()
    assert layer["calls"] == 2


def test_head_requests_are_left_to_flask_and_keep_nothing(layer):
    layer["get"]("HEAD")
    assert layer["get"]() == b"answer 2"  # a HEAD kept nothing for the next GET
    assert layer["get"]("HEAD") == b"answer 3"
    assert layer["get"]() == b"answer 2"
