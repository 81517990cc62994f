"""Signing in and out, sessions that end when they should, passwords, rate limits, CSRF."""

from __future__ import annotations

import pytest

from app.models import Role, User
from tests.conftest import csrf_from, csrf_token, login
from tests.factories import PASSWORD, make_world


@pytest.fixture
def world(db):
    return make_world()


def test_login_with_right_password_lands_on_home(client, world):
    response = login(client, "coordinador@example.com")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    home = client.get("/").get_data(as_text=True)
    assert "Hola, coordinador" in home
    assert "Esta semana en el mall" in home


def test_login_is_case_insensitive_on_email(client, world):
    assert login(client, "  Coordinador@Example.COM ").status_code == 302


def test_wrong_password_is_refused_in_spanish(client, world):
    response = login(client, "coordinador@example.com", "wrong-password")
    assert response.status_code == 401
    assert "Correo o contraseña incorrectos." in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_unknown_email_gets_the_same_answer(client, world):
    response = login(client, "nadie@example.com", "whatever-password")
    assert response.status_code == 401
    assert "Correo o contraseña incorrectos." in response.get_data(as_text=True)


def test_deactivated_user_cannot_log_in_and_is_told_why(client, world, db):
    world["users"]["viewer"].active = False
    db.session.commit()
    response = login(client, "viewer@example.com")
    assert response.status_code == 403
    assert "Su cuenta está desactivada" in response.get_data(as_text=True)
    # Only someone who knows the password learns the account exists and is inactive.
    wrong = login(client, "viewer@example.com", "otra-clave-cualquiera")
    assert wrong.status_code == 401
    assert "Su cuenta está desactivada" not in wrong.get_data(as_text=True)


def test_login_without_csrf_token_is_rejected(client, world):
    response = client.post("/login", data={"email": "admin@example.com", "password": PASSWORD})
    assert response.status_code == 400
    assert "El formulario expiró" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("next_url", "expected"),
    [
        ("/admin/users", "/admin/users"),
        ("https://evil.example/", "/"),
        ("//evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
    ],
)
def test_next_after_login_only_goes_to_local_paths(client, world, next_url, expected):
    token = csrf_from(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login",
        query_string={"next": next_url},
        data={"email": "admin@example.com", "password": PASSWORD, "csrf_token": token},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == expected


def test_logout_ends_the_session_even_for_a_copied_cookie(app, world):
    client = app.test_client()
    login(client, "admin@example.com")
    stolen = client.get_cookie("session").value
    response = client.post("/logout", data={"csrf_token": csrf_token(client)})
    assert response.status_code == 302
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    assert thief.get("/").headers["Location"] == "/mall"  # signed out: the public page


def test_session_cookie_is_httponly_and_lax(client, world):
    response = login(client, "admin@example.com")
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("session="))
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_change_password_requires_the_current_one(client, world):
    login(client, "viewer@example.com")
    token = csrf_token(client, "/account/password")
    response = client.post(
        "/account/password",
        data={
            "current": "not-my-password",
            "new": "una-clave-nueva-1",
            "confirm": "una-clave-nueva-1",
            "csrf_token": token,
        },
    )
    assert response.status_code == 400
    assert "La contraseña actual no es correcta." in response.get_data(as_text=True)


def test_change_password_keeps_this_session_and_ends_others(app, world):
    mine, other = app.test_client(), app.test_client()
    login(mine, "viewer@example.com")
    login(other, "viewer@example.com")
    token = csrf_token(mine, "/account/password")
    response = mine.post(
        "/account/password",
        data={
            "current": PASSWORD,
            "new": "una-clave-nueva-1",
            "confirm": "una-clave-nueva-1",
            "csrf_token": token,
        },
    )
    assert response.status_code == 302
    assert mine.get("/").status_code == 200
    assert other.get("/").status_code == 302
    fresh = app.test_client()
    assert login(fresh, "viewer@example.com", "una-clave-nueva-1").status_code == 302


def test_short_new_password_is_refused(client, world):
    login(client, "viewer@example.com")
    token = csrf_token(client, "/account/password")
    response = client.post(
        "/account/password",
        data={"current": PASSWORD, "new": "corta", "confirm": "corta", "csrf_token": token},
    )
    assert response.status_code == 400
    assert User.query.filter_by(email="viewer@example.com").one().password_hash


def test_generated_password_must_be_changed_at_first_login(client, db, world):
    from app.domain import accounts

    _, initial = accounts.create_user(
        email="nueva@example.com", name="Nueva", role=Role.VIEWER, by=None
    )
    db.session.commit()
    response = login(client, "nueva@example.com", initial)
    assert response.headers["Location"] == "/account/password"


def test_signing_in_starts_a_new_session_with_a_new_csrf_token(client, world):
    """Session fixation: whatever was in the browser's session before login (a token or a key
    someone planted) does not carry over into the signed-in session."""
    token_before = csrf_token(client, "/login")
    with client.session_transaction() as session:
        raw_token_before = session["csrf_token"]
        session["planted"] = "by someone else"
    cookie_before = client.get_cookie("session").value
    response = client.post(
        "/login",
        data={"email": "admin@example.com", "password": PASSWORD, "csrf_token": token_before},
    )
    assert response.status_code == 302
    assert client.get_cookie("session").value != cookie_before
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session.get("csrf_token") in (None, csrf_token_raw(client))
    assert csrf_token_raw(client) != raw_token_before
    # The token from before login no longer passes for this session; the new one does.
    assert client.post("/logout", data={"csrf_token": token_before}).status_code == 400
    assert client.post("/logout", data={"csrf_token": csrf_token(client)}).status_code == 302


def csrf_token_raw(client) -> str:
    """The session's own CSRF secret (forms carry it signed with the time)."""
    csrf_token(client)
    with client.session_transaction() as session:
        return session["csrf_token"]


# --- the language switch -------------------------------------------------------------------


def test_the_language_switch_is_a_post_form_not_a_link(client, world):
    assert client.get("/language/en").status_code == 405
    page = client.get("/login").get_data(as_text=True)
    assert '<form method="post" action="/language/en"' in page
    assert 'href="/language/' not in page


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"},
        {"Sec-Fetch-Site": "same-site", "Origin": "https://shop.localhost"},
        {"Origin": "https://evil.example"},  # a browser that sends no Sec-Fetch-* headers
        {"Origin": "null"},  # a sandboxed frame
    ],
)
def test_another_site_cannot_switch_a_visitors_language(client, world, headers):
    response = client.post("/language/en", data={"next": "/mall"}, headers=headers)
    assert response.status_code == 400
    assert "El formulario expiró o no es válido" in response.get_data(as_text=True)
    assert "vitrina_lang" not in response.headers.get("Set-Cookie", "")


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "same-origin", "Origin": "http://localhost"},
        {"Origin": "http://localhost"},
        {},  # not a browser's cross-site form: nothing to fear
    ],
)
def test_a_visitor_switches_language_from_the_sites_own_form(client, world, headers):
    response = client.post("/language/en", data={"next": "/mall"}, headers=headers)
    assert response.status_code == 302 and response.headers["Location"] == "/mall"
    assert "vitrina_lang=en" in response.headers["Set-Cookie"]


def test_a_signed_in_user_needs_the_token_even_from_the_sites_own_page(client, world):
    login(client, "viewer@example.com")
    same_origin = {"Sec-Fetch-Site": "same-origin", "Origin": "http://localhost"}
    assert client.post("/language/en", data={"next": "/"}, headers=same_origin).status_code == 400
    token = csrf_token(client)
    response = client.post("/language/en", data={"next": "/", "csrf_token": token})
    assert response.status_code == 302
