"""One writer of states: nominations, weeks and swaps change state only through apply(), and
every change reaches the listeners once (what notifications will hook into)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from app.domain import nominations, review, rotation, slot_states, swaps, transitions
from tests.factories import make_nominations_world, make_world, register

APP = Path(__file__).resolve().parents[2] / "app"
# Writers allowed to set a state attribute themselves, and why.
OTHER_WRITERS = {
    "domain/transitions.py",  # the one writer
    "domain/csv_import.py",  # an import's progress (checking/ready/committed), not a workflow
    "demo/generate.py",  # benchmark data: years of synthetic history written in bulk
    "notifications/outbox.py",  # a message's delivery (pending, sent, failed)
}


def test_no_module_but_transitions_writes_a_workflow_state():
    writes = re.compile(r"\.state\s*=[^=]")
    offenders = [
        f"{path.relative_to(APP)}:{number}"
        for path in APP.rglob("*.py")
        if str(path.relative_to(APP)) not in OTHER_WRITERS
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if writes.search(line)
    ]
    assert offenders == []


@pytest.fixture
def heard():
    events: list[transitions.TransitionEvent] = []
    transitions._LISTENERS.append(events.append)
    yield events
    transitions._LISTENERS.remove(events.append)


def test_every_nomination_change_reaches_the_listeners_once(app, db, heard):
    w = make_nominations_world(app, stands=1)
    users = w["users"]
    first = register(w["melipilla"], w["crafts"], "12345678-5")
    second = register(w["melipilla"], w["crafts"], "11111111-1")
    a = nominations.nominate(w["slot"], first, by=users["officer"])
    b = nominations.nominate(w["slot"], second, by=users["officer"], reserve=True)
    nominations.submit_list(w["slot"], w["melipilla"], by=users["officer"])
    review.approve(a, by=users["coordinator"])
    review.decide(b, "waitlist", by=users["coordinator"])
    review.decide(a, "withdraw", by=users["officer"], reason="Enfermedad")
    assert [(e.action, e.obj.id) for e in heard] == [
        ("nomination.create", a.id),
        ("nomination.create", b.id),
        ("nomination.submit", a.id),
        ("nomination.submit", b.id),
        ("nomination.approve", a.id),
        ("nomination.waitlist", b.id),
        ("nomination.withdraw", a.id),
        ("nomination.promote", b.id),
    ]
    promoted = heard[-1]
    assert promoted.actor is None and promoted.before.value == "waitlisted"
    assert b.state.value == "approved"


def test_week_and_swap_changes_reach_the_listeners(app, db, heard):
    app.config["FIXED_NOW"] = datetime(2026, 11, 20, 15, tzinfo=UTC)
    world = make_world()
    users = world["users"]
    from tests.test_rotation import make_two_year_program

    program = make_two_year_program(world, db)
    rotation.plan_year(program, 2027, by=None, apply=True)
    meli, alhue = world["communes"][0], world["communes"][1]
    slot_a = next(s for s in program.slots if rotation.host_of(s) == meli.id)
    slot_b = next(s for s in program.slots if rotation.host_of(s) == alhue.id)
    swap = swaps.request_swap(slot_a, slot_b, by=users["officer"])
    swaps.accept_swap(swap, by=users["other_officer"])
    swaps.approve_swap(swap, by=users["coordinator"])
    slot_states.transition_slot(slot_a, "open_nominations", by=users["coordinator"])
    slot_states.advance_by_date(now=slot_a.nominations_deadline + timedelta(seconds=1))
    assert [e.action for e in heard] == [
        "swap.request",
        "swap.accept",
        "swap.approve",
        "slot.open_nominations",
        "slot.close_nominations",
    ]
    assert heard[-1].actor is None  # the clock


def test_a_swap_is_withdrawn_by_who_asked_and_rejected_by_the_others(app, db, heard):
    app.config["FIXED_NOW"] = datetime(2026, 11, 20, 15, tzinfo=UTC)
    world = make_world()
    users = world["users"]
    from tests.test_rotation import make_two_year_program

    program = make_two_year_program(world, db)
    rotation.plan_year(program, 2027, by=None, apply=True)
    meli, alhue = world["communes"][0], world["communes"][1]
    hosted = {
        c.id: [s for s in program.slots if rotation.host_of(s) == c.id] for c in (meli, alhue)
    }
    first = swaps.request_swap(hosted[meli.id][0], hosted[alhue.id][0], by=users["officer"])
    assert swaps.can_reject(first, users["officer"]) and swaps.can_reject(
        first, users["other_officer"]
    )
    swaps.reject_swap(first, by=users["officer"])
    assert first.state.value == "cancelled"
    second = swaps.request_swap(hosted[meli.id][1], hosted[alhue.id][1], by=users["officer"])
    swaps.reject_swap(second, by=users["other_officer"], reason="No nos sirve")
    assert second.state.value == "rejected"
    assert [e.action for e in heard] == [
        "swap.request",
        "swap.withdraw",
        "swap.request",
        "swap.reject",
    ]
    assert not swaps.can_reject(second, users["coordinator"])  # already decided
