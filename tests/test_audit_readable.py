"""The audit trail reads as sentences: the entrepreneur named, fields and states in words,
each change once, filtered by week, commune and person."""

from datetime import timedelta

import pytest

from app import clock
from app.domain import registry, review
from tests.conftest import login
from tests.factories import make_nominations_world
from tests.test_review import close, submitted


@pytest.fixture
def world(app, db):
    return make_nominations_world(app, stands=10)


def test_an_approval_reads_as_one_sentence_with_its_stand(app, world, db):
    approved, rejected = submitted(world, 2)
    close(world)
    coordinator = world["users"]["coordinator"]
    stand = review.approve(approved, by=coordinator).stand
    review.decide(rejected, "reject", by=coordinator, reason="Rubro repetido")
    e = approved.entrepreneur
    data = {f: getattr(e, f) for f in registry.FIELDS if f != "category"}
    registry.update_entrepreneur(
        e, {**data, "category": e.category, "phone": "912345678"}, by=coordinator
    )
    db.session.commit()
    client = app.test_client()
    login(client, "viewer@example.com")
    page = client.get("/audit/").get_data(as_text=True)
    assert page.count(f"Aprobó a {e.business_name}, stand {stand.code}") == 1
    assert "Asignó un stand" not in page  # the stand is part of the approval, shown once
    assert f"Rechazó a {rejected.entrepreneur.business_name}" in page
    assert f"Editó los datos de {e.business_name}" in page
    assert "Teléfono: — → Teléfono: +56912345678" in page
    assert "Estado: Enviada → Estado: Aprobada" in page
    assert "nomination.approve" not in page and "phone:" not in page


def test_the_trail_filters_by_person_week_and_commune(app, world, db):
    start = clock.now_utc()
    people = submitted(world, 1)
    close(world)
    with clock.frozen_at(start + timedelta(days=14)):
        review.approve(people[0], by=world["users"]["coordinator"])
        db.session.commit()
    client = app.test_client()
    login(client, "viewer@example.com")
    name = people[0].entrepreneur.business_name
    officer = world["users"]["officer"]
    coordinator = world["users"]["coordinator"]
    by_officer = client.get(f"/audit/?person={officer.id}").get_data(as_text=True)
    assert f"Envió a revisión a {name}" in by_officer and "Aprobó a" not in by_officer
    by_coordinator = client.get(f"/audit/?person={coordinator.id}").get_data(as_text=True)
    assert f"Aprobó a {name}" in by_coordinator and "Envió a revisión" not in by_coordinator
    later = (start + timedelta(days=14)).astimezone(clock.VENUE_TZ).date()
    that_week = client.get(f"/audit/?week={later.isoformat()}").get_data(as_text=True)
    assert f"Aprobó a {name}" in that_week and "Envió a revisión" not in that_week
    other = world["alhue"].id
    assert "Aprobó a" not in client.get(f"/audit/?commune={other}").get_data(as_text=True)
    assert client.get("/audit/?week=no-es-fecha").status_code == 200
