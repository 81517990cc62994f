"""Extending a program and starting a new one from the rotation pages."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from app.domain import programs, rotation
from app.models import AllocationMode, Program, Slot
from tests.conftest import csrf_token, login
from tests.factories import make_program, make_world

EXTEND = "Extender el programa a 2028"


@pytest.fixture
def world(app, db):
    app.config["FIXED_NOW"] = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
    world = make_world()
    world["program"] = make_program(world["venue"], year=2027)
    rotation.plan_year(world["program"], 2027, by=None, apply=True)
    db.session.commit()
    world["program_id"] = world["program"].id
    return world


def signed_in(app, email: str):
    client = app.test_client()
    login(client, email)
    return client


def counts(db) -> tuple[int, int]:
    return (
        db.session.execute(select(func.count()).select_from(Program)).scalar_one(),
        db.session.execute(select(func.count()).select_from(Slot)).scalar_one(),
    )


def test_coordinator_sees_extend_and_new_program_on_the_last_year(app, world):
    client = signed_in(app, "coordinador@example.com")
    html = client.get(f"/rotation/programs/{world['program_id']}/years/2027").get_data(as_text=True)
    assert EXTEND in html and "Nuevo programa" in html
    assert 'hx-confirm="¿Extender «Vitrina 2027» a 2028?' in html
    assert 'name="year" value="2028"' in html and 'name="csrf_token"' in html


@pytest.mark.parametrize("email", ["melipilla@example.com", "viewer@example.com"])
def test_officers_and_viewers_see_neither(app, world, email):
    html = (
        signed_in(app, email)
        .get(f"/rotation/programs/{world['program_id']}/years/2027")
        .get_data(as_text=True)
    )
    assert "Extender el programa" not in html and "Nuevo programa" not in html


@pytest.mark.parametrize("email", ["melipilla@example.com", "viewer@example.com"])
def test_officers_and_viewers_cannot_extend_or_create(app, world, db, email):
    client = signed_in(app, email)
    token = csrf_token(client)
    before = counts(db)
    extend = client.post(
        f"/rotation/programs/{world['program_id']}/extend",
        data={"year": "2028", "csrf_token": token},
    )
    create = client.post(
        "/rotation/programs/new",
        data={"name": "X", "first_year": "2028", "last_year": "2028", "csrf_token": token},
    )
    assert (extend.status_code, create.status_code) == (403, 403)
    assert client.get("/rotation/programs/new").status_code == 403
    assert counts(db) == before


def test_only_the_last_year_offers_the_extension(app, world, db):
    programs.extend_program(world["program"], until_year=2028, by=None)
    db.session.commit()
    client = signed_in(app, "coordinador@example.com")
    first = client.get(f"/rotation/programs/{world['program_id']}/years/2027")
    last = client.get(f"/rotation/programs/{world['program_id']}/years/2028")
    assert "Extender el programa" not in first.get_data(as_text=True)
    assert "Extender el programa a 2029" in last.get_data(as_text=True)


def test_no_extension_into_another_programs_years_but_a_link_to_it(app, world, db):
    programs.start_program(
        world["venue"],
        name="Vitrina 2028",
        starts_on=date(2028, 1, 1),
        ends_on=date(2028, 12, 31),
        by=None,
    )
    db.session.commit()
    html = (
        signed_in(app, "coordinador@example.com")
        .get(f"/rotation/programs/{world['program_id']}/years/2027")
        .get_data(as_text=True)
    )
    assert "Extender el programa" not in html
    assert "Sigue en Vitrina 2028" in html


def test_extending_lands_on_the_new_years_page(app, world, db):
    client = signed_in(app, "coordinador@example.com")
    url = f"/rotation/programs/{world['program_id']}/years/2027"
    response = client.post(
        f"/rotation/programs/{world['program_id']}/extend",
        data={"year": "2028", "csrf_token": csrf_token(client, url)},
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith(
        f"/rotation/programs/{world['program_id']}/years/2028"
    )
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Programa extendido hasta 2028: 12 semanas nuevas, ya planificadas." in page
    assert "Rotación 2028" in page and page.count('class="month-card') == 12
    program = db.session.get(Program, world["program_id"])
    assert program.ends_on == date(2028, 12, 31)
    assert all(rotation.host_of(s) for s in program.slots if s.year == 2028)


def test_extending_with_htmx_redirects_the_browser(app, world, db):
    client = signed_in(app, "coordinador@example.com")
    token = csrf_token(client)
    response = client.post(
        f"/rotation/programs/{world['program_id']}/extend",
        data={"year": "2028"},
        headers={"HX-Request": "true", "X-CSRFToken": token},
    )
    assert response.status_code == 200
    assert response.headers["HX-Redirect"].endswith(
        f"/rotation/programs/{world['program_id']}/years/2028"
    )


def test_extending_without_a_csrf_token_is_refused(app, world, db):
    client = signed_in(app, "coordinador@example.com")
    before = counts(db)
    response = client.post(
        f"/rotation/programs/{world['program_id']}/extend", data={"year": "2028"}
    )
    assert response.status_code == 400
    assert "El formulario expiró" in response.get_data(as_text=True)
    assert counts(db) == before


@pytest.mark.parametrize(
    ("year", "status", "message"),
    [
        ("2027", 400, "«Vitrina 2027» ya cubre 2027."),
        ("2026", 400, "Un programa no se acorta"),
        ("2099", 400, "Se planifica a lo más hasta 2031."),
        ("dos mil", 400, "Indique hasta qué año se extiende el programa."),
        ("", 400, "Indique hasta qué año se extiende el programa."),
        ("99999999999999999999", 400, "Se planifica a lo más hasta 2031."),
    ],
)
def test_a_bad_year_is_refused_in_place(app, world, db, year, status, message):
    client = signed_in(app, "coordinador@example.com")
    url = f"/rotation/programs/{world['program_id']}/extend"
    token = csrf_token(client)
    before = counts(db)
    page = client.post(url, data={"year": year, "csrf_token": token})
    assert page.status_code == status
    html = page.get_data(as_text=True)
    assert message in html and "Rotación 2027" in html  # the year page, with the reason
    fragment = client.post(
        url, data={"year": year}, headers={"HX-Request": "true", "X-CSRFToken": token}
    )
    assert fragment.status_code == status
    html = fragment.get_data(as_text=True)
    assert message in html and 'id="program-extend"' in html and "<html" not in html
    assert counts(db) == before


def test_extending_into_another_programs_years_is_a_conflict(app, world, db):
    programs.start_program(
        world["venue"],
        name="Vitrina 2029",
        starts_on=date(2029, 1, 1),
        ends_on=date(2029, 12, 31),
        by=None,
    )
    db.session.commit()
    client = signed_in(app, "coordinador@example.com")
    before = counts(db)
    response = client.post(
        f"/rotation/programs/{world['program_id']}/extend",
        data={"year": "2029", "csrf_token": csrf_token(client)},
    )
    assert response.status_code == 409
    assert "ya son de «Vitrina 2029» (2029)" in response.get_data(as_text=True)
    assert counts(db) == before


def test_new_program_form_proposes_the_next_year_and_copies_the_latest(app, world):
    html = (
        signed_in(app, "coordinador@example.com")
        .get("/rotation/programs/new")
        .get_data(as_text=True)
    )
    assert re.search(r'<input [^>]*name="first_year" [^>]*value="2028"', html)
    assert f'<option selected value="{world["program_id"]}">Vitrina 2027 (2027)<' in html
    assert 'name="venue"' not in html  # a single mall: nothing to choose


def test_starting_a_new_program_lands_on_its_first_year_with_the_balance(app, world, db):
    client = signed_in(app, "coordinador@example.com")
    response = client.post(
        "/rotation/programs/new",
        data={
            "name": "Vitrina 2028–2029",
            "first_year": "2028",
            "last_year": "2029",
            "copy_from": str(world["program_id"]),
            "mode": "shared",
            "csrf_token": csrf_token(client, "/rotation/programs/new"),
        },
    )
    assert response.status_code == 303
    program = db.session.execute(
        select(Program).where(Program.name == "Vitrina 2028–2029")
    ).scalar_one()
    assert response.headers["Location"].endswith(f"/rotation/programs/{program.id}/years/2028")
    assert program.mode is AllocationMode.SHARED and len(program.slots) == 24
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Programa «Vitrina 2028–2029» creado: 24 semanas, ya planificadas." in page
    assert "El saldo anterior incluye el de «Vitrina 2027»" in page
    assert "cada una de esas semanas cuenta por los stands que tuvo su comuna" in page
    assert "Viene de «Vitrina 2027»." in page  # the first year's whole balance
    assert f"/rotation/programs/{world['program_id']}/years/2027" in page  # ← Vitrina 2027


@pytest.mark.parametrize(
    ("fields", "status", "message"),
    [
        ({"name": ""}, 400, "Vitrina"),  # WTForms' own message, in the form
        ({"name": "   "}, 400, "Indique el nombre del programa."),
        ({"last_year": "2027"}, 400, "El programa debe terminar después de empezar."),
        ({"first_year": "2025", "last_year": "2025"}, 400, "Un programa nuevo empieza desde 2026."),
        ({"last_year": "2040"}, 400, "Se planifica a lo más hasta 2031."),
        ({"first_year": "abc"}, 400, "Nuevo programa"),
        ({"copy_from": "999999"}, 400, "Nuevo programa"),
        ({"mode": "both"}, 400, "Nuevo programa"),
        ({"first_year": "2027", "last_year": "2027"}, 409, "ya son de «Vitrina 2027» (2027)"),
    ],
)
def test_a_bad_new_program_is_refused_in_place(app, world, db, fields, status, message):
    client = signed_in(app, "coordinador@example.com")
    data = {
        "name": "Vitrina 2028",
        "first_year": "2028",
        "last_year": "2028",
        "copy_from": str(world["program_id"]),
        "mode": "",
        "csrf_token": csrf_token(client, "/rotation/programs/new"),
    }
    data.update(fields)
    before = counts(db)
    response = client.post("/rotation/programs/new", data=data)
    assert response.status_code == status
    html = response.get_data(as_text=True)
    assert message in html and 'action="/rotation/programs/new"' in html
    assert counts(db) == before
