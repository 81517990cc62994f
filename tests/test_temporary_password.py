"""A temporary password opens nothing but the page to replace it, on every route."""

from __future__ import annotations

import pytest
from werkzeug.routing import AnyConverter, IntegerConverter

from app.domain import accounts
from app.models import Role
from app.web.access import EVERYONE
from tests.conftest import csrf_token, login
from tests.factories import make_world

NEW_PASSWORD = "una-clave-nueva-1"
MESSAGE = "Cambie su contraseña temporal antes de continuar."


@pytest.fixture
def temporary(app, db):
    """An administrator (who may use every route) signed in with a password an admin issued."""
    world = make_world()
    _, password = accounts.create_user(
        email="nueva@example.com", name="Nueva", role=Role.ADMIN, by=world["users"]["admin"]
    )
    db.session.commit()
    client = app.test_client()
    response = login(client, "nueva@example.com", password)
    assert response.headers["Location"] == "/account/password"
    return client, password


def _url(rule) -> str:
    parts = []
    for is_dynamic, piece in rule._trace:
        if not is_dynamic:
            parts.append(piece)
            continue
        converter = rule._converters[piece]
        if isinstance(converter, IntegerConverter):
            parts.append("1")
        elif isinstance(converter, AnyConverter):
            parts.append(sorted(converter.items)[0])
        else:
            parts.append("melipilla")
    return "".join(parts).split("|", 1)[1]


def _still_open(app, endpoint: str) -> bool:
    if endpoint in ("auth.password", "auth.logout", "static"):
        return True
    return endpoint != "main.home" and app.view_functions[endpoint].access == EVERYONE


def test_every_route_but_a_few_waits_for_the_new_password(app, temporary):
    client, _ = temporary
    token = csrf_token(client, "/account/password")
    closed = 0
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "auth.logout":
            continue  # tried last: it ends the session
        url = _url(rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            data = {"csrf_token": token} if method == "POST" else None
            response = client.open(url, method=method, data=data)
            sent_to_change = response.status_code == 302 and response.headers["Location"].endswith(
                "/account/password"
            )
            refused = response.status_code == 403 and MESSAGE in response.get_data(as_text=True)
            if _still_open(app, rule.endpoint):
                assert not (sent_to_change or refused), (method, url)
                continue
            closed += 1
            if method == "GET":
                assert sent_to_change, (method, url, response.status_code)
                partial = client.get(url, headers={"HX-Request": "true"})
                assert partial.status_code == 403, url
                assert MESSAGE in partial.get_data(as_text=True)
            else:
                assert refused, (method, url, response.status_code)
    assert closed > 50
    response = client.post("/logout", data={"csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"] == "/login"


def test_the_home_page_sends_them_to_change_it_with_a_message(temporary):
    client, _ = temporary
    response = client.get("/", follow_redirects=True)
    assert response.request.path == "/account/password"
    assert "Elija una contraseña nueva para continuar." in response.get_data(as_text=True)


def test_once_changed_everything_opens(temporary):
    client, password = temporary
    response = client.post(
        "/account/password",
        data={
            "current": password,
            "new": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
            "csrf_token": csrf_token(client, "/account/password"),
        },
    )
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    assert client.get("/admin/users").status_code == 200


def test_a_reset_password_is_temporary_in_sessions_already_open(app, db):
    """The rule holds on every request, not only at login: an admin's reset applies at once
    (the reset also ends open sessions; the new one starts with the temporary password)."""
    world = make_world()
    password = accounts.reset_password(world["users"]["viewer"], by=world["users"]["admin"])
    db.session.commit()
    client = app.test_client()
    login(client, "viewer@example.com", password)
    assert client.get("/rotation/").headers["Location"].endswith("/account/password")
    assert client.get("/mall").status_code == 200  # public pages stay open
