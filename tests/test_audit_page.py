"""The audit trail page shows every change, filtered by week, commune or area."""

from datetime import UTC, datetime

from app.domain import rotation, slot_states
from tests.conftest import login
from tests.factories import make_program, make_world


def test_audit_page_lists_changes_and_filters_by_week(app, db):
    app.config["FIXED_NOW"] = datetime(2026, 11, 20, 15, tzinfo=UTC)
    world = make_world()
    program = make_program(world["venue"], year=2027)
    rotation.plan_year(program, 2027, by=None, apply=True)
    march = program.slots[2]
    slot_states.transition_slot(
        march, "cancel", by=world["users"]["coordinator"], reason="Inventario del mall"
    )
    db.session.commit()
    client = app.test_client()
    login(client, "viewer@example.com")
    html = client.get("/audit/").get_data(as_text=True)
    assert "Semana cancelada" in html and "Inventario del mall" in html
    assert "Usuario creado" in html
    only_march = client.get(f"/audit/?slot={march.id}").get_data(as_text=True)
    assert "Semana cancelada" in only_march and "Usuario creado" not in only_march
    assert "Estado: Planificada → Estado: Cancelada" in only_march
    partial = client.get("/audit/?area=user", headers={"HX-Request": "true"})
    text = partial.get_data(as_text=True)
    assert text.lstrip().startswith('<section id="audit-results">')
    assert "Usuario creado" in text and "Semana cancelada" not in text


def test_audit_page_paginates(app, db):
    world = make_world()
    program = make_program(world["venue"], year=2027)
    for _ in range(5):
        rotation.plan_year(program, 2027, by=None, apply=True)
        for slot in program.slots:
            slot.allocations.clear()
        db.session.flush()
    db.session.commit()
    client = app.test_client()
    login(client, "admin@example.com")
    html = client.get("/audit/?area=slot").get_data(as_text=True)
    assert "Página 1 de" in html and "Siguiente" in html
    assert "Página 2 de" in client.get("/audit/?area=slot&page=2").get_data(as_text=True)
