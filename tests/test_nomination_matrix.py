"""Every transition of the nomination state machine × every role: who may make it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.domain import nomination_states
from app.domain.errors import Conflict, Invalid, NotAllowed, NotFound
from app.domain.nomination_states import TRANSITIONS, Side
from app.models import Nomination, NominationState
from tests.factories import make_nominations_world, register

ROLES = ["admin", "coordinator", "officer", "other_officer", "viewer"]
# What people do to an existing nomination; creation (nominate) and promotion from the waiting
# list have tests of their own below.
BY_PEOPLE = sorted(n for n, t in TRANSITIONS.items() if not t.system and not t.creates)
# Melipilla's nomination: its officer and admins act for the commune; the mall is
# coordinators and admins; the other commune's officer and viewers never.
MAY = {
    Side.COMMUNE: {"admin", "officer"},
    Side.MALL: {"admin", "coordinator"},
}


@pytest.fixture
def world(app, db):
    return make_nominations_world(app, stands=3)


def nomination_in(world, db, state: NominationState) -> Nomination:
    person = register(
        world["melipilla"], world["crafts"], "12345678-5", by=world["users"]["officer"]
    )
    nomination = Nomination(
        slot=world["slot"], entrepreneur=person, commune_id=person.commune_id, state=state
    )
    db.session.add(nomination)
    db.session.flush()
    return nomination


def moment(app, transition) -> None:
    """A time at which the transition's window is open: attendance needs the week begun."""
    if transition.when is nomination_states.When.WEEK_STARTED:
        start = app.config["FIXED_NOW"]
        app.config["FIXED_NOW"] = datetime(2027, 1, 12, 15, tzinfo=UTC)
        return start
    return None


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", BY_PEOPLE)
def test_transition_by_role(app, world, db, name, role):
    transition = TRANSITIONS[name]
    source = sorted(transition.sources, key=lambda s: s.value)[0]
    nomination = nomination_in(world, db, source)
    moment(app, transition)
    user = world["users"][role]
    allowed = role in MAY[transition.side]
    assert nomination_states.can(nomination, name, user) is allowed
    reason = "Motivo de prueba"
    if allowed:
        nomination_states.apply(nomination, name, by=user, reason=reason)
        assert nomination.state is transition.target
    else:
        expected = (
            (NotFound,)
            if role == "other_officer" and transition.side is Side.COMMUNE
            else (NotAllowed, NotFound)
        )
        with pytest.raises(expected):
            nomination_states.apply(nomination, name, by=user, reason=reason)
        assert nomination.state is source


@pytest.mark.parametrize("name", BY_PEOPLE)
def test_transition_from_a_wrong_state_is_a_conflict(app, world, db, name):
    transition = TRANSITIONS[name]
    wrong = next(s for s in NominationState if s not in transition.sources)
    nomination = nomination_in(world, db, wrong)
    moment(app, transition)
    with pytest.raises(Conflict):
        nomination_states.apply(nomination, name, by=world["users"]["admin"], reason="x")


def test_reasons_are_required_where_the_table_says(app, world, db):
    for name in BY_PEOPLE:
        transition = TRANSITIONS[name]
        if not transition.reason_required:
            continue
        source = sorted(transition.sources, key=lambda s: s.value)[0]
        nomination = nomination_in(world, db, source)
        with pytest.raises(Invalid):
            nomination_states.apply(nomination, name, by=world["users"]["admin"])
        db.session.rollback()


@pytest.mark.parametrize("role", ROLES)
def test_nobody_promotes_from_the_waiting_list_by_hand(app, world, db, role):
    nomination = nomination_in(world, db, NominationState.WAITLISTED)
    assert not nomination_states.can(nomination, "promote", world["users"][role])
    with pytest.raises(NotAllowed):
        nomination_states.apply(nomination, "promote", by=world["users"][role])
    assert nomination.state is NominationState.WAITLISTED
    nomination_states.apply(nomination, "promote", by=None, caused_by=world["users"][role])
    assert nomination.state is NominationState.APPROVED


def test_an_existing_nomination_cannot_be_created_again(app, world, db):
    nomination = nomination_in(world, db, NominationState.SUBMITTED)
    with pytest.raises(Conflict):
        nomination_states.apply(nomination, "create", by=world["users"]["officer"])
    assert nomination.state is NominationState.SUBMITTED


def test_the_rules_own_moves_are_not_actions_on_the_page(app, world, db, client):
    from tests.conftest import csrf_token, login

    nomination = nomination_in(world, db, NominationState.WAITLISTED)
    db.session.commit()
    login(client, "coordinador@example.com")
    token = csrf_token(client)
    for action in ("promote", "create"):
        response = client.post(f"/nominations/{nomination.id}/{action}", data={"csrf_token": token})
        assert 400 <= response.status_code < 500
    db.session.expire_all()
    assert db.session.get(Nomination, nomination.id).state is NominationState.WAITLISTED
