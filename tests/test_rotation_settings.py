"""Changing the rotation's rule and constraints, from the settings page and the week page."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from app.domain import rotation, rotation_settings
from app.domain.errors import Conflict, Invalid, NotAllowed
from app.models import AllocationMode, AuditEvent, CommuneUnavailability, SlotState, WeekRule
from tests.conftest import csrf_token, login
from tests.factories import make_program_world, rule_of


@pytest.fixture
def world(app, db):
    return make_program_world(app)


@pytest.mark.db
def test_changing_the_rule_moves_planned_weeks_and_their_deadlines(world, db, backend):
    program = world["program"]
    coordinator = world["users"]["coordinator"]
    results = rotation_settings.update_rule(
        program,
        by=coordinator,
        **rule_of(
            program,
            week_rule=WeekRule.WEEK_OF_NTH_WEEKDAY,
            week_rule_n=1,
            week_rule_weekday=5,
            week_start_weekday=3,
            week_length_days=4,
            nominations_close_days=10,
        ),
    )
    db.session.commit()
    # January's new week would start on Thursday 31 Dec 2026, before the program: it stays.
    assert sum(len(r.moved) for r in results) == 11
    assert [(s.month, why) for s, why in results[0].kept] == [(1, "outside")]
    march = next(s for s in program.slots if s.month == 3)
    # First Saturday of March 2027 is the 6th; the Thursday–Sunday week around it is 4–7.
    assert (march.starts_on, march.ends_on) == (date(2027, 3, 4), date(2027, 3, 7))
    assert march.nominations_deadline == datetime(2027, 2, 23, 2, 59, tzinfo=UTC)  # 22 Feb 23:59


def test_mode_cannot_change_once_a_week_is_under_way(world, db):
    program = world["program"]
    program.slots[0].state = SlotState.NOMINATIONS_OPEN
    with pytest.raises(Conflict, match="modo de reparto"):
        rotation_settings.update_rule(
            program,
            by=world["users"]["coordinator"],
            **rule_of(program, mode=AllocationMode.SHARED),
        )


def test_only_coordinators_change_rules_and_weights(world, db):
    program = world["program"]
    with pytest.raises(NotAllowed):
        rotation_settings.update_rule(program, by=world["users"]["officer"], **rule_of(program))
    with pytest.raises(NotAllowed):
        rotation_settings.set_weights({world["communes"][0].id: "2"}, by=world["users"]["viewer"])


def test_weights_accept_decimal_commas_and_refuse_nonsense(world, db):
    coordinator = world["users"]["coordinator"]
    meli = world["communes"][0]
    rotation_settings.set_weights({meli.id: "1,5"}, by=coordinator)
    assert str(meli.weight) == "1.5"
    with pytest.raises(Invalid, match="no es un número"):
        rotation_settings.set_weights({meli.id: "mucho"}, by=coordinator)
    with pytest.raises(Invalid, match="entre 0,1 y 1000"):
        rotation_settings.set_weights({meli.id: "0"}, by=coordinator)


def test_officer_declares_only_their_own_communes_months(world, db):
    program = world["program"]
    officer = world["users"]["officer"]
    meli, alhue = world["communes"][0], world["communes"][1]
    rotation_settings.add_unavailability(program, meli, 2027, 7, by=officer, reason="Fiesta")
    with pytest.raises(NotAllowed):
        rotation_settings.add_unavailability(program, alhue, 2027, 7, by=officer, reason="")
    with pytest.raises(Conflict, match="ya figura"):
        rotation_settings.add_unavailability(program, meli, 2027, 7, by=officer, reason="")
    with pytest.raises(Invalid, match="El programa cubre 2027–2027"):
        rotation_settings.add_unavailability(program, meli, 2030, 7, by=officer, reason="")


def test_blackout_then_replan_empties_that_month(world, db):
    program = world["program"]
    coordinator = world["users"]["coordinator"]
    rotation_settings.add_blackout(program, 2027, 2, by=coordinator, reason="Remodelación")
    preview = rotation.plan_year(program, 2027, by=coordinator, apply=True)
    february = next(s for s in program.slots if s.month == 2)
    assert rotation.host_of(february) is None
    assert february.id in {c.slot.id for c in preview.changes}


def test_moving_a_week_by_hand_is_kept_by_regeneration(world, db):
    program = world["program"]
    coordinator = world["users"]["coordinator"]
    may = next(s for s in program.slots if s.month == 5)
    sequence = may.sequence
    rotation_settings.move_slot(may, date(2027, 5, 17), by=coordinator, reason="Cyber Day")
    assert (may.starts_on, may.ends_on, may.sequence) == (
        date(2027, 5, 17),
        date(2027, 5, 23),
        sequence + 1,
    )
    result = rotation.generate_slots(program, 2027, by=None)
    assert (may, "manual") in result.kept and may.starts_on == date(2027, 5, 17)
    with pytest.raises(Invalid, match="cerca de su mes"):
        rotation_settings.move_slot(may, date(2027, 8, 2), by=coordinator, reason="x")


def test_settings_page_and_forms_over_http(app, world, db):
    program = world["program"]
    client = app.test_client()
    login(client, "coordinador@example.com")
    page = client.get(f"/rotation/programs/{program.id}/settings").get_data(as_text=True)
    assert "Qué semana de cada mes" in page and "Peso de cada comuna" in page
    token = csrf_token(client, f"/rotation/programs/{program.id}/settings")
    response = client.post(
        f"/rotation/programs/{program.id}/settings/rule",
        data={
            "mode": "host",
            "week_rule": "last_full_week",
            "week_rule_n": "9",
            "week_rule_weekday": "0",
            "week_start_weekday": "0",
            "week_length_days": "7",
            "nominations_close_days": "14",
            "max_weeks": "2",
            "csrf_token": token,
        },
    )
    assert response.status_code == 400  # N = 9 is out of range
    assert "Number must be between 1 and 5" in response.get_data(as_text=True) or (
        "entre 1 y 5" in response.get_data(as_text=True)
    )
    response = client.post(
        f"/rotation/programs/{program.id}/blackouts",
        data={"year": "2027", "month": "13", "csrf_token": token},
    )
    assert response.status_code == 400
    assert "El mes debe estar entre 1 y 12." in response.get_data(as_text=True)


def test_officer_settings_page_offers_only_their_commune(app, world, db):
    client = app.test_client()
    login(client, "melipilla@example.com")
    page = client.get(f"/rotation/programs/{world['program'].id}/settings").get_data(as_text=True)
    assert "Guardar regla" not in page
    assert f'<option value="{world["communes"][0].id}">Melipilla</option>' in page
    assert "Alhué</option>" not in page
    token = csrf_token(client, f"/rotation/programs/{world['program'].id}/settings")
    client.post(
        f"/rotation/programs/{world['program'].id}/unavailability",
        data={
            "commune_id": str(world["communes"][1].id),
            "year": "2027",
            "month": "4",
            "csrf_token": token,
        },
    )
    row = db.session.execute(select(CommuneUnavailability)).scalar_one()
    assert row.commune_id == world["communes"][0].id  # the officer's own, whatever was posted
    assert (
        db.session.execute(select(AuditEvent).where(AuditEvent.action == "commune.unavailable"))
        .scalar_one()
        .actor_id
        == world["users"]["officer"].id
    )


@pytest.mark.parametrize("raw", ["NaN", "nan", "Infinity", "-inf", "sNaN"])
def test_weights_that_are_not_finite_numbers_are_refused_in_the_domain(world, db, raw):
    from app.domain import rotation_settings
    from app.domain.errors import Invalid

    commune = world["communes"][0]
    with pytest.raises(Invalid, match="entre 0,1 y 1000"):
        rotation_settings.set_weights({commune.id: raw}, by=world["users"]["coordinator"])


def test_a_weight_for_an_unknown_commune_is_refused(world, db):
    from app.domain import rotation_settings
    from app.domain.errors import Invalid

    with pytest.raises(Invalid):
        rotation_settings.set_weights({999_999: "2"}, by=world["users"]["coordinator"])
