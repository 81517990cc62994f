"""Closing a stand someone is assigned to: the coordinator sees who first, and each person is
moved to a free stand that suits them, or is named as left on the closed stand."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.domain import nominations, review, slot_states, stands
from app.domain.errors import Conflict
from app.domain.rut import check_digit
from app.models import AuditEvent, Stand, StandAssignment, StandClosure
from tests.conftest import csrf_token, login
from tests.factories import make_nominations_world, register


@pytest.fixture
def world(app, db):
    return make_nominations_world(app, stands=10)  # sets the clock before January's deadline


def approved(world, rut_body: int, **needs) -> StandAssignment:
    """An entrepreneur of Melipilla nominated, submitted and approved for the January week."""
    officer = world["users"]["officer"]
    category = world["food"] if needs.get("needs_food_handling") else world["crafts"]
    person = register(
        world["melipilla"],
        category,
        f"{rut_body}-{check_digit(rut_body)}",
        by=officer,
        business_name=needs.pop("business_name", f"Negocio {rut_body}"),
        **needs,
    )
    nomination = nominations.nominate(world["slot"], person, by=officer)
    nominations.submit_list(world["slot"], world["melipilla"], by=officer)
    return review.approve(nomination, by=world["users"]["coordinator"])


def stand(world, code: str) -> Stand:
    return next(s for s in world["venue"].stands if s.code == code)


def live_stand_of(assignment: StandAssignment) -> str:
    return review.live_assignment_of(assignment.nomination).stand.code


def close_january(world, code: str, **kw) -> stands.ClosureResult:
    slot = world["slot"]
    return stands.close_stand(
        stand(world, code),
        starts_on=slot.starts_on,
        ends_on=slot.starts_on,  # one day of the week is enough to lose the stand all week
        reason="Filtración",
        by=world["users"]["coordinator"],
        **kw,
    )


def closures(db) -> list[StandClosure]:
    return list(db.session.execute(select(StandClosure)).scalars())


@pytest.mark.db
def test_closing_an_assigned_stand_asks_first_then_moves_the_person(world, db, backend):
    coordinator = world["users"]["coordinator"]
    ana = approved(world, 10_000_000, business_name="Quesos Ana")
    assert ana.stand.code == "E-01"  # plain needs, plain stand
    slot_states.transition_slot(world["slot"], "close_nominations", by=coordinator)
    slot_states.transition_slot(world["slot"], "publish", by=coordinator)
    db.session.commit()
    sequence = world["slot"].sequence

    with pytest.raises(stands.ClosureNeedsConfirmation) as asked:
        close_january(world, "E-01")
    assert asked.value.message == "El stand E-01 tiene 1 persona asignada en esas fechas."
    [item] = asked.value.displaced
    assert (item.assignment.id, item.move_to.code, item.why_not) == (ana.id, "E-03", None)
    db.session.rollback()
    assert closures(db) == [] and live_stand_of(ana) == "E-01"  # nothing written yet

    result = close_january(world, "E-01", confirmed=[item.key])
    db.session.commit()
    assert [c.stand.code for c in closures(db)] == ["E-01"]
    assert [(d.assignment.id, new.stand.code) for d, new in result.moved] == [(ana.id, "E-03")]
    assert result.left == [] and live_stand_of(ana) == "E-03"
    # The review's own stand change: released with its reason, calendars told, all audited.
    assert db.session.get(StandAssignment, ana.id).release_reason == "Cambio de stand"
    assert world["slot"].sequence == sequence + 1
    actions = db.session.execute(select(AuditEvent.action).order_by(AuditEvent.id)).scalars()
    assert list(actions)[-4:] == ["stand.close", "stand.release", "stand.assign", "roster.change"]


@pytest.mark.db
def test_closing_outside_the_assigned_week_asks_nothing(world, db, backend):
    approved(world, 10_000_000)
    slot = world["slot"]
    stands.close_stand(
        stand(world, "E-01"),
        starts_on=slot.ends_on + timedelta(days=1),
        ends_on=slot.ends_on + timedelta(days=10),
        reason="Pintura",
        by=world["users"]["coordinator"],
    )
    db.session.commit()
    assert len(closures(db)) == 1


@pytest.mark.db
def test_a_person_no_free_stand_suits_is_named_and_left_on_the_closed_stand(world, db, backend):
    slot = world["slot"]
    coordinator = world["users"]["coordinator"]
    for code in ("E-09", "E-10"):  # two of the three food stands are already out that week
        stands.close_stand(
            stand(world, code),
            starts_on=slot.starts_on,
            ends_on=slot.ends_on,
            reason="Obras",
            by=coordinator,
        )
    honey = approved(
        world,
        10_000_000,
        needs_food_handling=True,
        sanitary_resolution="Res. 1/2026",
        sanitary_expiry=slot.ends_on,
    )
    plain = approved(world, 11_000_000)
    db.session.commit()
    assert (honey.stand.code, plain.stand.code) == ("E-08", "E-01")

    with pytest.raises(stands.ClosureNeedsConfirmation) as asked:
        close_january(world, "E-08")
    [item] = asked.value.displaced
    assert item.move_to is None
    assert item.why_not == "No quedan stands libres que permitan alimentos esta semana."
    db.session.rollback()

    result = close_january(world, "E-08", confirmed=[item.key])  # close anyway
    db.session.commit()
    assert result.moved == [] and [d.assignment.id for d in result.left] == [honey.id]
    assert live_stand_of(honey) == "E-08" and live_stand_of(plain) == "E-01"
    assert stand(world, "E-08").id in {c.stand_id for c in closures(db)}


@pytest.mark.db
def test_a_list_that_changed_since_it_was_seen_is_shown_again(world, db, backend):
    ana = approved(world, 10_000_000)
    db.session.commit()
    with pytest.raises(stands.ClosureNeedsConfirmation) as asked:
        close_january(world, "E-01")
    seen = [d.key for d in asked.value.displaced]  # Ana would go to E-03
    db.session.rollback()
    approved(world, 11_000_000)  # meanwhile someone else is given E-03
    db.session.commit()

    with pytest.raises(stands.ClosureNeedsConfirmation, match="cambiaron mientras") as again:
        close_january(world, "E-01", confirmed=seen)
    assert [d.move_to.code for d in again.value.displaced] == ["E-05"]
    db.session.rollback()
    assert closures(db) == [] and live_stand_of(ana) == "E-01"


# --- the stand's page -----------------------------------------------------------------------


def post_closure(client, world, code: str, token: str, htmx: bool, **extra):
    slot = world["slot"]
    data = {
        "starts_on": slot.starts_on.isoformat(),
        "ends_on": slot.ends_on.isoformat(),
        "reason": "Filtración",
        "csrf_token": token,
        **extra,
    }
    headers = {"HX-Request": "true"} if htmx else {}
    return client.post(f"/stands/{stand(world, code).id}/closures", data=data, headers=headers)


def confirmation(html: str) -> dict:
    """What the confirmation form would post back."""
    return {
        "confirming": "1",
        "confirm": re.findall(r'name="confirm" value="([^"]+)"', html),
    }


def test_the_page_warns_in_place_then_closes_and_moves(app, world, db):
    ana = approved(world, 10_000_000, business_name="Quesos Ana")
    db.session.commit()
    client = app.test_client()
    login(client, "coordinador@example.com")
    token = csrf_token(client, f"/stands/{stand(world, 'E-01').id}")

    warned = post_closure(client, world, "E-01", token, htmx=True)
    assert warned.status_code == 409
    html = warned.get_data(as_text=True)
    assert 'id="stand-closures"' in html and "<html" not in html
    assert "El stand E-01 tiene 1 persona asignada en esas fechas." in html
    assert "Quesos Ana (Melipilla)" in html and "pasaría al stand E-03." in html
    assert "Cerrar y mover" in html and "Cancelar" in html
    assert closures(db) == []

    done = post_closure(client, world, "E-01", token, htmx=True, **confirmation(html))
    assert done.status_code == 200
    html = done.get_data(as_text=True)
    assert "Stand E-01 cerrado del" in html
    assert "Quesos Ana pasó al stand E-03 (semana del" in html
    assert live_stand_of(ana) == "E-03"


def test_without_javascript_the_whole_page_asks_and_closing_anyway_names_who_stays(app, world, db):
    slot = world["slot"]
    for code in ("E-09", "E-10"):
        stands.close_stand(
            stand(world, code),
            starts_on=slot.starts_on,
            ends_on=slot.ends_on,
            reason="Obras",
            by=world["users"]["coordinator"],
        )
    honey = approved(
        world,
        10_000_000,
        business_name="Miel del Valle",
        needs_food_handling=True,
        sanitary_resolution="Res. 1/2026",
        sanitary_expiry=slot.ends_on,
    )
    db.session.commit()
    client = app.test_client()
    login(client, "coordinador@example.com")
    token = csrf_token(client, f"/stands/{stand(world, 'E-08').id}")

    warned = post_closure(client, world, "E-08", token, htmx=False)
    assert warned.status_code == 409
    html = warned.get_data(as_text=True)
    assert "<html" in html and 'name="code"' in html  # the stand's own page around it
    assert "no se puede mover." in html
    assert "No quedan stands libres que permitan alimentos esta semana." in html
    assert "Cerrar de todos modos" in html and "Cerrar y mover" not in html

    done = post_closure(client, world, "E-08", token, htmx=False, **confirmation(html))
    assert done.status_code == 302
    page = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "Stand E-08 cerrado del" in page
    assert "Siguen en el stand cerrado, sin otro libre que les sirva: Miel del Valle." in page
    assert live_stand_of(honey) == "E-08"


def test_a_move_that_fails_leaves_no_closure_behind(app, world, db, monkeypatch):
    ana = approved(world, 10_000_000)
    db.session.commit()
    client = app.test_client()
    login(client, "coordinador@example.com")
    token = csrf_token(client, f"/stands/{stand(world, 'E-01').id}")
    html = post_closure(client, world, "E-01", token, htmx=True).get_data(as_text=True)

    def refuse(*_args, **_kwargs):
        raise Conflict("El stand E-03 ya fue asignado a otra persona.")

    monkeypatch.setattr(review, "reassign", refuse)
    failed = post_closure(client, world, "E-01", token, htmx=True, **confirmation(html))
    assert failed.status_code == 409
    assert "El stand E-03 ya fue asignado a otra persona." in failed.get_data(as_text=True)
    assert closures(db) == [] and live_stand_of(ana) == "E-01"
