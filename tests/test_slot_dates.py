"""Two live weeks at the venue never share a day: moved by hand, realigned by the rule, or
written straight into the database."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from app.domain import rotation, rotation_settings, slot_states
from app.domain.errors import Conflict
from app.models import AuditEvent, Program, Slot, WeekRule
from tests.conftest import csrf_token, login
from tests.factories import make_program_world, rule_of


@pytest.fixture
def world(app, db):
    return make_program_world(app, plan=False)


def month(program: Program, number: int) -> Slot:
    return next(s for s in program.slots if s.month == number)


@pytest.mark.db
def test_moving_a_week_onto_another_weeks_dates_is_refused(world, db, backend):
    program, coordinator = world["program"], world["users"]["coordinator"]
    march, april = month(program, 3), month(program, 4)
    assert (april.starts_on, april.ends_on) == (date(2027, 4, 12), date(2027, 4, 18))
    with pytest.raises(Conflict) as refused:
        rotation_settings.move_slot(march, date(2027, 4, 10), by=coordinator, reason="Evento")
    assert refused.value.message == (
        "Esas fechas se cruzan con la semana de abril (12 al 18 de abril de 2027)."
    )
    db.session.rollback()
    march = db.session.get(Slot, march.id)
    assert (march.starts_on, march.manual_dates) == (date(2027, 3, 8), False)
    moves = select(AuditEvent).where(AuditEvent.action == "slot.move")
    assert db.session.execute(moves).first() is None
    # The day before April's week is free.
    rotation_settings.move_slot(march, date(2027, 4, 5), by=coordinator, reason="Evento")
    db.session.commit()
    assert (march.starts_on, march.ends_on) == (date(2027, 4, 5), date(2027, 4, 11))


@pytest.mark.db
def test_a_cancelled_week_does_not_hold_its_dates(world, db, backend):
    program, coordinator = world["program"], world["users"]["coordinator"]
    march, april = month(program, 3), month(program, 4)
    slot_states.transition_slot(april, "cancel", by=coordinator, reason="Remodelación")
    rotation_settings.move_slot(march, date(2027, 4, 12), by=coordinator, reason="Evento")
    db.session.commit()
    assert (march.starts_on, march.ends_on) == (april.starts_on, april.ends_on)


@pytest.mark.db
def test_a_week_of_another_program_at_the_venue_is_named(world, db, backend):
    program, coordinator = world["program"], world["users"]["coordinator"]
    christmas = Program(
        venue=world["venue"],
        name="Navidad 2027",
        starts_on=date(2027, 12, 1),
        ends_on=date(2027, 12, 31),
        mode=program.mode,
        week_rule=WeekRule.LAST_FULL_WEEK,
    )
    db.session.add(christmas)
    db.session.flush()
    rotation.generate_slots(christmas, 2027, by=None)
    assert (christmas.slots[0].starts_on, christmas.slots[0].ends_on) == (
        date(2027, 12, 20),
        date(2027, 12, 26),
    )
    with pytest.raises(Conflict, match=r"semana de diciembre de Navidad 2027 \(20 al 26 de dic"):
        rotation_settings.move_slot(
            month(program, 12), date(2027, 12, 22), by=coordinator, reason="Evento"
        )


@pytest.mark.db
def test_a_new_week_whose_dates_are_taken_is_refused_naming_the_other(world, db, backend):
    two_years = Program(
        venue=world["venue"],
        name="Vitrina 2027–2028",
        starts_on=date(2027, 1, 1),
        ends_on=date(2028, 12, 31),
        mode=world["program"].mode,
        week_rule=WeekRule.NTH_FULL_WEEK,
        week_rule_n=1,
    )
    db.session.add(two_years)
    db.session.flush()
    rotation.generate_slots(two_years, 2027, by=None)
    december = month(two_years, 12)
    rotation_settings.move_slot(
        december, date(2028, 1, 3), by=world["users"]["coordinator"], reason="Navidad larga"
    )
    with pytest.raises(Conflict) as refused:
        rotation.generate_slots(two_years, 2028, by=None)
    assert refused.value.message == (
        "La semana de enero 2028 (3 al 9 de enero de 2028) se cruzaría con la semana de "
        "diciembre (3 al 9 de enero de 2028): mueva primero esa semana."
    )


@pytest.mark.db
def test_the_rule_leaves_a_week_where_it_is_rather_than_cross_one_moved_by_hand(world, db, backend):
    program, coordinator = world["program"], world["users"]["coordinator"]
    march, april = month(program, 3), month(program, 4)
    rotation_settings.move_slot(march, date(2027, 3, 29), by=coordinator, reason="Aniversario")
    # The week of the first Saturday: April's would be 29 March – 4 April, March's own dates.
    results = rotation_settings.update_rule(
        program,
        by=coordinator,
        **rule_of(
            program, week_rule=WeekRule.WEEK_OF_NTH_WEEKDAY, week_rule_n=1, week_rule_weekday=5
        ),
    )
    db.session.commit()
    assert (april, "overlap") in results[0].kept and (march, "manual") in results[0].kept
    assert (april.starts_on, march.starts_on) == (date(2027, 4, 12), date(2027, 3, 29))
    assert month(program, 5).starts_on == date(2027, 4, 26)  # the others follow the rule


@pytest.mark.db
def test_a_rule_change_may_move_a_week_over_where_its_neighbour_was(world, db, backend):
    program, coordinator = world["program"], world["users"]["coordinator"]
    rotation_settings.update_rule(
        program,
        by=coordinator,
        **rule_of(
            program, week_rule=WeekRule.WEEK_OF_NTH_WEEKDAY, week_rule_n=1, week_rule_weekday=5
        ),
    )
    db.session.commit()
    may = month(program, 5)
    assert (may.starts_on, may.ends_on) == (date(2027, 4, 26), date(2027, 5, 2))
    # Friday-to-Thursday weeks: April's last one (23–29 April) lies on May's old dates; April
    # is realigned before May, so only the end result may be checked.
    rotation_settings.update_rule(
        program,
        by=coordinator,
        **rule_of(program, week_rule=WeekRule.LAST_FULL_WEEK, week_start_weekday=4),
    )
    db.session.commit()
    april = month(program, 4)
    assert (april.starts_on, april.ends_on) == (date(2027, 4, 23), date(2027, 4, 29))
    assert (may.starts_on, may.ends_on) == (date(2027, 5, 21), date(2027, 5, 27))


@pytest.mark.postgres_only
def test_the_database_refuses_two_overlapping_weeks_of_a_program(world, db, backend):
    program = world["program"]
    march, april = month(program, 3), month(program, 4)
    with pytest.raises(IntegrityError, match="ex_slot_program_dates_overlap"):
        db.session.execute(
            text("UPDATE slot SET starts_on = :s, ends_on = :e WHERE id = :id"),
            {"s": date(2027, 4, 10), "e": date(2027, 4, 16), "id": march.id},
        )
    db.session.rollback()
    # A cancelled week holds no dates.
    db.session.execute(text("UPDATE slot SET state = 'cancelled' WHERE id = :id"), {"id": april.id})
    db.session.execute(
        text("UPDATE slot SET starts_on = :s, ends_on = :e WHERE id = :id"),
        {"s": date(2027, 4, 10), "e": date(2027, 4, 16), "id": march.id},
    )
    db.session.commit()


def test_moving_onto_another_week_answers_409_in_place(app, world, db):
    program = world["program"]
    march = month(program, 3)
    client = app.test_client()
    login(client, "coordinador@example.com")
    token = csrf_token(client, f"/rotation/slots/{march.id}")
    form = {"starts_on": "2027-04-10", "reason": "Evento", "csrf_token": token}
    response = client.post(
        f"/rotation/slots/{march.id}/move", data=form, headers={"HX-Request": "true"}
    )
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert 'id="slot-panel"' in html and "<html" not in html
    assert "Esas fechas se cruzan con la semana de abril (12 al 18 de abril de 2027)." in html
    plain = client.post(f"/rotation/slots/{march.id}/move", data=form)
    assert plain.status_code == 409
    assert "Esas fechas se cruzan con la semana de abril" in plain.get_data(as_text=True)
    assert db.session.get(Slot, march.id).starts_on == date(2027, 3, 8)
