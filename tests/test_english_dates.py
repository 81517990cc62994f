"""Deadlines read naturally in both languages: Spanish puts words between the date's fields."""

from __future__ import annotations

import re

from tests.conftest import csrf_token, login
from tests.factories import make_nominations_world

# make_nominations_world's deadline: 28 December 2026, 23:59 in Santiago.
ENGLISH = re.compile(r"(Monday, )?(December|Dec) 28, 23:59")


def _in_english(app, email):
    client = app.test_client()
    login(client, email)
    client.post("/language/en", data={"csrf_token": csrf_token(client), "next": "/"})
    return client


def test_deadlines_in_english_have_no_spanish_words(app, db):
    world = make_nominations_world(app)
    slot, melipilla = world["slot"], world["melipilla"]
    officer = _in_english(app, "melipilla@example.com")
    coordinator = _in_english(app, "coordinador@example.com")
    pages = {
        "officer home": officer.get("/"),
        "nomination list": officer.get(f"/nominations/{slot.id}/{melipilla.id}"),
        "week page": coordinator.get(f"/rotation/slots/{slot.id}"),
        "nominations index": officer.get("/nominations/"),
    }
    for name, response in pages.items():
        html = response.get_data(as_text=True)
        assert response.status_code == 200, name
        assert ENGLISH.search(html), name
        assert "de December" not in html and " a las " not in html, name
    assert "Monday, December 28, 23:59" in pages["week page"].get_data(as_text=True)


def test_deadlines_in_spanish_keep_their_words(app, db):
    world = make_nominations_world(app)
    officer = app.test_client()
    login(officer, "melipilla@example.com")
    html = officer.get(f"/nominations/{world['slot'].id}/{world['melipilla'].id}").text
    assert "plazo: 28 de diciembre, 23:59" in html
    assert "Nominaciones hasta el 28 de diciembre, 23:59" in officer.get("/").text
