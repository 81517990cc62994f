"""Rotation planning: fair turns, constraints, stable re-plans, overrides, swaps, life cycle."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from app.domain import rotation, slot_states, swaps
from app.domain.errors import Conflict, Invalid, NotAllowed
from app.models import (
    AllocationMode,
    AuditEvent,
    Blackout,
    CommuneUnavailability,
    Nomination,
    Program,
    Slot,
    SlotState,
    SwapState,
    WeekRule,
)
from tests.conftest import csrf_token, login
from tests.factories import make_category, make_entrepreneur, make_world


@pytest.fixture
def world(app, db):
    app.config["FIXED_NOW"] = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
    return make_world()


def make_two_year_program(world, db, mode=AllocationMode.HOST) -> Program:
    program = Program(
        venue=world["venue"],
        name="Vitrina 2027–2028",
        starts_on=date(2027, 1, 1),
        ends_on=date(2028, 12, 31),
        mode=mode,
        week_rule=WeekRule.NTH_FULL_WEEK,
        week_rule_n=2,
    )
    db.session.add(program)
    db.session.flush()
    for year in (2027, 2028):
        rotation.generate_slots(program, year, by=None)
    db.session.commit()
    return program


def hosts(program: Program, year: int) -> list[int | None]:
    return [rotation.host_of(s) for s in program.slots if s.year == year]


@pytest.mark.db
def test_a_year_is_shared_within_one_turn_of_each_communes_entitlement(world, db, backend):
    program = make_two_year_program(world, db)
    preview = rotation.plan_year(program, 2027, by=None, apply=True)
    db.session.commit()
    assert len(preview.changes) == 12
    counts = Counter(hosts(program, 2027))
    assert None not in counts
    assert sorted(counts.values()) == [2, 2, 2, 3, 3]  # 12 turns, 5 equal communes: 2.4 each
    sequence = hosts(program, 2027)
    assert all(a != b for a, b in zip(sequence, sequence[1:], strict=False))


@pytest.mark.db
def test_replanning_an_unchanged_year_changes_nothing(world, db, backend):
    program = make_two_year_program(world, db)
    rotation.plan_year(program, 2027, by=None, apply=True)
    db.session.commit()
    first = program.slots[0]
    slot_states.transition_slot(first, "open_nominations", by=world["users"]["coordinator"])
    db.session.commit()
    assert rotation.plan_year(program, 2027, by=None, apply=False).changes == []


@pytest.mark.db
def test_next_year_carries_the_balance_so_two_years_are_fair(world, db, backend):
    program = make_two_year_program(world, db)
    rotation.plan_year(program, 2027, by=None, apply=True)
    rotation.plan_year(program, 2028, by=None, apply=True)
    db.session.commit()
    first = Counter(hosts(program, 2027))
    both = first + Counter(hosts(program, 2028))
    assert sorted(both.values()) == [4, 5, 5, 5, 5]  # 24 turns: 4.8 each
    # Those with three turns in 2027 are the ones with two in 2028.
    second = Counter(hosts(program, 2028))
    assert all(second[c] == 2 for c, n in first.items() if n == 3)


@pytest.mark.db
def test_unavailable_month_and_blackout_are_respected(world, db, backend):
    program = make_two_year_program(world, db)
    curacavi = world["communes"][2]
    for month in (3, 4, 5):
        db.session.add(
            CommuneUnavailability(
                program_id=program.id,
                commune_id=curacavi.id,
                year=2027,
                month=month,
                reason="Fiesta local",
            )
        )
    db.session.add(Blackout(program_id=program.id, year=2027, month=12, reason="Navidad"))
    db.session.commit()
    preview = rotation.plan_year(program, 2027, by=None, apply=True)
    db.session.commit()
    by_month = {s.month: rotation.host_of(s) for s in program.slots if s.year == 2027}
    assert curacavi.id not in (by_month[3], by_month[4], by_month[5])
    assert by_month[12] is None
    assert Counter(by_month.values())[curacavi.id] >= 2  # still its fair share elsewhere
    row = next(e for e in preview.plan.explanations.values() if e.commune_id == curacavi.id)
    assert row.assigned >= 2


@pytest.mark.db
def test_shared_mode_splits_every_week_by_rotating_quotas(world, db, backend):
    program = make_two_year_program(world, db, mode=AllocationMode.SHARED)
    rotation.plan_year(program, 2027, by=None, apply=True)
    db.session.commit()
    totals = Counter()
    for slot in (s for s in program.slots if s.year == 2027):
        assert sum(a.stands for a in slot.allocations) == slot.capacity == 10
        assert all(a.is_host is False for a in slot.allocations)
        for a in slot.allocations:
            totals[a.commune_id] += a.stands
    assert sorted(totals.values()) == [24, 24, 24, 24, 24]  # 120 stands / 5


@pytest.mark.db
def test_a_week_with_nominations_keeps_its_commune_on_replan(world, db, backend):
    program = make_two_year_program(world, db)
    rotation.plan_year(program, 2027, by=None, apply=True)
    slot = program.slots[3]
    host = rotation.host_of(slot)
    commune = next(c for c in world["communes"] if c.id == host)
    person = make_entrepreneur(commune, make_category(), "12345678-5")
    db.session.add(Nomination(slot=slot, entrepreneur=person, commune_id=commune.id))
    commune.weight = 5  # a big change that would move everything else
    db.session.commit()
    preview = rotation.plan_year(program, 2027, by=None, apply=True)
    db.session.commit()
    assert preview.locked[slot.id] == "nominations"
    assert rotation.host_of(slot) == host
    assert all(change.slot.id != slot.id for change in preview.changes)


@pytest.mark.db
def test_regenerating_slots_is_idempotent_and_keeps_nominated_weeks(world, db, backend):
    program = make_two_year_program(world, db)
    assert rotation.generate_slots(program, 2027, by=None).created == []
    rotation.plan_year(program, 2027, by=None, apply=True)
    march = next(s for s in program.slots if (s.year, s.month) == (2027, 3))
    host = next(c for c in world["communes"] if c.id == rotation.host_of(march))
    person = make_entrepreneur(host, make_category(), "12345678-5")
    db.session.add(Nomination(slot=march, entrepreneur=person, commune_id=host.id))
    program.week_rule = WeekRule.LAST_FULL_WEEK
    db.session.commit()
    april_sequence = next(s for s in program.slots if (s.year, s.month) == (2027, 4)).sequence
    result = rotation.generate_slots(program, 2027, by=None)
    db.session.commit()
    assert (march, "nominations") in result.kept
    assert march.starts_on == date(2027, 3, 8)  # not moved
    april = next(s for s in program.slots if (s.year, s.month) == (2027, 4))
    assert april.starts_on == date(2027, 4, 19)  # moved to the last full week
    assert april.sequence == april_sequence + 1  # calendars see the move


@pytest.mark.db
def test_preview_lists_exactly_what_changes_and_apply_is_audited(world, db, backend):
    program = make_two_year_program(world, db)
    rotation.plan_year(program, 2027, by=None, apply=True)
    db.session.commit()
    world["communes"][0].weight = 3
    db.session.commit()
    preview = rotation.plan_year(program, 2027, by=None, apply=False)
    db.session.rollback()
    changed = {c.slot.id for c in preview.changes}
    assert changed  # Melipilla's bigger weight moves some turns
    before = db.session.execute(select(AuditEvent).where(AuditEvent.action == "slot.plan")).all()
    rotation.plan_year(program, 2027, by=world["users"]["coordinator"], apply=True)
    db.session.commit()
    events = (
        db.session.execute(select(AuditEvent).where(AuditEvent.action == "slot.plan"))
        .scalars()
        .all()
    )
    assert len(events) - len(before) == len(changed)
    assert Counter(hosts(program, 2027))[world["communes"][0].id] >= 4  # 3/7 of 12 = 5.1


def test_override_host_needs_a_reason_and_a_coordinator(world, db):
    program = make_two_year_program(world, db)
    rotation.plan_year(program, 2027, by=None, apply=True)
    slot = program.slots[0]
    other = next(c for c in world["communes"] if c.id != rotation.host_of(slot))
    with pytest.raises(Invalid):
        rotation.override_host(slot, other, by=world["users"]["coordinator"], reason=" ")
    with pytest.raises(NotAllowed):
        rotation.override_host(slot, other, by=world["users"]["viewer"], reason="x")
    rotation.override_host(slot, other, by=world["users"]["coordinator"], reason="Pedido")
    db.session.commit()
    assert rotation.host_of(slot) == other.id
    event = db.session.execute(
        select(AuditEvent).where(AuditEvent.action == "slot.override")
    ).scalar_one()
    assert event.reason == "Pedido" and event.actor_id == world["users"]["coordinator"].id


def test_override_refused_once_nominations_closed(world, db):
    program = make_two_year_program(world, db)
    rotation.plan_year(program, 2027, by=None, apply=True)
    slot = program.slots[0]
    coordinator = world["users"]["coordinator"]
    slot_states.transition_slot(slot, "open_nominations", by=coordinator)
    slot_states.transition_slot(slot, "close_nominations", by=coordinator)
    other = next(c for c in world["communes"] if c.id != rotation.host_of(slot))
    with pytest.raises(Conflict, match="ya no se puede replanificar"):
        rotation.override_host(slot, other, by=coordinator, reason="tarde")


def test_shared_quotas_cannot_exceed_capacity(world, db):
    program = make_two_year_program(world, db, mode=AllocationMode.SHARED)
    rotation.plan_year(program, 2027, by=None, apply=True)
    slot = program.slots[0]
    quotas = {c.id: 3 for c in world["communes"]}  # 15 > 10 stands
    with pytest.raises(Invalid, match="suman 15 stands, pero la semana tiene 10"):
        rotation.override_quotas(slot, quotas, by=world["users"]["coordinator"], reason="x")


@pytest.mark.db
def test_swap_needs_the_other_commune_and_a_coordinator(world, db, backend):
    program = make_two_year_program(world, db)
    rotation.plan_year(program, 2027, by=None, apply=True)
    db.session.commit()
    users = world["users"]
    meli = world["communes"][0]
    slot_a = next(s for s in program.slots if rotation.host_of(s) == meli.id)
    alhue = world["communes"][1]
    slot_b = next(s for s in program.slots if rotation.host_of(s) == alhue.id)
    swap = swaps.request_swap(slot_a, slot_b, by=users["officer"], reason="Feria local")
    with pytest.raises(Conflict):
        swaps.approve_swap(swap, by=users["coordinator"])  # Alhué has not accepted yet
    with pytest.raises(Conflict):
        swaps.accept_swap(swap, by=users["officer"])  # the asking commune cannot accept
    swaps.accept_swap(swap, by=users["other_officer"])
    swaps.approve_swap(swap, by=users["coordinator"])
    db.session.commit()
    assert swap.state is SwapState.APPROVED
    assert (rotation.host_of(slot_a), rotation.host_of(slot_b)) == (alhue.id, meli.id)


def test_a_third_commune_cannot_see_or_answer_a_swap(app, world, db):
    program = make_two_year_program(world, db)
    rotation.plan_year(program, 2027, by=None, apply=True)
    meli, alhue, curacavi = world["communes"][:3]
    slot_a = next(s for s in program.slots if rotation.host_of(s) == meli.id)
    slot_b = next(s for s in program.slots if rotation.host_of(s) == alhue.id)
    swap = swaps.request_swap(slot_a, slot_b, by=world["users"]["officer"])
    from app.models import Role
    from tests.factories import make_user

    make_user("curacavi@example.com", Role.OFFICER, curacavi)
    db.session.commit()
    client = app.test_client()
    login(client, "curacavi@example.com")
    response = client.post(
        f"/rotation/swaps/{swap.id}/accept", data={"csrf_token": csrf_token(client)}
    )
    assert response.status_code == 404
    db.session.expire_all()
    assert db.session.get(type(swap), swap.id).state is SwapState.REQUESTED


def test_officer_cannot_offer_another_communes_week(world, db):
    program = make_two_year_program(world, db)
    rotation.plan_year(program, 2027, by=None, apply=True)
    meli, alhue = world["communes"][0], world["communes"][1]
    slot_a = next(s for s in program.slots if rotation.host_of(s) == alhue.id)
    slot_b = next(s for s in program.slots if rotation.host_of(s) == meli.id)
    with pytest.raises(NotAllowed):
        swaps.request_swap(slot_a, slot_b, by=world["users"]["officer"])


# --- life cycle -------------------------------------------------------------------------------

LIFE = ["open_nominations", "close_nominations", "publish"]


def test_every_forward_transition_in_order(world, db, app):
    program = make_two_year_program(world, db)
    rotation.plan_year(program, 2027, by=None, apply=True)
    slot = program.slots[0]  # January 2027; "now" is 20 Nov 2026
    coordinator = world["users"]["coordinator"]
    for name, state in zip(
        LIFE,
        [SlotState.NOMINATIONS_OPEN, SlotState.NOMINATIONS_CLOSED, SlotState.PUBLISHED],
        strict=True,
    ):
        slot_states.transition_slot(slot, name, by=coordinator)
        assert slot.state is state
    with pytest.raises(Conflict, match="no permiten"):
        slot_states.transition_slot(slot, "start", by=coordinator)  # the week has not begun
    app.config["FIXED_NOW"] = datetime(2027, 1, 12, 15, tzinfo=UTC)
    slot_states.transition_slot(slot, "start", by=coordinator)
    app.config["FIXED_NOW"] = datetime(2027, 1, 20, 15, tzinfo=UTC)
    slot_states.transition_slot(slot, "complete", by=coordinator)
    assert slot.state is SlotState.COMPLETED
    actions = (
        db.session.execute(
            select(AuditEvent.action).where(AuditEvent.slot_id == slot.id).order_by(AuditEvent.id)
        )
        .scalars()
        .all()
    )
    assert actions[-5:] == [
        "slot.open_nominations",
        "slot.close_nominations",
        "slot.publish",
        "slot.start",
        "slot.complete",
    ]


@pytest.mark.parametrize("name", ["close_nominations", "publish", "start", "complete", "restore"])
def test_transitions_not_allowed_from_planned(world, db, name):
    program = make_two_year_program(world, db)
    rotation.plan_year(program, 2027, by=None, apply=True)
    with pytest.raises(Conflict):
        slot_states.transition_slot(program.slots[0], name, by=world["users"]["coordinator"])


def test_only_coordinators_change_a_weeks_state(world, db):
    program = make_two_year_program(world, db)
    rotation.plan_year(program, 2027, by=None, apply=True)
    for role in ("officer", "viewer"):
        with pytest.raises(NotAllowed):
            slot_states.transition_slot(
                program.slots[0], "open_nominations", by=world["users"][role]
            )
        assert slot_states.available_transitions(program.slots[0], world["users"][role]) == []


def test_cancelling_needs_a_reason_and_bumps_the_calendar_sequence(world, db):
    program = make_two_year_program(world, db)
    rotation.plan_year(program, 2027, by=None, apply=True)
    slot = program.slots[1]
    sequence = slot.sequence
    with pytest.raises(Invalid):
        slot_states.transition_slot(slot, "cancel", by=world["users"]["coordinator"])
    slot_states.transition_slot(
        slot, "cancel", by=world["users"]["coordinator"], reason="Remodelación del mall"
    )
    assert slot.state is SlotState.CANCELLED and slot.sequence == sequence + 1
    slot_states.transition_slot(slot, "restore", by=world["users"]["coordinator"])
    assert slot.state is SlotState.PLANNED and slot.sequence == sequence + 2


def test_cannot_open_nominations_without_communes(world, db):
    program = make_two_year_program(world, db)
    with pytest.raises(Conflict, match="no tiene comunas"):
        slot_states.transition_slot(
            program.slots[0], "open_nominations", by=world["users"]["coordinator"]
        )


@pytest.mark.db
def test_dates_move_slots_along(world, db, app, backend):
    program = make_two_year_program(world, db)
    rotation.plan_year(program, 2027, by=None, apply=True)
    coordinator = world["users"]["coordinator"]
    jan, feb = program.slots[0], program.slots[1]
    slot_states.transition_slot(jan, "open_nominations", by=coordinator)
    slot_states.transition_slot(feb, "open_nominations", by=coordinator)
    db.session.commit()
    # 28 Dec 2026 at 23:59 Santiago is January's deadline; a minute later it is closed.
    app.config["FIXED_NOW"] = datetime(2026, 12, 29, 3, 0, tzinfo=UTC)
    moved = slot_states.advance_by_date()
    db.session.commit()
    assert [s.id for s in moved] == [jan.id]
    assert jan.state is SlotState.NOMINATIONS_CLOSED and feb.state is SlotState.NOMINATIONS_OPEN
    slot_states.transition_slot(jan, "publish", by=coordinator)
    app.config["FIXED_NOW"] = datetime(2027, 1, 25, 12, tzinfo=UTC)
    slot_states.advance_by_date()
    assert jan.state is SlotState.COMPLETED  # started and ended: published → in progress → done
    assert slot_states.advance_by_date() == []  # idempotent


# --- pages ------------------------------------------------------------------------------------


def test_year_page_shows_the_grid_holidays_and_fairness(app, world, db):
    program = make_two_year_program(world, db)
    rotation.plan_year(program, 2027, by=None, apply=True)
    db.session.commit()
    client = app.test_client()
    login(client, "viewer@example.com")
    html = client.get(f"/rotation/programs/{program.id}/years/2027").get_data(as_text=True)
    assert html.count('class="month-card') == 12
    assert "Fiestas Patrias" in html  # 18 Sep 2027 falls in September's week (13–19)
    assert "¿Es justo?" in html and "Sainte-Laguë (Webster)" in html
    assert "Replanificar" not in html  # viewers read only


def test_slot_page_flags_national_holidays(app, world, db):
    program = make_two_year_program(world, db)
    rotation.plan_year(program, 2027, by=None, apply=True)
    september = next(s for s in program.slots if (s.year, s.month) == (2027, 9))
    db.session.commit()
    client = app.test_client()
    login(client, "melipilla@example.com")
    html = client.get(f"/rotation/slots/{september.id}").get_data(as_text=True)
    assert 'data-testid="holidays"' in html and "Día de la Independencia" in html


def test_htmx_transition_swaps_the_panel_and_a_stale_one_is_409(app, world, db):
    program = make_two_year_program(world, db)
    rotation.plan_year(program, 2027, by=None, apply=True)
    db.session.commit()
    slot_id = program.slots[0].id
    client = app.test_client()
    login(client, "coordinador@example.com")
    token = csrf_token(client, f"/rotation/slots/{slot_id}")
    headers = {"HX-Request": "true", "X-CSRFToken": token}
    response = client.post(
        f"/rotation/slots/{slot_id}/transitions/open_nominations", headers=headers
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.startswith("{# The week") is False and 'id="slot-panel"' in html
    assert "Nominaciones abiertas" in html and "<html" not in html
    again = client.post(f"/rotation/slots/{slot_id}/transitions/open_nominations", headers=headers)
    assert again.status_code == 409
    assert "ya no se puede «abrir nominaciones»" in again.get_data(as_text=True)


def test_plan_preview_page_then_apply(app, world, db):
    program = make_two_year_program(world, db)
    client = app.test_client()
    login(client, "coordinador@example.com")
    page = client.get(f"/rotation/programs/{program.id}/years/2027/plan")
    assert "Estas 12 semanas cambiarían" in page.get_data(as_text=True)
    assert db.session.execute(select(Slot).where(Slot.allocations.any())).first() is None
    response = client.post(
        f"/rotation/programs/{program.id}/years/2027/plan",
        data={"csrf_token": csrf_token(client, "/")},
    )
    assert response.status_code == 302
    assert None not in hosts(db.session.get(Program, program.id), 2027)


def test_cli_prints_the_plan_and_applies_only_when_asked(app, world, db):
    program = make_two_year_program(world, db)
    runner = app.test_cli_runner()
    dry = runner.invoke(args=["rotation", "plan", "--program", str(program.id), "--year", "2027"])
    assert dry.exit_code == 0, dry.output
    assert "12 semanas cambiarían" in dry.output and "septiembre" in dry.output
    db.session.expire_all()
    assert None in hosts(db.session.get(Program, program.id), 2027)
    wet = runner.invoke(
        args=["rotation", "plan", "--program", str(program.id), "--year", "2027", "--apply"]
    )
    assert "Aplicado: 12 semanas cambiaron." in wet.output
    db.session.expire_all()
    assert None not in hosts(db.session.get(Program, program.id), 2027)
