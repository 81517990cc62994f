"""No input gives a 500: huge or odd numbers, impossible dates, over-long texts, broken files."""

from __future__ import annotations

import io

import pytest
from werkzeug.routing import AnyConverter, IntegerConverter

from app.domain import rotation
from app.extensions import db as _db
from app.models import Commune, Slot
from tests.conftest import csrf_token, login
from tests.factories import make_program, make_registry_access_values, make_world

HUGE = "99999999999999999999"  # above 2**64: SQLite cannot bind it, PostgreSQL refuses it
BEYOND_INTEGER = str(2**31)  # fits 64 bits, not PostgreSQL's INTEGER (every id column)
ODD_NUMBERS = [HUGE, BEYOND_INTEGER, "²", "-1", "1e3", "0x10"]


@pytest.fixture
def world(db):
    world = make_world()
    program = make_program(world["venue"], year=2027)
    rotation.plan_year(program, 2027, by=None, apply=True)
    values = make_registry_access_values(world)
    db.session.commit()
    return {**world, **values, "program": program, "slot": program.slots[5]}


def _signed_in(app, email: str):
    client = app.test_client()
    assert login(client, email).status_code == 302
    return client


def _url_with(rule, ints: dict[str, str]) -> str:
    """The rule's path with these values for its int parts, and a plausible word elsewhere."""
    parts = []
    for is_dynamic, piece in rule._trace:
        if not is_dynamic:
            parts.append(piece)
            continue
        converter = rule._converters[piece]
        if isinstance(converter, IntegerConverter):
            parts.append(ints[piece])
        elif isinstance(converter, AnyConverter):
            parts.append(sorted(converter.items)[0])
        else:
            parts.append("x")
    return "".join(parts).split("|", 1)[1]


def _int_arguments(rule) -> list[str]:
    return [n for n, c in rule._converters.items() if isinstance(c, IntegerConverter)]


@pytest.mark.db
def test_every_route_answers_a_huge_id_in_its_url_with_not_found(app, world, backend):
    client = _signed_in(app, "coordinador@example.com")
    token = csrf_token(client)
    walked = 0
    for rule in app.url_map.iter_rules():
        names = _int_arguments(rule)
        if not names:
            continue
        urls = [_url_with(rule, dict.fromkeys(names, big)) for big in (HUGE, BEYOND_INTEGER)]
        for name in names:  # each one huge, the others real-looking
            urls.append(_url_with(rule, {n: HUGE if n == name else "1" for n in names}))
        for url in urls:
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                data = {"csrf_token": token} if method == "POST" else None
                response = client.open(url, method=method, data=data)
                assert response.status_code < 500, (method, url, response.status_code)
                # No route matches a number no row can have: not found, before any access check
                # (405 where another method's rule has the same shape: Werkzeug's answer).
                assert response.status_code in (404, 405), (method, url, response.status_code)
                walked += 1
    assert walked > 50


@pytest.mark.db
@pytest.mark.parametrize("value", ODD_NUMBERS)
def test_odd_numbers_in_forms_are_refused_plainly(app, world, backend, value):
    coordinator = _signed_in(app, "coordinador@example.com")
    officer = _signed_in(app, "melipilla@example.com")
    slot, program = world["slot"], world["program"]
    own_nomination = world["reg_own_nomination_id"]
    cases = [
        (coordinator, f"/rotation/slots/{slot.id}/host", {"commune_id": value, "reason": "x"}),
        (
            coordinator,
            f"/rotation/slots/{slot.id}/quotas",
            {f"quota-{world['reg_own_commune_id']}": value, "reason": "x"},
        ),  # noqa: E501
        (officer, f"/rotation/slots/{slot.id}/swaps", {"other_slot_id": value}),
        (coordinator, f"/nominations/{own_nomination}/stand", {"stand_id": value}),
        (coordinator, f"/nominations/{own_nomination}/approve", {"stand_id": value}),
        (coordinator, f"/review/slots/{world['reg_slot_id']}/bulk-approve", {"ids": value}),
        (
            officer,
            f"/nominations/{world['reg_slot_id']}/{world['reg_own_commune_id']}/nominate",
            {"entrepreneur_id": value},
        ),
        (
            coordinator,
            f"/rotation/programs/{program.id}/unavailability",
            {"commune_id": value, "year": "2027", "month": "3"},
        ),
        (coordinator, f"/rotation/programs/{program.id}/blackouts", {"year": value, "month": "3"}),
        (
            coordinator,
            f"/rotation/programs/{program.id}/blackouts",
            {"year": "2027", "month": value},
        ),  # noqa: E501
    ]
    for client, url, data in cases:
        response = client.post(url, data={**data, "csrf_token": csrf_token(client)})
        assert response.status_code in (400, 404, 409), (url, value, response.status_code)
    gets = [
        (coordinator, f"/audit/?slot={value}&commune={value}&entrepreneur={value}&page={value}"),
        (coordinator, f"/registry/?commune={value}&category={value}&page={value}"),
        (coordinator, f"/registry/export.csv?commune={value}"),
        (coordinator, f"/stands/?slot={value}"),
        (officer, f"/nominations/{world['reg_slot_id']}/{world['reg_own_commune_id']}?q={value}"),
    ]
    for client, url in gets:
        response = client.get(url)
        assert response.status_code in (200, 400, 404), (url, value, response.status_code)


@pytest.mark.db
def test_bulk_approval_with_a_superscript_id_is_a_400_with_a_message(app, world, backend):
    client = _signed_in(app, "coordinador@example.com")
    response = client.post(
        f"/review/slots/{world['reg_slot_id']}/bulk-approve",
        data={"ids": ["²", str(world["reg_own_nomination_id"])], "csrf_token": csrf_token(client)},
    )
    assert response.status_code == 400
    assert "La solicitud no es válida" in response.get_data(as_text=True)


@pytest.mark.db
@pytest.mark.parametrize("weight", ["NaN", "nan", "sNaN", "inf", "-Infinity", "1e999999999"])
def test_weights_that_are_not_finite_numbers_are_refused(app, world, backend, weight):
    client = _signed_in(app, "coordinador@example.com")
    meli = world["communes"][0]
    response = client.post(
        f"/rotation/programs/{world['program'].id}/settings/weights",
        data={f"weight-{meli.id}": weight, "csrf_token": csrf_token(client)},
    )
    assert response.status_code == 400, weight
    body = response.get_data(as_text=True)
    assert "no es un número" in body or "entre 0,1 y 1000" in body
    assert _db.session.get(Commune, meli.id).weight == 1


@pytest.mark.db
@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "2027-02-30", "mañana"])
def test_a_week_moved_to_an_impossible_date_is_a_400(app, world, backend, day):
    client = _signed_in(app, "coordinador@example.com")
    slot = world["slot"]
    before = slot.starts_on
    response = client.post(
        f"/rotation/slots/{slot.id}/move",
        data={"starts_on": day, "reason": "Evento", "csrf_token": csrf_token(client)},
    )
    assert response.status_code == 400
    assert "no es válida" in response.get_data(as_text=True)
    assert _db.session.get(Slot, slot.id).starts_on == before


@pytest.mark.db
def test_reasons_longer_than_their_column_are_refused_with_the_limit(app, world, backend):
    client = _signed_in(app, "coordinador@example.com")
    program, meli = world["program"], world["communes"][0]
    long_reason = "motivo " * 40  # 280 characters; the columns hold 200
    cases = [
        (f"/rotation/programs/{program.id}/blackouts", {"year": "2027", "month": "10"}),
        (
            f"/rotation/programs/{program.id}/unavailability",
            {"commune_id": str(meli.id), "year": "2027", "month": "10"},
        ),
    ]
    for url, data in cases:
        response = client.post(
            url, data={**data, "reason": long_reason, "csrf_token": csrf_token(client)}
        )
        assert response.status_code == 400, url
        assert "admite como máximo 200 caracteres" in response.get_data(as_text=True), url
    # At the limit it is accepted.
    response = client.post(
        cases[0][0], data={**cases[0][1], "reason": "x" * 200, "csrf_token": csrf_token(client)}
    )
    assert response.status_code == 302


@pytest.mark.db
def test_a_nul_byte_deep_in_a_csv_file_is_refused(app, world, backend):
    client = _signed_in(app, "melipilla@example.com")
    header = "RUT;Nombre del negocio;Titular;Categoría\n"
    filler = "".join(f"7.654.321-6;Negocio {i};Ana;Artesania\n" for i in range(200))
    content = (header + filler).encode() + b"\x00" + b"9.876.543-3;Otro;Beto;Artesania\n"
    assert content.index(b"\x00") > 4096
    response = client.post(
        "/registry/import",
        data={"file": (io.BytesIO(content), "lista.csv"), "csrf_token": csrf_token(client)},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "El archivo no es un CSV" in response.get_data(as_text=True)


@pytest.mark.db
def test_a_nul_character_in_an_uploaded_files_name_is_refused(app, world, backend):
    client = _signed_in(app, "melipilla@example.com")
    content = b"RUT;Nombre del negocio;Titular;Categoria\n7.654.321-6;Nuevo;Ana;Artesania\n"
    response = client.post(
        "/registry/import",
        data={"file": (io.BytesIO(content), "lista\x00.csv"), "csrf_token": csrf_token(client)},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "caracteres no válidos" in response.get_data(as_text=True)
