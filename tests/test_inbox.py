"""The staff's inbox and the communes' week notices: what an officer is e-mailed is also waiting
in the app, counted in the navigation until read; a re-plan or a moved week tells each commune
whose weeks changed, once, listing them."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import select

from app.domain import nominations, review, rotation, rotation_settings
from app.extensions import db as _db
from app.models import InboxItem, OutboxMessage
from tests.conftest import csrf_token, login
from tests.factories import make_nominations_world, make_program_world, register


def items_of(email: str) -> list[InboxItem]:
    from app.models import User

    user = _db.session.execute(select(User).where(User.email == email)).scalar_one()
    return list(
        _db.session.execute(
            select(InboxItem).where(InboxItem.user_id == user.id).order_by(InboxItem.id)
        ).scalars()
    )


def mails_to(email: str) -> list[OutboxMessage]:
    return list(
        _db.session.execute(
            select(OutboxMessage).where(OutboxMessage.recipient == email).order_by(OutboxMessage.id)
        ).scalars()
    )


def nav_count(html: str) -> str:
    match = re.search(r'id="inbox-count"[^>]*>(.*?)</span>\s*</a>', html, re.S)
    assert match, "the navigation has no inbox count"
    return re.sub(r"<[^>]+>", "", match.group(1)).strip()


@pytest.fixture
def decided(app, db):
    """Melipilla's officer has one approval waiting in the inbox."""
    w = make_nominations_world(app)
    officer, coordinator = w["users"]["officer"], w["users"]["coordinator"]
    person = register(w["melipilla"], w["crafts"], "12345678-5", business_name="Tejidos Ñandú")
    nomination = nominations.nominate(w["slot"], person, by=officer)
    nominations.submit_list(w["slot"], w["melipilla"], by=officer)
    review.approve(nomination, by=coordinator)
    db.session.commit()
    return w


@pytest.mark.db
def test_a_decision_waits_in_the_officers_inbox_with_the_email(decided, db, backend):
    items = items_of("melipilla@example.com")
    assert [i.subject for i in items] == [m.subject for m in mails_to("melipilla@example.com")]
    assert len(items) == 1 and items[0].read_at is None
    assert "Tejidos Ñandú" in items[0].subject + items[0].sentence
    # A path of this site, not the e-mail's absolute address.
    assert items[0].link.startswith("/nominaciones/") or items[0].link.startswith("/")
    assert "://" not in items[0].link
    # Coordinators were told of the list, in their own inbox.
    assert len(items_of("coordinador@example.com")) == 1
    assert items_of("alhue@example.com") == []


def test_the_navigation_counts_unread_notices_and_opening_one_reads_it(app, decided, db):
    client = app.test_client()
    login(client, "melipilla@example.com")
    home = client.get("/").get_data(as_text=True)
    assert nav_count(home) == "1"
    page = client.get("/avisos/").get_data(as_text=True)
    assert "Tejidos Ñandú" in page and 'class="inbox-item unread"' in page
    item = items_of("melipilla@example.com")[0]
    opened = client.post(
        f"/avisos/{item.id}/abrir", data={"csrf_token": csrf_token(client, "/avisos/")}
    )
    assert opened.status_code == 303 and opened.headers["Location"] == item.link
    _db.session.expire_all()
    assert items_of("melipilla@example.com")[0].read_at is not None
    assert nav_count(client.get("/").get_data(as_text=True)) == ""
    # The coordinator's own notice is untouched.
    assert items_of("coordinador@example.com")[0].read_at is None


def test_marking_in_place_swaps_the_row_and_the_count(app, decided, db):
    client = app.test_client()
    login(client, "melipilla@example.com")
    token = csrf_token(client, "/avisos/")
    item = items_of("melipilla@example.com")[0]
    headers = {"HX-Request": "true", "X-CSRFToken": token}
    read = client.post(f"/avisos/{item.id}/leido", headers=headers)
    body = read.get_data(as_text=True)
    assert read.status_code == 200
    assert f'id="inbox-item-{item.id}" class="inbox-item"' in body
    assert 'id="inbox-count" class="inbox-count" hx-swap-oob="true"' in body
    assert nav_count(body + "</a>") == ""
    unread = client.post(f"/avisos/{item.id}/no-leido", headers=headers).get_data(as_text=True)
    assert 'class="inbox-item unread"' in unread and nav_count(unread + "</a>") == "1"


def test_mark_all_read(app, decided, db):
    client = app.test_client()
    login(client, "coordinador@example.com")
    response = client.post("/avisos/leer-todo", data={"csrf_token": csrf_token(client, "/avisos/")})
    assert response.status_code == 303
    _db.session.expire_all()
    assert all(i.read_at is not None for i in items_of("coordinador@example.com"))
    assert all(i.read_at is None for i in items_of("melipilla@example.com"))


def test_nobody_reads_or_marks_another_users_notice(app, decided, db):
    item = items_of("melipilla@example.com")[0]
    client = app.test_client()
    login(client, "alhue@example.com")
    token = csrf_token(client, "/avisos/")
    assert "Tejidos" not in client.get("/avisos/").get_data(as_text=True)
    for action in ("abrir", "leido", "no-leido"):
        response = client.post(f"/avisos/{item.id}/{action}", data={"csrf_token": token})
        assert response.status_code == 404, action
    _db.session.expire_all()
    assert items_of("melipilla@example.com")[0].read_at is None
    # Without the CSRF token nothing changes either.
    other = app.test_client()
    login(other, "melipilla@example.com")
    assert other.post(f"/avisos/{item.id}/leido").status_code == 400
    assert app.test_client().get("/avisos/").status_code == 302  # visitors sign in first


def test_the_inbox_pages_by_thirty(app, decided, db):
    from app.models import User
    from app.notifications import inbox

    officer = _db.session.execute(
        select(User).where(User.email == "melipilla@example.com")
    ).scalar_one()
    for n in range(40):
        inbox.add(officer, key=f"test:{n}", subject=f"Aviso {n:02d}", sentence="", link="/")
    _db.session.commit()
    client = app.test_client()
    login(client, "melipilla@example.com")
    first = client.get("/avisos/").get_data(as_text=True)
    second = client.get("/avisos/?page=2").get_data(as_text=True)
    assert first.count('class="inbox-item') == 30 and second.count('class="inbox-item') == 11
    assert "Anteriores" in first and "Anteriores" not in second
    assert nav_count(first) == "41"
    assert client.get("/avisos/?page=abc").status_code in (200, 400)


# --- communes hear when their weeks change -----------------------------------------------


def week_mails(email: str) -> list[OutboxMessage]:
    return [m for m in mails_to(email) if "semana" in m.subject and "mall" in m.subject]


@pytest.mark.db
def test_a_replan_tells_each_commune_whose_weeks_changed_once(app, db, backend):
    world = make_program_world(app)
    program, coordinator = world["program"], world["users"]["coordinator"]
    _db.session.execute(OutboxMessage.__table__.delete())
    _db.session.execute(InboxItem.__table__.delete())
    _db.session.commit()
    meli, alhue = world["communes"][0], world["communes"][1]
    before = {s.id: rotation.host_of(s) for s in program.slots}
    # Melipilla cannot take any month from March on: its weeks go elsewhere.
    for month in range(3, 13):
        rotation_settings.add_unavailability(program, meli, 2027, month, by=coordinator, reason="")
    preview = rotation.plan_year(program, 2027, by=coordinator, apply=True)
    _db.session.commit()
    lost = [c.slot for c in preview.changes if before[c.slot.id] == meli.id]
    assert lost, "the re-plan should take weeks from Melipilla"
    told = week_mails("melipilla@example.com")
    assert len(told) == 1  # one message for the whole re-plan, listing every week
    text = told[0].body_text
    assert text.count("ya no es de su comuna") == len(lost)
    assert told[0].body_html.count("<li>") == text.count("\n- ")
    # Alhué's officer hears only if Alhué's weeks changed, and then of exactly those.
    alhue_changes = [
        c for c in preview.changes if alhue.id in (before[c.slot.id], rotation.host_of(c.slot))
    ]
    alhue_told = week_mails("alhue@example.com")
    assert len(alhue_told) == (1 if alhue_changes else 0)
    if alhue_changes:
        assert alhue_told[0].body_text.count("\n- ") == len(alhue_changes)
    # The notice waits in the inbox too, linking to the year.
    item = items_of("melipilla@example.com")[-1]
    assert (
        item.subject == told[0].subject and item.link == "/rotacion/1/2027" or "2027" in item.link
    )
    # Re-planning again changes nothing, and tells nobody.
    rotation.plan_year(program, 2027, by=coordinator, apply=True)
    _db.session.commit()
    assert len(week_mails("melipilla@example.com")) == 1


def test_a_week_moved_or_given_away_by_hand_is_told(app, db):
    world = make_program_world(app)
    program, coordinator = world["program"], world["users"]["coordinator"]
    meli, alhue = world["communes"][0], world["communes"][1]
    may = next(s for s in program.slots if s.month == 5)
    if rotation.host_of(may) != meli.id:
        rotation.override_host(may, meli, by=coordinator, reason="Prueba")
        _db.session.commit()
    _db.session.execute(OutboxMessage.__table__.delete())
    _db.session.commit()
    rotation_settings.move_slot(may, date(2027, 5, 17), by=coordinator, reason="Cyber Day")
    _db.session.commit()
    [moved] = week_mails("melipilla@example.com")
    assert "cambió de fechas: ahora es del" in moved.body_text and "17" in moved.body_text
    assert week_mails("alhue@example.com") == []
    rotation.override_host(may, alhue, by=coordinator, reason="Acuerdo")
    _db.session.commit()
    assert "ya no es de su comuna" in week_mails("melipilla@example.com")[-1].body_text
    assert "ahora es de su comuna" in week_mails("alhue@example.com")[-1].body_text


def test_a_cancelled_week_is_told_to_its_communes(app, db):
    from app.domain import transitions

    world = make_program_world(app)
    program, coordinator = world["program"], world["users"]["coordinator"]
    meli = world["communes"][0]
    june = next(s for s in program.slots if s.month == 6)
    if rotation.host_of(june) != meli.id:
        rotation.override_host(june, meli, by=coordinator, reason="Prueba")
    _db.session.commit()
    _db.session.execute(OutboxMessage.__table__.delete())
    _db.session.commit()
    transitions.apply(june, "cancel", by=coordinator, reason="Remodelación del mall")
    _db.session.commit()
    [told] = week_mails("melipilla@example.com")
    assert "el mall la canceló" in told.body_text
    transitions.apply(june, "restore", by=coordinator)
    _db.session.commit()
    assert "la restableció" in week_mails("melipilla@example.com")[-1].body_text
    assert week_mails("alhue@example.com") == []


def test_a_change_rolled_back_tells_nobody(app, db):
    world = make_program_world(app)
    program, coordinator = world["program"], world["users"]["coordinator"]
    _db.session.execute(OutboxMessage.__table__.delete())
    _db.session.commit()
    may = next(s for s in program.slots if s.month == 5)
    rotation_settings.move_slot(may, date(2027, 5, 17), by=coordinator, reason="Cyber Day")
    _db.session.rollback()
    _db.session.commit()
    assert _db.session.execute(select(OutboxMessage)).first() is None
