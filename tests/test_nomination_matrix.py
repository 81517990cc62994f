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
@pytest.mark.parametrize("name", sorted(TRANSITIONS))
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


@pytest.mark.parametrize("name", sorted(TRANSITIONS))
def test_transition_from_a_wrong_state_is_a_conflict(app, world, db, name):
    transition = TRANSITIONS[name]
    wrong = next(s for s in NominationState if s not in transition.sources)
    nomination = nomination_in(world, db, wrong)
    moment(app, transition)
    with pytest.raises(Conflict):
        nomination_states.apply(nomination, name, by=world["users"]["admin"], reason="x")


def test_reasons_are_required_where_the_table_says(app, world, db):
    for name, transition in TRANSITIONS.items():
        if not transition.reason_required:
            continue
        source = sorted(transition.sources, key=lambda s: s.value)[0]
        nomination = nomination_in(world, db, source)
        with pytest.raises(Invalid):
            nomination_states.apply(nomination, name, by=world["users"]["admin"])
        db.session.rollback()
