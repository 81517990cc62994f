"""'¿Olvidó su contraseña?': the same answer whether or not the address exists, a link that
expires in an hour and works once, and a limit on how often it can be asked."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from app import clock
from app.models import OutboxMessage
from tests.conftest import csrf_token, login
from tests.factories import make_world
from tests.test_admin_users import choose_password, link_in_mail


def ask(client, email: str):
    token = csrf_token(client, "/password/forgot")
    return client.post("/password/forgot", data={"email": email, "csrf_token": token})


def mails(db) -> int:
    return db.session.execute(select(func.count()).select_from(OutboxMessage)).scalar_one()


def test_the_answer_is_the_same_whether_or_not_the_account_exists(app, db, client):
    make_world()
    db.session.commit()
    assert "¿Olvidó su contraseña?" in client.get("/login").get_data(as_text=True)
    known = ask(client, "viewer@example.com")
    unknown = ask(client, "nadie@example.com")
    assert known.status_code == unknown.status_code == 303
    page = client.get("/login").get_data(as_text=True)
    assert "Si nadie@example.com tiene una cuenta activa, le enviamos un enlace" in page
    assert mails(db) == 1  # only the real account gets a message


def test_a_link_expires_after_an_hour_and_works_once(app, db, client):
    make_world()
    db.session.commit()
    app.config["FIXED_NOW"] = clock.now_utc()
    ask(client, "viewer@example.com")
    path = link_in_mail(db, "viewer@example.com")
    app.config["FIXED_NOW"] += timedelta(minutes=61)
    late = app.test_client().get(path)
    assert late.status_code == 400 and "venció" in late.get_data(as_text=True)

    app.config["FIXED_NOW"] += timedelta(minutes=1)
    ask(client, "viewer@example.com")
    path = link_in_mail(db, "viewer@example.com")
    assert choose_password(app, path, "nueva-clave-larga").status_code == 303
    assert login(app.test_client(), "viewer@example.com", "nueva-clave-larga").status_code == 302
    assert login(app.test_client(), "viewer@example.com").status_code == 401  # the old one
    again = app.test_client().get(path)
    assert again.status_code == 400 and "ya se usó" in again.get_data(as_text=True)


def test_a_tampered_link_is_refused_clearly(app, db, client):
    make_world()
    db.session.commit()
    ask(client, "viewer@example.com")
    path = link_in_mail(db, "viewer@example.com")
    forged = app.test_client().get(path[:-3] + "xyz")
    assert forged.status_code == 400 and "no es válido" in forged.get_data(as_text=True)


def test_asking_for_links_is_rate_limited(app, db, client):
    make_world()
    db.session.commit()
    app.config["PASSWORD_LINK_RATE_LIMIT"] = "3 per minute"
    statuses = [ask(client, "viewer@example.com").status_code for _ in range(4)]
    assert statuses == [303, 303, 303, 429]
