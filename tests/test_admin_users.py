"""Admins invite users, edit them, deactivate them and reset their passwords."""

import re

import pytest
from sqlalchemy import select

from app.models import AuditEvent, Role, User
from tests.conftest import csrf_token, login
from tests.factories import make_world


@pytest.fixture
def admin_client(app, db):
    world = make_world()
    client = app.test_client()
    login(client, "admin@example.com")
    client.world = world
    return client


def test_admin_lists_users_with_role_and_commune(admin_client):
    html = admin_client.get("/admin/users").get_data(as_text=True)
    assert "melipilla@example.com" in html
    assert "Encargado comunal" in html and "Melipilla" in html


def link_in_mail(db, recipient: str) -> str:
    from app.models import OutboxMessage

    message = db.session.execute(
        select(OutboxMessage)
        .where(OutboxMessage.recipient == recipient)
        .order_by(OutboxMessage.id.desc())
        .limit(1)
    ).scalar_one()
    return re.search(r"http://[^/]+(/password/set/\S+)", message.body_text).group(1)


def choose_password(app, path: str, password: str):
    client = app.test_client()
    token = csrf_token(client, path)
    return client.post(path, data={"new": password, "repeated": password, "csrf_token": token})


def test_admin_invites_an_officer_who_chooses_a_password_from_the_link(app, admin_client, db):
    commune = admin_client.world["communes"][2]
    response = admin_client.post(
        "/admin/users/new",
        data={
            "email": "Nueva.Encargada@example.com",
            "name": "Nueva Encargada",
            "role": "officer",
            "commune": commune.id,
            "locale": "es",
            "csrf_token": csrf_token(admin_client, "/admin/users/new"),
        },
    )
    assert response.status_code == 303
    listing = admin_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "se envió una invitación a nueva.encargada@example.com" in listing
    user = db.session.execute(
        select(User).where(User.email == "nueva.encargada@example.com")
    ).scalar_one()
    assert user.role is Role.OFFICER and user.commune_id == commune.id
    path = link_in_mail(db, "nueva.encargada@example.com")
    assert choose_password(app, path, "una-clave-nueva-2026").status_code == 303
    assert login(app.test_client(), user.email, "una-clave-nueva-2026").status_code == 302
    # The link works once.
    spent = app.test_client().get(path)
    assert spent.status_code == 400 and "ya se usó" in spent.get_data(as_text=True)
    events = (
        db.session.execute(select(AuditEvent).where(AuditEvent.action == "user.create"))
        .scalars()
        .all()
    )
    assert any(e.object_id == user.id for e in events)


def test_officer_without_commune_is_refused_with_a_message(admin_client, db):
    response = admin_client.post(
        "/admin/users/new",
        data={
            "email": "x@example.com",
            "name": "X",
            "role": "officer",
            "commune": 0,
            "locale": "es",
            "csrf_token": csrf_token(admin_client, "/admin/users/new"),
        },
    )
    assert response.status_code == 400
    assert "Un encargado comunal debe tener una comuna." in response.get_data(as_text=True)
    assert db.session.execute(select(User).where(User.email == "x@example.com")).first() is None


def test_duplicate_email_is_a_conflict(admin_client):
    response = admin_client.post(
        "/admin/users/new",
        data={
            "email": "viewer@example.com",
            "name": "Otro",
            "role": "viewer",
            "commune": 0,
            "locale": "es",
            "csrf_token": csrf_token(admin_client, "/admin/users/new"),
        },
    )
    assert response.status_code == 409
    assert "Ya existe un usuario con el correo viewer@example.com." in response.get_data(
        as_text=True
    )


def test_deactivating_a_user_ends_their_open_session(app, admin_client, db):
    viewer_client = app.test_client()
    login(viewer_client, "viewer@example.com")
    assert viewer_client.get("/").status_code == 200
    viewer_id = admin_client.world["users"]["viewer"].id
    response = admin_client.post(
        f"/admin/users/{viewer_id}/deactivate",
        data={"csrf_token": csrf_token(admin_client), "confirmed": "1"},
    )
    assert response.status_code == 302
    assert viewer_client.get("/").status_code == 302
    refused = login(app.test_client(), "viewer@example.com")
    assert refused.status_code == 403
    assert "Su cuenta está desactivada" in refused.get_data(as_text=True)


def test_deactivating_and_resetting_ask_for_confirmation_first(app, admin_client, db):
    viewer = admin_client.world["users"]["viewer"]
    for path, question in (
        ("deactivate", f"¿Desactivar a {viewer.name}?"),
        ("reset-password", f"¿Restablecer la contraseña de {viewer.name}?"),
    ):
        response = admin_client.post(
            f"/admin/users/{viewer.id}/{path}", data={"csrf_token": csrf_token(admin_client)}
        )
        page = response.get_data(as_text=True)
        assert response.status_code == 200 and question in page
        assert 'name="confirmed" value="1"' in page
    db.session.expire_all()
    assert viewer.active
    assert login(app.test_client(), "viewer@example.com").status_code == 302


def test_admin_cannot_deactivate_themselves(admin_client):
    admin_id = admin_client.world["users"]["admin"].id
    response = admin_client.post(
        f"/admin/users/{admin_id}/deactivate",
        data={"csrf_token": csrf_token(admin_client), "confirmed": "1"},
    )
    assert response.status_code == 409
    assert "No puede desactivar su propia cuenta." in response.get_data(as_text=True)


def test_reset_password_stops_the_old_one_and_sends_a_link(app, admin_client, db):
    viewer_id = admin_client.world["users"]["viewer"].id
    response = admin_client.post(
        f"/admin/users/{viewer_id}/reset-password",
        data={"csrf_token": csrf_token(admin_client), "confirmed": "1"},
    )
    assert response.status_code == 303
    assert login(app.test_client(), "viewer@example.com").status_code == 401
    path = link_in_mail(db, "viewer@example.com")
    assert choose_password(app, path, "clave-elegida-por-ella").status_code == 303
    assert (
        login(app.test_client(), "viewer@example.com", "clave-elegida-por-ella").status_code == 302
    )


def test_edit_user_changes_role_and_ends_their_session(app, admin_client, db):
    officer = admin_client.world["users"]["officer"]
    officer_client = app.test_client()
    login(officer_client, "melipilla@example.com")
    response = admin_client.post(
        f"/admin/users/{officer.id}",
        data={
            "email": officer.email,
            "name": "Ahora observador",
            "role": "viewer",
            "commune": 0,
            "locale": "en",
            "csrf_token": csrf_token(admin_client, f"/admin/users/{officer.id}"),
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    updated = db.session.get(User, officer.id)
    assert (updated.role, updated.commune_id, updated.name) == (
        Role.VIEWER,
        None,
        "Ahora observador",
    )
    assert officer_client.get("/").status_code == 302


def test_english_interface_on_request(app, db):
    make_world()
    client = app.test_client()
    html = client.get("/login", headers={"Accept-Language": "en-US,en;q=0.9"}).get_data(
        as_text=True
    )
    assert "Sign in" in html
    html = client.get("/login", headers={"Accept-Language": "es-CL"}).get_data(as_text=True)
    assert "Iniciar sesión" in html
