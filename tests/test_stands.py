"""Coordinators manage the venue's stands: codes, features, closures and map positions."""

from datetime import date

import pytest
from sqlalchemy import select

from app.domain import rotation, stands
from app.domain.errors import Conflict, Invalid, NotAllowed
from app.models import AuditEvent, Stand
from tests.conftest import csrf_token, login
from tests.factories import make_program, make_world


@pytest.fixture
def world(db):
    return make_world()


def test_stand_codes_are_checked_and_unique(world, db):
    coordinator = world["users"]["coordinator"]
    venue = world["venue"]
    with pytest.raises(Invalid, match="no es válido"):
        stands.save_stand(
            venue,
            by=coordinator,
            code="E 99!",
            location="",
            area_m2=None,
            has_power=False,
            food_allowed=False,
            active=True,
        )
    with pytest.raises(Conflict, match="Ya existe un stand con el código E-01"):
        stands.save_stand(
            venue,
            by=coordinator,
            code="e-01",
            location="",
            area_m2=None,
            has_power=False,
            food_allowed=False,
            active=True,
        )
    with pytest.raises(NotAllowed):
        stands.save_stand(
            venue,
            by=world["users"]["officer"],
            code="E-99",
            location="",
            area_m2=None,
            has_power=False,
            food_allowed=False,
            active=True,
        )


def test_closing_a_stand_lowers_the_weeks_capacity_at_the_next_plan(world, db):
    coordinator = world["users"]["coordinator"]
    program = make_program(world["venue"], year=2027)
    march = next(s for s in program.slots if s.month == 3)
    stand = world["venue"].stands[0]
    with pytest.raises(Invalid, match="Indique el motivo"):
        stands.close_stand(
            stand, starts_on=march.starts_on, ends_on=march.ends_on, reason="", by=coordinator
        )
    stands.close_stand(
        stand,
        starts_on=date(2027, 3, 1),
        ends_on=date(2027, 3, 31),
        reason="Reparación",
        by=coordinator,
    )
    preview = rotation.plan_year(program, 2027, by=coordinator, apply=True)
    change = next(c for c in preview.changes if c.slot.id == march.id)
    assert (change.after_capacity, march.capacity) == (9, 9)
    assert next(s for s in program.slots if s.month == 4).capacity == 10


def test_stand_pages_for_coordinators_and_readers(app, world, db):
    client = app.test_client()
    login(client, "coordinador@example.com")
    token = csrf_token(client, "/stands/new")
    response = client.post(
        "/stands/new",
        data={
            "code": "f-01",
            "location": "Patio",
            "area_m2": "8",
            "has_power": "y",
            "active": "y",
            "csrf_token": token,
        },
    )
    assert response.status_code == 302
    stand = db.session.execute(select(Stand).where(Stand.code == "F-01")).scalar_one()
    assert stand.has_power and not stand.food_allowed
    response = client.post(
        f"/stands/{stand.id}/position", data={"x": "120", "y": "80", "csrf_token": token}
    )
    assert response.json == {"id": stand.id, "x": 120, "y": 80}
    bad = client.post(
        f"/stands/{stand.id}/position",
        data={"x": "5000", "y": "80"},
        headers={"X-CSRFToken": token, "Accept": "application/json"},
    )
    assert bad.status_code == 400 and bad.json["error"] == "La posición queda fuera del plano."
    html = client.get("/stands/").get_data(as_text=True)
    assert 'data-editable="true"' in html and "translate(120 80)" in html
    reader = app.test_client()
    login(reader, "viewer@example.com")
    html = reader.get("/stands/").get_data(as_text=True)
    assert "F-01" in html and "data-editable" not in html and "Nuevo stand" not in html
    assert (
        db.session.execute(select(AuditEvent).where(AuditEvent.action == "stand.create"))
        .scalar_one()
        .actor_id
        == world["users"]["coordinator"].id
    )


def test_an_officer_sees_only_their_own_communes_people_on_the_stand_map(app, db):
    """Another commune's entrepreneurs (who may not have agreed to be shown) are "Asignado"
    on the stand list and the map's tooltips; coordinators see every name."""
    from app.domain import nominations, review
    from tests.conftest import login
    from tests.factories import make_nominations_world, register

    w = make_nominations_world(app)
    users = w["users"]
    theirs = register(w["melipilla"], w["crafts"], "12345678-5", business_name="Quesos Secretos")
    ours = register(w["alhue"], w["crafts"], "11111111-1", business_name="Miel de Alhué")
    nominations.nominate(w["slot"], theirs, by=users["officer"])
    nominations.nominate(w["slot"], ours, by=users["other_officer"])
    for commune, officer in ((w["melipilla"], "officer"), (w["alhue"], "other_officer")):
        for n in nominations.submit_list(w["slot"], commune, by=users[officer]):
            review.approve(n, by=users["coordinator"])
    db.session.commit()
    url = f"/stands/?slot={w['slot'].id}"

    alhue = app.test_client()
    login(alhue, users["other_officer"].email)
    page = alhue.get(url).get_data(as_text=True)
    assert "Miel de Alhué" in page
    assert "Quesos Secretos" not in page
    assert "Asignado · Melipilla" in page

    coordinator = app.test_client()
    login(coordinator, "coordinador@example.com")
    page = coordinator.get(url).get_data(as_text=True)
    assert "Quesos Secretos" in page and "Miel de Alhué" in page
