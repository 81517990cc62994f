"""The signed-in home page: this week and the next turns, built once per data version."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import event

from app.domain import rotation
from app.extensions import db as _db
from tests.conftest import login
from tests.factories import make_nominations_world

# Flask-WTF signs each rendered token with the current second, so two renders of one
# kept page differ only there; compare pages with the tokens masked.
_TOKEN = re.compile(r'(csrf_token"?[^>]*?value=|X-CSRFToken": ?)"[^"]+"')


def _masked(html: str) -> str:
    return _TOKEN.sub(r'\1"…"', html)


def _statements(client, path: str) -> tuple[str, list[str]]:
    seen: list[str] = []

    def before(_conn, _cursor, statement, *_):
        if not statement.lstrip().upper().startswith(("BEGIN", "SELECT 1")):
            seen.append(statement)

    event.listen(_db.engine, "before_cursor_execute", before)
    try:
        html = client.get(path).get_data(as_text=True)
    finally:
        event.remove(_db.engine, "before_cursor_execute", before)
    return html, seen


@pytest.mark.db
def test_an_officer_sees_the_communes_next_turns_kept_until_the_schedule_changes(app, db, backend):
    world = make_nominations_world(app)
    officer = app.test_client()
    login(officer, "melipilla@example.com")
    first, _ = _statements(officer, "/")
    assert "Nuestros próximos turnos" in first and "Nominaciones hasta el" in first
    again, statements = _statements(officer, "/")
    assert _masked(again) == _masked(first)  # the same page, with this session's token
    assert len(statements) == 1  # the session's user with the data version: a kept page
    # The schedule changes: Melipilla loses its stands that week; the page follows at once.
    rotation.set_allocations(
        world["slot"], {world["alhue"].id: 2}, host_id=None, by=None, reason="prueba"
    )
    db.session.commit()
    after, statements = _statements(officer, "/")
    assert len(statements) > 1 and "Nominaciones hasta el" not in after


def test_each_user_gets_their_own_home_from_the_kept_pages(app, db):
    make_nominations_world(app)
    melipilla, alhue = app.test_client(), app.test_client()
    login(melipilla, "melipilla@example.com")
    login(alhue, "alhue@example.com")
    mine = melipilla.get("/").get_data(as_text=True)
    theirs = alhue.get("/").get_data(as_text=True)
    assert "Encargado comunal de Melipilla" in mine
    assert "Encargado comunal de Alhué" in theirs and "Encargado comunal de Melipilla" not in theirs
