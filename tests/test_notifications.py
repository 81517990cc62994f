"""Notifications: written with the change that causes them, delivered by the worker to a real
SMTP server (aiosmtpd) with retries, never lost and never sent twice."""

from __future__ import annotations

import socket
import threading
from datetime import timedelta
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from app import clock
from app.domain import nominations, review
from app.extensions import db as _db
from app.models import Nomination, OutboxMessage, OutboxState
from app.notifications import worker
from tests.conftest import login
from tests.factories import make_nominations_world, register


class Inbox:
    """An SMTP server's handler that keeps what it receives, or refuses while told to."""

    def __init__(self) -> None:
        self.received: list = []
        self.refuse_with: str | None = None

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        if self.refuse_with:
            return self.refuse_with
        self.received.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


@pytest.fixture
def smtp(app):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    yield inbox
    controller.stop()


@pytest.fixture
def w(app, db):
    return make_nominations_world(app)


def queued(**where) -> list[OutboxMessage]:
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    for name, value in where.items():
        query = query.where(getattr(OutboxMessage, name) == value)
    return list(_db.session.execute(query).scalars())


def submitted(w, *ruts: str):
    officer = w["users"]["officer"]
    for rut in ruts:
        person = register(w["melipilla"], w["crafts"], rut, business_name=f"Negocio {rut[:2]}")
        nominations.nominate(w["slot"], person, by=officer)
    return nominations.submit_list(w["slot"], w["melipilla"], by=officer)


@pytest.mark.db
def test_decisions_are_queued_for_the_commune_with_the_change(w, db, backend):
    first, second = submitted(w, "12345678-5", "11111111-1")
    coordinator = w["users"]["coordinator"]
    # One message to the coordinators for the list, not one per nomination.
    told = queued(recipient="coordinador@example.com")
    assert len(told) == 1 and "Melipilla envió su lista" in told[0].subject
    review.approve(first, by=coordinator)
    review.decide(second, "reject", by=coordinator, reason="Sin resolución sanitaria")
    db.session.commit()
    to_officer = queued(recipient="melipilla@example.com")
    assert [m.subject.split(":")[0] for m in to_officer] == ["Aprobado", "Rechazado"]
    assert "Motivo: Sin resolución sanitaria" in to_officer[1].body_text
    assert "/nominations/" in to_officer[0].body_text  # a link to the list

    # A change that rolls back leaves no message behind.
    third = submitted(w, "22222222-2")[0]
    db.session.commit()
    before = len(queued())
    review.decide(third, "waitlist", by=coordinator)
    db.session.rollback()
    assert len(queued()) == before


def test_without_a_mail_server_messages_wait_on_the_admins_page(app, w, db, client):
    app.config["MAIL_SERVER"] = ""
    submitted(w, "12345678-5")
    db.session.commit()
    assert worker.run_once().sent == 0
    assert [m.state for m in queued()] == [OutboxState.PENDING]
    login(client, "admin@example.com")
    page = client.get("/admin/mail/").get_data(as_text=True)
    assert "No hay servidor de correo configurado" in page and "Melipilla envió su lista" in page
    message = queued()[0]
    shown = client.get(f"/admin/mail/{message.id}").get_data(as_text=True)
    assert "Está lista para revisar" in shown


def test_the_worker_delivers_text_and_html_once(app, w, db, smtp):
    submitted(w, "12345678-5")
    db.session.commit()
    assert worker.run_once().sent == 1
    assert worker.run_once().sent == 0  # nothing twice
    (mail,) = smtp.received
    assert mail["To"] == "coordinador@example.com"
    assert "Melipilla envió su lista" in mail["Subject"]
    assert mail["Message-ID"]
    assert "Está lista para revisar" in mail.get_body(("plain",)).get_content()
    assert "<a href=" in mail.get_body(("html",)).get_content()
    assert queued()[0].state is OutboxState.SENT


def test_a_server_that_refuses_for_hours_loses_nothing_and_sends_once(app, w, db, smtp):
    submitted(w, "12345678-5")  # one message: the list, to the coordinator
    db.session.commit()
    smtp.refuse_with = "451 4.3.0 Intente más tarde"
    started = clock.now_utc()
    for hour in range(1, 6):  # five hours of a server that says "later"
        app.config["FIXED_NOW"] = started + timedelta(hours=hour)
        done = worker.run_once()
        assert done.sent == 0 and done.retried == 1
    message = queued()[0]
    assert message.state is OutboxState.PENDING and message.attempts == 5
    assert "451" in message.last_error
    smtp.refuse_with = None
    app.config["FIXED_NOW"] = started + timedelta(hours=7)
    assert worker.run_once().sent == 1
    assert worker.run_once().sent == 0
    assert len(smtp.received) == 1


@pytest.mark.db
def test_two_workers_at_once_send_each_message_once(app, db, backend, smtp):
    w = make_nominations_world(app, stands=10)
    submitted(w, *[f"{10_000_000 + i}-{_dv(10_000_000 + i)}" for i in range(8)])
    coordinator = w["users"]["coordinator"]
    for nomination in _db.session.execute(select(Nomination)).scalars().all():
        review.approve(nomination, by=coordinator)
    db.session.commit()
    total = _db.session.execute(select(func.count()).select_from(OutboxMessage)).scalar_one()
    assert total == 9  # the list to the coordinator, eight approvals to the officer
    db.session.rollback()  # the test's own transaction must not hold SQLite's lock
    barrier = threading.Barrier(2)

    def run() -> None:
        with app.app_context():
            barrier.wait()
            worker.run_once()
            _db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(smtp.received) == total
    assert len({m["Message-ID"] for m in smtp.received}) == total


def test_names_are_escaped_in_html_and_messages_follow_the_readers_language(app, w, db):
    officer = w["users"]["officer"]
    officer.locale = "en"
    person = register(w["melipilla"], w["crafts"], "12345678-5", business_name="<b>Miel</b>")
    nominations.nominate(w["slot"], person, by=officer)
    (nomination,) = nominations.submit_list(w["slot"], w["melipilla"], by=officer)
    review.approve(nomination, by=w["users"]["coordinator"])
    db.session.commit()
    (message,) = queued(recipient="melipilla@example.com")
    assert message.subject.startswith("Approved: <b>Miel</b>")  # plain text: as typed
    assert "&lt;b&gt;Miel&lt;/b&gt;" in message.body_html and "<b>Miel</b>" not in message.body_html
    assert "approved" in message.body_text


def _dv(body: int) -> str:
    from app.domain.rut import check_digit

    return check_digit(body)


def test_officers_are_reminded_before_their_deadline_once(app, w, db):
    app.config["MAIL_SERVER"] = ""
    person = register(w["melipilla"], w["crafts"], "12345678-5")
    nominations.nominate(w["slot"], person, by=w["users"]["officer"])  # a draft, not sent
    db.session.commit()
    deadline = w["slot"].nominations_deadline
    app.config["FIXED_NOW"] = deadline - timedelta(days=4)
    worker.run_once()
    assert queued(recipient="melipilla@example.com") == []  # not yet
    app.config["FIXED_NOW"] = deadline - timedelta(days=2)
    worker.run_once()
    worker.run_once()
    (reminder,) = queued(recipient="melipilla@example.com")
    assert "cierran el" in reminder.subject
    assert "1 sin enviar" in reminder.body_text
    assert len(queued(recipient="alhue@example.com")) == 1  # nothing nominated yet: reminded


def test_entrepreneurs_are_reminded_two_days_before_their_week(app, w, db):
    from app.domain import slot_states

    app.config["MAIL_SERVER"] = ""
    officer, coordinator = w["users"]["officer"], w["users"]["coordinator"]
    person = register(
        w["melipilla"], w["crafts"], "12345678-5", business_name="Miel Ana", email="ana@example.com"
    )
    nomination = nominations.nominate(w["slot"], person, by=officer)
    nominations.submit_list(w["slot"], w["melipilla"], by=officer)
    review.approve(nomination, by=coordinator)
    slot_states.transition_slot(w["slot"], "close_nominations", by=coordinator)
    slot_states.transition_slot(w["slot"], "publish", by=coordinator)
    db.session.commit()
    start = clock.venue_midnight(w["slot"].starts_on)
    app.config["FIXED_NOW"] = start - timedelta(days=3, hours=1)
    worker.run_once()
    assert [
        m.subject for m in queued(recipient="ana@example.com") if "Recordatorio" in m.subject
    ] == []
    app.config["FIXED_NOW"] = start - timedelta(days=1)
    worker.run_once()
    worker.run_once()
    reminders = [m for m in queued(recipient="ana@example.com") if "Recordatorio" in m.subject]
    assert len(reminders) == 1 and "Miel Ana" in reminders[0].body_text
