"""The database itself guards the rules, whatever the code above it does."""

import pytest
from sqlalchemy.exc import IntegrityError

from app.models import Nomination, NominationState, Role, Slot, StandAssignment, User
from app.models.types import utcnow
from tests.factories import make_category, make_entrepreneur, make_program, make_world


@pytest.fixture
def setup(db):
    world = make_world()
    program = make_program(world["venue"])
    category = make_category()
    a = make_entrepreneur(world["communes"][0], category, "12345678-5")
    b = make_entrepreneur(world["communes"][0], category, "11111111-1")
    slot = program.slots[0]
    n1 = Nomination(
        slot=slot, entrepreneur=a, commune_id=a.commune_id, state=NominationState.APPROVED
    )
    n2 = Nomination(
        slot=slot, entrepreneur=b, commune_id=b.commune_id, state=NominationState.APPROVED
    )
    db.session.add_all([n1, n2])
    db.session.commit()
    return {**world, "slot": slot, "a": a, "b": b, "n1": n1, "n2": n2}


@pytest.mark.db
def test_a_stand_cannot_be_assigned_twice_in_one_week(db, setup, backend):
    stand = setup["venue"].stands[0]
    db.session.add(StandAssignment(slot=setup["slot"], stand=stand, nomination=setup["n1"]))
    db.session.commit()
    db.session.add(StandAssignment(slot=setup["slot"], stand=stand, nomination=setup["n2"]))
    with pytest.raises(IntegrityError):
        db.session.commit()


@pytest.mark.db
def test_a_released_stand_can_be_assigned_again(db, setup, backend):
    stand = setup["venue"].stands[0]
    first = StandAssignment(slot=setup["slot"], stand=stand, nomination=setup["n1"])
    db.session.add(first)
    db.session.commit()
    first.released_at = utcnow()
    db.session.add(StandAssignment(slot=setup["slot"], stand=stand, nomination=setup["n2"]))
    db.session.commit()
    assert len(db.session.query(StandAssignment).all()) == 2


@pytest.mark.db
def test_one_nomination_cannot_hold_two_stands(db, setup, backend):
    stands = setup["venue"].stands
    db.session.add(StandAssignment(slot=setup["slot"], stand=stands[0], nomination=setup["n1"]))
    db.session.add(StandAssignment(slot=setup["slot"], stand=stands[1], nomination=setup["n1"]))
    with pytest.raises(IntegrityError):
        db.session.commit()


@pytest.mark.db
def test_one_live_nomination_per_entrepreneur_per_slot(db, setup, backend):
    a = setup["a"]
    db.session.add(Nomination(slot=setup["slot"], entrepreneur=a, commune_id=a.commune_id))
    with pytest.raises(IntegrityError):
        db.session.commit()


@pytest.mark.db
def test_a_withdrawn_nomination_frees_the_entrepreneur(db, setup, backend):
    setup["n1"].state = NominationState.WITHDRAWN
    db.session.commit()
    a = setup["a"]
    db.session.add(Nomination(slot=setup["slot"], entrepreneur=a, commune_id=a.commune_id))
    db.session.commit()


@pytest.mark.db
def test_an_officer_must_have_a_commune(db, setup, backend):
    db.session.add(User(email="x@example.com", name="X", password_hash="x", role=Role.OFFICER))
    with pytest.raises(IntegrityError):
        db.session.commit()


@pytest.mark.db
def test_a_coordinator_has_no_commune(db, setup, backend):
    db.session.add(
        User(
            email="y@example.com",
            name="Y",
            password_hash="x",
            role=Role.COORDINATOR,
            commune_id=setup["communes"][0].id,
        )
    )
    with pytest.raises(IntegrityError):
        db.session.commit()


@pytest.mark.db
def test_one_slot_per_program_month(db, setup, backend):
    slot = setup["slot"]
    db.session.add(
        Slot(
            program_id=slot.program_id,
            year=slot.year,
            month=slot.month,
            starts_on=slot.starts_on,
            ends_on=slot.ends_on,
        )
    )
    with pytest.raises(IntegrityError):
        db.session.commit()


@pytest.mark.db
def test_rut_is_unique_across_communes(db, setup, backend):
    other = setup["communes"][1]
    db.session.add(
        setup["a"].__class__(
            commune=other,
            category=setup["a"].category,
            rut="12345678-5",
            business_name="Copia",
            owner_name="X",
        )
    )
    with pytest.raises(IntegrityError):
        db.session.commit()
