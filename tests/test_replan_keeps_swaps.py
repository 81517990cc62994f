"""Re-planning a year never silently hands back a turn two communes swapped."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.domain import fairness, rotation, rotation_settings, swaps
from app.models import Slot
from tests.conftest import login
from tests.factories import make_program, make_world


@pytest.fixture
def world(app, db):
    app.config["FIXED_NOW"] = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
    world = make_world()
    program = make_program(world["venue"], year=2027)
    rotation.plan_year(program, 2027, by=None, apply=True)
    db.session.commit()
    return {**world, "program": program}


def swap_weeks(world) -> tuple[Slot, Slot]:
    """Melipilla gives one of its weeks to Alhué for one of Alhué's, all approved."""
    melipilla, alhue = world["communes"][0], world["communes"][1]
    users = world["users"]
    slots = world["program"].slots
    ours = next(s for s in slots if rotation.host_of(s) == melipilla.id)
    theirs = next(s for s in slots if rotation.host_of(s) == alhue.id)
    swap = swaps.request_swap(ours, theirs, by=users["officer"], reason="Fiesta de la vendimia")
    swaps.accept_swap(swap, by=users["other_officer"])
    swaps.approve_swap(swap, by=users["coordinator"])
    return ours, theirs


def heavier_melipilla(world) -> None:
    """A weight change big enough that the fair plan moves most turns."""
    coordinator = world["users"]["coordinator"]
    rotation_settings.set_weights({world["communes"][0].id: "3"}, by=coordinator)


@pytest.mark.db
def test_an_approved_swap_survives_a_replan_after_new_weights(world, db, backend):
    melipilla, alhue = world["communes"][0], world["communes"][1]
    ours, theirs = swap_weeks(world)
    heavier_melipilla(world)
    db.session.commit()
    preview = rotation.plan_year(world["program"], 2027, by=None, apply=True)
    db.session.commit()
    assert preview.changes  # the new weights did move other weeks
    assert (rotation.host_of(ours), rotation.host_of(theirs)) == (alhue.id, melipilla.id)
    assert preview.locked == {ours.id: "swap", theirs.id: "swap"}
    assert {c.slot.id for c in preview.changes}.isdisjoint({ours.id, theirs.id})
    # The swapped weeks count for their new hosts: the year stays within one turn of fair.
    rows = fairness.report(preview, world["communes"])
    assert all(abs(row.assigned - row.entitled) < 1 for row in rows)


@pytest.mark.db
def test_a_swapped_week_given_to_a_third_commune_is_planned_again(world, db, backend):
    melipilla, curacavi = world["communes"][0], world["communes"][2]
    ours, theirs = swap_weeks(world)
    rotation.override_host(ours, curacavi, by=world["users"]["coordinator"], reason="Acuerdo")
    heavier_melipilla(world)
    db.session.commit()
    preview = rotation.plan_year(world["program"], 2027, by=None, apply=False)
    assert ours.id not in preview.locked
    assert preview.locked == {theirs.id: "swap"}
    assert rotation.host_of(theirs) == melipilla.id


def test_the_replan_page_lists_the_swapped_weeks_as_kept_and_says_why(app, world, db):
    ours, theirs = swap_weeks(world)
    heavier_melipilla(world)
    db.session.commit()
    client = app.test_client()
    login(client, "coordinador@example.com")
    page = client.get(f"/rotation/programs/{world['program'].id}/years/2027/plan")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    changes, kept = html.split('data-testid="plan-kept"')
    assert "Se mantienen 2 semanas" in changes
    why = (
        "Melipilla y Alhué intercambiaron sus semanas y el mall lo aprobó: "
        "replanificar no deshace el intercambio."
    )
    for slot in (ours, theirs):
        item = kept.split(f'id="kept-{slot.id}"')[1].split("</li>")[0]
        assert why in item
        assert f'href="/rotation/slots/{slot.id}"' not in changes.split("plan-changes")[-1]
