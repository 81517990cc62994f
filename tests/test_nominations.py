"""A commune nominates its entrepreneurs for its weeks: each rule, in the domain and on the page."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from app import clock
from app.domain import nomination_states, nominations
from app.domain.errors import Conflict, NotAllowed, NotFound
from app.domain.rut import check_digit
from app.models import AuditEvent, Nomination, NominationState, SlotState
from tests.conftest import csrf_token, login
from tests.factories import make_nominations_world, register

S = NominationState


@pytest.fixture
def w(app, db):
    return make_nominations_world(app)


def officer(w):
    return w["users"]["officer"]


def person(w, rut, **kw):
    return register(w["melipilla"], kw.pop("category", w["crafts"]), rut, **kw)


# --- the rules ------------------------------------------------------------------------------


@pytest.mark.db
def test_officer_nominates_a_draft_that_is_audited(db, w, backend):
    e = person(w, "12345678-5", business_name="Greda Pomaire")
    n = nominations.nominate(w["slot"], e, by=officer(w))
    db.session.commit()
    assert n.state is S.DRAFT and not n.is_reserve and n.position == 0
    event = db.session.execute(
        select(AuditEvent).where(AuditEvent.action == "nomination.create")
    ).scalar_one()
    assert event.actor_id == officer(w).id and event.entrepreneur_id == e.id
    assert event.slot_id == w["slot"].id and event.commune_id == w["melipilla"].id


@pytest.mark.db
def test_officer_cannot_nominate_after_deadline(app, db, w, backend):
    e = person(w, "12345678-5")
    app.config["FIXED_NOW"] = w["slot"].nominations_deadline + timedelta(minutes=1)
    with pytest.raises(Conflict, match="El plazo para nominar venció el"):
        nominations.nominate(w["slot"], e, by=officer(w))


@pytest.mark.db
def test_officer_cannot_nominate_when_nominations_are_not_open(db, w, backend):
    e = person(w, "12345678-5")
    w["slot"].state = SlotState.NOMINATIONS_CLOSED
    with pytest.raises(Conflict, match="no están abiertas"):
        nominations.nominate(w["slot"], e, by=officer(w))


@pytest.mark.db
def test_main_list_stops_at_the_communes_quota(db, w, backend):
    people = [person(w, rut) for rut in ("12345678-5", "11111111-1", "22222222-2")]
    nominations.nominate(w["slot"], people[0], by=officer(w))
    nominations.nominate(w["slot"], people[1], by=officer(w))
    with pytest.raises(Conflict, match="ya nominó sus 2 stands"):
        nominations.nominate(w["slot"], people[2], by=officer(w))
    reserve = nominations.nominate(w["slot"], people[2], by=officer(w), reserve=True)
    assert reserve.is_reserve and reserve.position == 0


@pytest.mark.db
def test_one_nomination_per_entrepreneur_per_slot(db, w, backend):
    e = person(w, "12345678-5", business_name="Miel del Cerro")
    nominations.nominate(w["slot"], e, by=officer(w))
    with pytest.raises(Conflict, match="«Miel del Cerro» ya está nominado para esta semana"):
        nominations.nominate(w["slot"], e, by=officer(w), reserve=True)


@pytest.mark.db
def test_a_withdrawn_entrepreneur_can_be_nominated_again(db, w, backend):
    e = person(w, "12345678-5")
    first = nominations.nominate(w["slot"], e, by=officer(w))
    nominations.withdraw(first, by=officer(w), reason="Se enfermó")
    again = nominations.nominate(w["slot"], e, by=officer(w))
    db.session.commit()
    assert first.state is S.WITHDRAWN and again.state is S.DRAFT
    # The list shows them once, nominated, not also among the withdrawn.
    listing = nominations.commune_list(w["slot"], w["melipilla"].id)
    assert listing.main == [again] and listing.closed == []


def test_a_list_closes_up_whoever_takes_a_nomination_off_it(db, w):
    """Withdrawn by the commune or cancelled by the mall: one path (review.decide), so the
    list left behind is always numbered 0, 1, 2 … (it used to depend on the route taken)."""
    from app.domain import review

    people = [person(w, rut) for rut in ("12345678-5", "11111111-1", "22222222-2")]
    w["slot"].allocations[0].stands = 3
    first, second, third = (nominations.nominate(w["slot"], p, by=officer(w)) for p in people)
    nominations.submit_list(w["slot"], w["melipilla"], by=officer(w))
    review.decide(first, "withdraw", by=officer(w), reason="Enfermedad")
    assert (second.position, third.position) == (0, 1)
    review.approve(second, by=w["users"]["coordinator"])
    review.decide(second, "cancel", by=w["users"]["coordinator"], reason="No vino a montar")
    assert third.position == 0


@pytest.mark.db
def test_only_nominations_the_mall_has_not_decided_are_reordered(db, w, backend):
    first = nominations.nominate(w["slot"], person(w, "12345678-5"), by=officer(w))
    second = nominations.nominate(w["slot"], person(w, "11111111-1"), by=officer(w), reserve=True)
    third = nominations.nominate(w["slot"], person(w, "22222222-2"), by=officer(w), reserve=True)
    fourth = nominations.nominate(w["slot"], person(w, "33333333-3"), by=officer(w), reserve=True)
    nominations.submit_list(w["slot"], w["melipilla"], by=officer(w))
    nomination_states.apply(first, "approve", by=w["users"]["coordinator"])
    nomination_states.apply(second, "waitlist", by=w["users"]["coordinator"])
    with pytest.raises(Conflict, match="aún no resueltas"):
        nominations.move(first, "down", by=officer(w))
    # An undecided one trades places with the nearest undecided one, never with a decision:
    # the waiting list keeps its order.
    nominations.move(third, "up", by=officer(w))
    assert (second.position, third.position, fourth.position) == (0, 1, 2)
    nominations.move(fourth, "up", by=officer(w))
    db.session.commit()
    assert (second.position, fourth.position, third.position) == (0, 1, 2)


@pytest.mark.db
def test_inactive_entrepreneurs_cannot_be_nominated(db, w, backend):
    e = person(w, "12345678-5", business_name="Cueros Soto", active=False)
    with pytest.raises(Conflict, match="«Cueros Soto» está inactivo"):
        nominations.nominate(w["slot"], e, by=officer(w))


@pytest.mark.db
def test_food_permit_must_cover_the_whole_week(db, w, backend):
    slot = w["slot"]
    e = person(
        w,
        "12345678-5",
        business_name="Miel Doña Rosa",
        category=w["food"],
        sanitary_resolution="Res. 1234/2025",
        sanitary_expiry=slot.ends_on - timedelta(days=1),
    )
    with pytest.raises(Conflict, match="La resolución sanitaria de «Miel Doña Rosa» vence el"):
        nominations.nominate(slot, e, by=officer(w))
    e.sanitary_expiry = slot.ends_on
    assert nominations.nominate(slot, e, by=officer(w)).state is S.DRAFT


@pytest.mark.db
def test_yearly_maximum_of_weeks_per_entrepreneur(db, w, backend):
    from tests.factories import open_slot

    program = w["program"]
    program.max_weeks_per_entrepreneur_year = 1
    e = person(w, "12345678-5", business_name="Tejidos Ana")
    nominations.nominate(w["slot"], e, by=officer(w))
    february = open_slot(program, {w["melipilla"]: 2}, index=1)
    with pytest.raises(Conflict, match="«Tejidos Ana» ya tiene 1 semanas en 2027"):
        nominations.nominate(february, e, by=officer(w))
    # A reserve place is not a week yet: it does not count.
    other = person(w, "11111111-1")
    nominations.nominate(w["slot"], other, by=officer(w), reserve=True)
    assert nominations.nominate(february, other, by=officer(w)).state is S.DRAFT


@pytest.mark.db
def test_officer_cannot_nominate_another_communes_entrepreneur(db, w, backend):
    theirs = register(w["alhue"], w["crafts"], "12345678-5")
    with pytest.raises(NotFound):
        nominations.nominate(w["slot"], theirs, by=officer(w))


@pytest.mark.db
def test_coordinator_cannot_nominate_for_a_commune(db, w, backend):
    e = person(w, "12345678-5")
    with pytest.raises(NotAllowed):
        nominations.nominate(w["slot"], e, by=w["users"]["coordinator"])


@pytest.mark.db
def test_reorder_and_move_between_lists(db, w, backend):
    a, b, c = (person(w, r) for r in ("12345678-5", "11111111-1", "22222222-2"))
    na = nominations.nominate(w["slot"], a, by=officer(w))
    nb = nominations.nominate(w["slot"], b, by=officer(w))
    nc = nominations.nominate(w["slot"], c, by=officer(w), reserve=True)
    nominations.move(nb, "up", by=officer(w))
    listing = nominations.commune_list(w["slot"], w["melipilla"].id)
    assert [n.id for n in listing.main] == [nb.id, na.id]
    with pytest.raises(Conflict, match="ya tiene los 2 stands"):
        nominations.set_reserve(nc, False, by=officer(w))
    nominations.set_reserve(na, True, by=officer(w))
    nominations.set_reserve(nc, False, by=officer(w))
    listing = nominations.commune_list(w["slot"], w["melipilla"].id)
    assert [n.id for n in listing.main] == [nb.id, nc.id]
    assert [n.id for n in listing.reserve] == [na.id]


@pytest.mark.db
def test_submit_sends_every_draft_and_audits_each(db, w, backend):
    a, b = person(w, "12345678-5"), person(w, "11111111-1")
    nominations.nominate(w["slot"], a, by=officer(w))
    nominations.nominate(w["slot"], b, by=officer(w), reserve=True)
    sent = nominations.submit_list(w["slot"], w["melipilla"], by=officer(w))
    db.session.commit()
    assert {n.state for n in sent} == {S.SUBMITTED}
    events = db.session.execute(
        select(AuditEvent).where(AuditEvent.action == "nomination.submit")
    ).scalars()
    assert sorted((e.before["state"], e.after["state"]) for e in events) == [
        ("draft", "submitted"),
        ("draft", "submitted"),
    ]
    with pytest.raises(Conflict, match="No hay nominaciones en borrador"):
        nominations.submit_list(w["slot"], w["melipilla"], by=officer(w))


@pytest.mark.db
def test_submit_refuses_a_list_with_someone_made_inactive_since(db, w, backend):
    e = person(w, "12345678-5", business_name="Velas Inés")
    n = nominations.nominate(w["slot"], e, by=officer(w))
    e.active = False
    with pytest.raises(Conflict, match="«Velas Inés» está inactivo"):
        nominations.submit_list(w["slot"], w["melipilla"], by=officer(w))
    assert n.state is S.DRAFT


@pytest.mark.db
def test_withdraw_before_deadline_records_actor_time_and_reason(app, db, w, backend):
    e = person(w, "12345678-5")
    n = nominations.nominate(w["slot"], e, by=officer(w))
    nominations.submit_list(w["slot"], w["melipilla"], by=officer(w))
    nominations.withdraw(n, by=officer(w), reason="Viaje familiar")
    db.session.commit()
    event = db.session.execute(
        select(AuditEvent).where(AuditEvent.action == "nomination.withdraw")
    ).scalar_one()
    assert (event.before, event.after) == ({"state": "submitted"}, {"state": "withdrawn"})
    assert event.reason == "Viaje familiar" and event.actor_id == officer(w).id
    assert event.at == app.config["FIXED_NOW"]


@pytest.mark.db
def test_officer_cannot_withdraw_after_deadline(app, db, w, backend):
    n = nominations.nominate(w["slot"], person(w, "12345678-5"), by=officer(w))
    db.session.commit()
    app.config["FIXED_NOW"] = w["slot"].nominations_deadline + timedelta(hours=1)
    assert not nomination_states.can_withdraw(n, officer(w))
    with pytest.raises(Conflict, match="El plazo para nominar venció"):
        nominations.withdraw(n, by=officer(w))


def test_candidates_rank_first_timers_above_repeat_participants(db, w):
    e_repeat = person(w, "12345678-5", business_name="A Repite")
    person(w, "11111111-1", business_name="Z Nueva")
    past = w["program"].slots[11]  # December 2027: attended, as far as this test is concerned
    past.state = SlotState.COMPLETED
    db.session.add(
        Nomination(
            slot=past, entrepreneur=e_repeat, commune_id=e_repeat.commune_id, state=S.ATTENDED
        )
    )
    db.session.flush()
    ranked = nominations.candidates(w["slot"], w["melipilla"])
    assert [c.entrepreneur.business_name for c in ranked] == ["Z Nueva", "A Repite"]
    assert ranked[0].first_time and ranked[1].weeks == 1


# --- the state machine ----------------------------------------------------------------------


def test_transition_table_covers_the_whole_lifecycle():
    table = nomination_states.TRANSITIONS
    reachable = {S.DRAFT} | {t.target for t in table.values()}
    assert reachable == set(S)
    assert table["submit"].side is nomination_states.Side.COMMUNE
    assert table["withdraw"].side is nomination_states.Side.COMMUNE
    for name in ("approve", "reject", "waitlist", "confirm", "mark_attended", "cancel"):
        assert table[name].side is nomination_states.Side.MALL
    for state in NominationState.FINAL:
        assert nomination_states.transitions_from(state) == []


@pytest.mark.db
def test_mall_transitions_need_a_coordinator_and_a_reason_to_reject(db, w, backend):
    from app.domain.errors import Invalid

    n = nominations.nominate(w["slot"], person(w, "12345678-5"), by=officer(w))
    nominations.submit_list(w["slot"], w["melipilla"], by=officer(w))
    with pytest.raises(NotAllowed, match="Solo la coordinación"):
        nomination_states.apply(n, "approve", by=officer(w))
    with pytest.raises(Invalid, match="Indique el motivo"):
        nomination_states.apply(n, "reject", by=w["users"]["coordinator"])
    nomination_states.apply(n, "approve", by=w["users"]["coordinator"])
    with pytest.raises(Conflict, match="No se puede aprobar una nominación en estado «Aprobada»"):
        nomination_states.apply(n, "approve", by=w["users"]["coordinator"])
    nomination_states.apply(n, "confirm", by=w["users"]["coordinator"])
    with pytest.raises(Conflict, match="desde el primer día de la semana"):
        nomination_states.apply(n, "mark_attended", by=w["users"]["coordinator"])
    assert n.state is S.CONFIRMED


# --- the pages ------------------------------------------------------------------------------


def _post(client, url, data, *, htmx=False):
    data = {**data, "csrf_token": csrf_token(client)}
    headers = {"HX-Request": "true"} if htmx else {}
    return client.post(url, data=data, headers=headers)


@pytest.mark.db
def test_officer_nominates_from_the_page_and_sees_the_list(client, db, w, backend):
    e = person(w, "12345678-5", business_name="Greda Pomaire")
    db.session.commit()
    login(client, "melipilla@example.com")
    url = f"/nominations/{w['slot'].id}/{w['melipilla'].id}"
    page = client.get(url).get_data(as_text=True)
    assert "Greda Pomaire" in page and "Aún no ha participado" in page
    response = _post(client, f"{url}/nominate", {"entrepreneur_id": e.id}, htmx=True)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Se agregó a «Greda Pomaire» a la lista titular." in html
    assert "1 de 2 stands" in html and "Enviar lista" in html
    assert response.headers["HX-Trigger"] == "nominations-changed"
    response = _post(client, f"{url}/submit", {}, htmx=True)
    assert "Se enviaron 1 nominaciones" in response.get_data(as_text=True)


def test_the_notice_shows_in_the_row_acted_on(client, db, w):
    """On a phone the list is long: the confirmation appears in the row the finger pressed,
    not at the top of the page."""
    import re

    people = [
        person(w, rut, business_name=f"Negocio {rut[:2]}") for rut in ("12345678-5", "11111111-1")
    ]
    w["slot"].allocations[0].stands = 3
    db.session.commit()
    login(client, "melipilla@example.com")
    url = f"/nominations/{w['slot'].id}/{w['melipilla'].id}"
    for e in people:
        _post(client, f"{url}/nominate", {"entrepreneur_id": e.id}, htmx=True)
    second = db.session.execute(
        select(Nomination).where(Nomination.entrepreneur_id == people[1].id)
    ).scalar_one()
    html = _post(
        client, f"/nominations/n/{second.id}/move", {"direction": "up"}, htmx=True
    ).get_data(as_text=True)
    row = re.search(rf'<li id="nomination-{second.id}".*?</li>', html, re.S).group(0)
    assert "Se movió a «Negocio 11»." in row
    assert html.count("Se movió a") == 1  # not also on top
    html = _post(
        client, f"/nominations/n/{second.id}/reserve", {"to": "reserve"}, htmx=True
    ).get_data(as_text=True)
    row = re.search(rf'<li id="nomination-{second.id}".*?</li>', html, re.S).group(0)
    assert "«Negocio 11» pasó a la reserva." in row


@pytest.mark.db
def test_a_refused_nomination_shows_why_in_place_with_409(app, client, db, w, backend):
    e = person(w, "12345678-5")
    db.session.commit()
    app.config["FIXED_NOW"] = w["slot"].nominations_deadline + timedelta(seconds=1)
    login(client, "melipilla@example.com")
    url = f"/nominations/{w['slot'].id}/{w['melipilla'].id}"
    response = _post(client, f"{url}/nominate", {"entrepreneur_id": e.id}, htmx=True)
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "El plazo para nominar venció" in html and 'id="main-title"' in html
    assert html.count("El plazo para nominar venció") == 1  # the refusal, said once
    # The page was opened before the deadline: all of it is stale, htmx reloads it.
    assert response.headers["HX-Refresh"] == "true" and "HX-Trigger" not in response.headers
    assert db.session.execute(select(Nomination)).first() is None


@pytest.mark.db
def test_a_refusal_while_the_week_is_open_is_scrolled_into_view(client, db, w, backend):
    e = person(w, "12345678-5")
    nominations.nominate(w["slot"], e, by=officer(w))
    db.session.commit()
    login(client, "melipilla@example.com")
    url = f"/nominations/{w['slot'].id}/{w['melipilla'].id}"
    # A second tab nominated this person already.
    response = _post(client, f"{url}/nominate", {"entrepreneur_id": e.id}, htmx=True)
    assert response.status_code == 409 and "ya está nominado" in response.get_data(as_text=True)
    # The reason sits at the top of the lists: htmx scrolls it into view, far as the button was.
    assert response.headers["HX-Reswap"] == "innerHTML show:top"
    assert "HX-Refresh" not in response.headers


def test_officer_of_another_commune_gets_404(client, db, w):
    e = person(w, "12345678-5")
    n = nominations.nominate(w["slot"], e, by=officer(w))
    db.session.commit()
    login(client, "alhue@example.com")
    assert client.get(f"/nominations/{w['slot'].id}/{w['melipilla'].id}").status_code == 404
    assert _post(client, f"/nominations/n/{n.id}/withdraw", {}).status_code == 404
    db.session.refresh(n)
    assert n.state is S.DRAFT


def test_garbage_input_is_a_clear_400(client, db, w):
    db.session.commit()
    login(client, "melipilla@example.com")
    url = f"/nominations/{w['slot'].id}/{w['melipilla'].id}/nominate"
    response = _post(client, url, {"entrepreneur_id": "abc"})
    assert response.status_code == 400
    assert "Elija a quién nominar." in response.get_data(as_text=True)


def test_demo_weeks_have_attended_participants(app, db):
    from app.demo.loader import load_demo

    app.config["FIXED_NOW"] = None
    load_demo()
    attended = (
        db.session.execute(select(Nomination).where(Nomination.state == S.ATTENDED)).scalars().all()
    )
    assert attended and all(n.slot.state is SlotState.COMPLETED for n in attended)
    assert all(n.slot.starts_on <= clock.today() for n in attended)


@pytest.mark.db
def test_a_nomination_moves_several_places_in_one_step(client, db, w, backend):
    people = [person(w, f"{20_000_000 + i}-{check_digit(20_000_000 + i)}") for i in range(5)]
    listed = [nominations.nominate(w["slot"], e, by=officer(w), reserve=True) for e in people]
    db.session.commit()
    login(client, "melipilla@example.com")
    response = client.post(
        f"/nominations/n/{listed[4].id}/move",
        data={"csrf_token": csrf_token(client), "direction": "to", "place": "1"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    order = nominations.commune_list(w["slot"], w["melipilla"].id).reserve
    assert order == [listed[4], *listed[:4]]
    nominations.move_to(listed[4], 3, by=officer(w))
    order = nominations.commune_list(w["slot"], w["melipilla"].id).reserve
    assert order == [listed[0], listed[1], listed[4], listed[2], listed[3]]
    page = client.get(f"/nominations/{w['slot'].id}/{w['melipilla'].id}").get_data(as_text=True)
    assert 'name="place"' in page and "Puesto 5" in page
