"""An expired session never loses what was typed: a form leads to sign-in and back with its
values; an htmx action leaves the page as it was and says what happened."""

import re

import pytest

from tests.conftest import csrf_from, csrf_token, login
from tests.factories import make_nominations_world


@pytest.fixture
def w(app, db):
    return make_nominations_world(app)


def sign_in_at(client, location: str, email: str):
    """The sign-in page the app sent the person to, filled in and sent."""
    token = csrf_from(client.get(location).get_data(as_text=True))
    return client.post(
        location, data={"email": email, "password": "vitrina-demo", "csrf_token": token}
    )


def end_session_elsewhere(db, user):
    """As a sign-out on another device or a password change does."""
    user.session_version += 1
    db.session.commit()


def test_a_form_sent_after_the_session_ended_comes_back_filled(app, client, db, w):
    login(client, "melipilla@example.com")
    token = csrf_token(client, "/registry/new")
    end_session_elsewhere(db, w["users"]["officer"])
    response = client.post(
        "/registry/new",
        data={"csrf_token": token, "business_name": "Tejidos Ñandú", "owner_name": "Óscar"},
        headers={"Referer": "http://localhost/registry/new"},
    )
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=/registry/new")
    signed_in = sign_in_at(client, response.headers["Location"], "melipilla@example.com")
    assert signed_in.headers["Location"] == "/registry/new"
    page = client.get("/registry/new").get_data(as_text=True)
    assert "Recuperamos lo que había escrito" in page
    holder = re.search(r"data-fields='([^']*)'", page).group(1)
    assert "Tejidos" in holder and "csrf_token" not in holder
    # Once: a later visit is a blank form again.
    assert 'id="restored-form"' not in client.get("/registry/new").get_data(as_text=True)


def test_a_form_sent_with_the_cookie_gone_also_leads_to_sign_in_and_back(app, db, w):
    client = app.test_client()  # no session at all: its cookie expired
    response = client.post(
        "/registry/new",
        data={"csrf_token": "stale", "business_name": "Miel"},
        headers={"Referer": "http://localhost/registry/new"},
    )
    assert (
        response.status_code == 302 and "/login?next=/registry/new" in response.headers["Location"]
    )
    login(client, "melipilla@example.com")
    page = client.get("/registry/new").get_data(as_text=True)
    assert "Miel" in re.search(r"data-fields='([^']*)'", page).group(1)


def test_someone_else_signing_in_does_not_get_the_typed_form(app, client, db, w):
    login(client, "melipilla@example.com")
    token = csrf_token(client, "/registry/new")
    end_session_elsewhere(db, w["users"]["officer"])
    client.post(
        "/registry/new",
        data={"csrf_token": token, "business_name": "Secreto"},
        headers={"Referer": "http://localhost/registry/new"},
    )
    login(client, "admin@example.com")
    assert "Secreto" not in client.get("/registry/new").get_data(as_text=True)


def test_an_htmx_action_after_expiry_leaves_the_page_and_says_so(app, client, db, w):
    login(client, "coordinador@example.com")
    token = csrf_token(client)
    end_session_elsewhere(db, w["users"]["coordinator"])
    response = client.post(
        "/nominations/1/approve",
        data={"csrf_token": token},
        headers={
            "HX-Request": "true",
            "HX-Current-URL": f"http://localhost/review/slots/{w['slot'].id}",
        },
    )
    assert response.status_code == 401
    assert response.headers["HX-Retarget"] == "#session-notice"
    assert response.headers["HX-Reswap"] == "innerHTML"
    body = response.get_data(as_text=True)
    assert "Su sesión expiró" in body and f"next=/review/slots/{w['slot'].id}" in body
