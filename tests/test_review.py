"""The mall's review: approving with a stand, matching needs, capacity, quotas, the waitlist."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.domain import nominations, review, slot_states
from app.domain.errors import Conflict, Invalid, NotAllowed
from app.models import (
    AllocationMode,
    AuditEvent,
    Nomination,
    NominationState,
    SlotState,
    StandAssignment,
)
from tests.factories import make_nominations_world, register

S = NominationState


@pytest.fixture
def world(app, db):
    return make_nominations_world(app, stands=10)


def submitted(world, count: int, *, commune=None, rut_start: int = 10_000_000, **needs):
    """`count` entrepreneurs of the commune nominated and submitted by its officer."""
    commune = commune or world["melipilla"]
    officer = world["users"]["officer" if commune is world["melipilla"] else "other_officer"]
    from app.domain.rut import check_digit

    people = []
    for i in range(count):
        body = rut_start + i
        person = register(
            commune,
            world["food"] if needs.get("needs_food_handling") else world["crafts"],
            f"{body}-{check_digit(body)}",
            by=officer,
            **needs,
        )
        try:
            people.append(nominations.nominate(world["slot"], person, by=officer))
        except Conflict:  # the commune's quota is full: the rest go on its reserve list
            people.append(nominations.nominate(world["slot"], person, by=officer, reserve=True))
    nominations.submit_list(world["slot"], commune, by=officer)
    return people


def close(world):
    slot_states.transition_slot(
        world["slot"], "close_nominations", by=world["users"]["coordinator"]
    )


@pytest.mark.db
def test_approving_assigns_a_stand_that_fits_the_needs(world, db, backend):
    food, power, plain = (
        submitted(
            world,
            1,
            rut_start=10_000_000,
            needs_food_handling=True,
            sanitary_resolution="Res. 1/2026",
            sanitary_expiry=world["slot"].ends_on,
        )[0],
        submitted(world, 1, rut_start=11_000_000, needs_power=True)[0],
        submitted(world, 1, rut_start=12_000_000)[0],
    )
    coordinator = world["users"]["coordinator"]
    stands = {n.id: review.approve(n, by=coordinator).stand for n in (food, power, plain)}
    db.session.commit()
    assert stands[food.id].food_allowed
    assert stands[power.id].has_power and not stands[power.id].food_allowed
    # Plain needs get a plain stand: powered and food stands stay for those who need them.
    assert not stands[plain.id].has_power and not stands[plain.id].food_allowed
    assert food.state is S.APPROVED


@pytest.mark.db
def test_a_full_week_answers_conflict(world, db, backend):
    people = submitted(world, 11)
    coordinator = world["users"]["coordinator"]
    for n in people[:10]:
        review.approve(n, by=coordinator)
    with pytest.raises(Conflict, match="La semana está completa"):
        review.approve(people[10], by=coordinator)
    db.session.commit()
    assert len(review.live_assignments(world["slot"].id)) == 10


def test_shared_mode_respects_each_communes_quota(world, db):
    world["program"].mode = AllocationMode.SHARED
    people = submitted(world, 2, commune=world["alhue"])  # Alhué's quota is 1
    coordinator = world["users"]["coordinator"]
    review.approve(people[0], by=coordinator)
    with pytest.raises(Conflict, match="ya usó sus 1 stands"):
        review.approve(people[1], by=coordinator)


def test_named_stand_must_suit_and_be_free(world, db):
    people = submitted(world, 2, needs_power=True)
    coordinator = world["users"]["coordinator"]
    unpowered = next(s for s in world["venue"].stands if not s.has_power)
    with pytest.raises(Invalid, match="no tiene enchufe"):
        review.approve(people[0], by=coordinator, stand=unpowered)
    powered = next(s for s in world["venue"].stands if s.has_power)
    review.approve(people[0], by=coordinator, stand=powered)
    with pytest.raises(Conflict, match="ya fue asignado"):
        review.approve(people[1], by=coordinator, stand=powered)


def test_only_the_mall_approves(world, db):
    person = submitted(world, 1)[0]
    with pytest.raises(NotAllowed):
        review.approve(person, by=world["users"]["officer"])
    with pytest.raises(NotAllowed):
        review.approve(person, by=world["users"]["viewer"])


def test_reject_needs_a_reason_shown_to_the_commune(world, db):
    person = submitted(world, 1)[0]
    coordinator = world["users"]["coordinator"]
    with pytest.raises(Invalid):
        review.decide(person, "reject", by=coordinator)
    review.decide(person, "reject", by=coordinator, reason="Rubro repetido esta semana")
    assert person.state is S.REJECTED and person.reason == "Rubro repetido esta semana"


@pytest.mark.db
def test_withdrawal_promotes_the_same_commune_first(world, db, backend):
    coordinator = world["users"]["coordinator"]
    meli = submitted(world, 11)
    alhue_waiting = submitted(world, 1, commune=world["alhue"], rut_start=20_000_000)[0]
    for n in meli[:10]:
        review.approve(n, by=coordinator)
    review.decide(alhue_waiting, "waitlist", by=coordinator)  # waiting longer, other commune
    review.decide(meli[10], "waitlist", by=coordinator)
    db.session.commit()
    promoted = nominations_withdraw(world, meli[0])
    db.session.commit()
    assert [p.id for p in promoted] == [meli[10].id]
    assert meli[10].state is S.APPROVED and alhue_waiting.state is S.WAITLISTED
    assert review.live_assignment_of(meli[10]) is not None
    # Next place that frees up goes to the other commune, as nobody of Melipilla waits.
    promoted = review.decide(meli[1], "cancel", by=coordinator, reason="No confirmó")
    assert [p.id for p in promoted] == [alhue_waiting.id]
    actions = db.session.execute(select(AuditEvent.action)).scalars().all()
    assert actions.count("nomination.promote") == 2 and "stand.release" in actions


def nominations_withdraw(world, nomination):
    return review.decide(nomination, "withdraw", by=world["users"]["officer"], reason="Enfermedad")


def test_changes_after_publishing_are_tracked_as_roster_changes(world, db):
    coordinator = world["users"]["coordinator"]
    people = submitted(world, 2)
    for n in people:
        review.approve(n, by=coordinator)
    close(world)
    slot_states.transition_slot(world["slot"], "publish", by=coordinator)
    sequence = world["slot"].sequence
    review.decide(people[0], "cancel", by=coordinator, reason="Problema sanitario")
    assert world["slot"].state is SlotState.PUBLISHED and world["slot"].sequence == sequence + 1
    change = db.session.execute(
        select(AuditEvent).where(AuditEvent.action == "roster.change")
    ).scalar_one()
    assert change.after["change"] == "cancel"


def test_reassign_moves_to_a_free_suitable_stand(world, db):
    coordinator = world["users"]["coordinator"]
    a, b = submitted(world, 2)
    first = review.approve(a, by=coordinator).stand
    review.approve(b, by=coordinator)
    target = next(
        s
        for s in world["venue"].stands
        if s.id not in {x.stand_id for x in review.live_assignments(world["slot"].id)}
    )
    review.reassign(a, target, by=coordinator)
    live = {x.nomination_id: x.stand_id for x in review.live_assignments(world["slot"].id)}
    assert live[a.id] == target.id and first.id not in live.values()
    released = db.session.execute(
        select(StandAssignment).where(StandAssignment.released_at.is_not(None))
    ).scalar_one()
    assert released.stand_id == first.id and released.release_reason == "Cambio de stand"


def test_no_shows_lower_the_nomination_hint(world, db):
    officer = world["users"]["officer"]
    earlier = world["program"].slots[0]
    later = world["program"].slots[1]
    reliable = register(
        world["melipilla"], world["crafts"], "13000000-2", by=officer, business_name="B Confiable"
    )
    absent = register(
        world["melipilla"], world["crafts"], "14000000-0", by=officer, business_name="A Ausente"
    )
    for person, state in ((reliable, S.ATTENDED), (absent, S.ATTENDED), (absent, S.NO_SHOW)):
        db.session.add(
            Nomination(
                slot=earlier if state is S.ATTENDED else later,
                entrepreneur=person,
                commune_id=person.commune_id,
                state=state,
            )
        )
    db.session.flush()
    ranked = [
        c.entrepreneur.business_name
        for c in nominations.candidates(world["program"].slots[2], world["melipilla"])
        if c.entrepreneur.id in (reliable.id, absent.id)
    ]
    assert ranked == ["B Confiable", "A Ausente"]  # by name alone, A would come first
