"""Each commune keeps its registry: validation, scoping by commune, search-as-you-type."""

import re
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import event, func, select

from app.domain import registry
from app.domain.errors import Invalid
from app.extensions import db as _db
from app.models import AuditEvent, Entrepreneur, Nomination, NominationState, SlotState
from tests.conftest import csrf_token, login
from tests.factories import make_nominations_world, register


@pytest.fixture
def w(app, db):
    return make_nominations_world(app)


def form_data(client, w, **overrides):
    data = {
        "csrf_token": csrf_token(client, "/registry/new"),
        "business_name": "Cerámica Los Boldos",
        "owner_name": "Rosa Muñoz Díaz",
        "rut": "12.345.678-5",
        "email": " Rosa.Munoz@Example.com ",
        "phone": "9 8765 4321",
        "category": str(w["crafts"].id),
        "description": "Greda de Pomaire",
        "website": "www.losboldos.cl",
        "needs_power": "y",
        "active": "y",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def count(db):
    return db.session.execute(select(func.count()).select_from(Entrepreneur)).scalar_one()


@pytest.mark.db
def test_officer_registers_an_entrepreneur_stored_normalised(client, db, w, backend):
    login(client, "melipilla@example.com")
    response = client.post("/registry/new", data=form_data(client, w))
    assert response.status_code == 302
    e = db.session.execute(select(Entrepreneur)).scalar_one()
    assert (e.rut, e.phone, e.email) == ("12345678-5", "+56987654321", "rosa.munoz@example.com")
    assert e.website == "https://www.losboldos.cl" and e.commune_id == w["melipilla"].id
    assert e.needs_power and not e.needs_table and e.active
    assert e.public_consent is False  # off unless ticked
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "12.345.678-5" in page and "+56 9 8765 4321" in page
    audit = db.session.execute(select(AuditEvent)).scalars().all()
    assert [a.action for a in audit if a.entrepreneur_id == e.id] == ["entrepreneur.create"]


@pytest.mark.db
def test_bad_check_digit_is_refused_in_spanish(client, db, w, backend):
    login(client, "melipilla@example.com")
    response = client.post("/registry/new", data=form_data(client, w, rut="12.345.678-9"))
    assert response.status_code == 400
    assert (
        "El RUT 12.345.678-9 no es válido: el dígito verificador debería ser 5."
        in response.get_data(as_text=True)
    )
    assert count(db) == 0


@pytest.mark.db
def test_rut_registered_in_another_commune_is_reported_not_duplicated(client, db, w, backend):
    register(w["alhue"], w["crafts"], "12345678-5", business_name="Oro de Alhué")
    db.session.commit()
    login(client, "melipilla@example.com")
    response = client.post("/registry/new", data=form_data(client, w, rut="12345678-5"))
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "El RUT 12.345.678-5 ya está registrado en la comuna de Alhué" in html
    assert "Oro de Alhué" not in html  # the other commune's data stays theirs
    assert count(db) == 1


def test_the_form_starts_with_public_consent_off(client, db, w):
    login(client, "melipilla@example.com")
    html = client.get("/registry/new").get_data(as_text=True)
    consent = re.search(r'<input[^>]*name="public_consent"[^>]*>', html).group(0)
    assert "checked" not in consent


@pytest.mark.parametrize(
    "raw, stored",
    [
        ("+56 9 1234 5678", "+56912345678"),
        ("912345678", "+56912345678"),
        ("09-1234-5678", "+56912345678"),
        ("56 9 1234 5678", "+56912345678"),
        ("0056912345678", "+56912345678"),
        ("(2) 2831 0000", "+56228310000"),
        ("+56 72 221 3456", "+56722213456"),
    ],
)
def test_chilean_phone_formats_are_normalised(app, raw, stored):
    with app.test_request_context():
        assert registry.normalize_phone(raw) == stored


@pytest.mark.parametrize("raw", ["1234 5678", "+56 9 1234 567", "+54 9 11 1234 5678", "fono"])
def test_phones_that_are_not_chilean_are_refused(app, raw):
    with app.test_request_context(), pytest.raises(Invalid, match="no es un número chileno|no son"):
        registry.normalize_phone(raw)


@pytest.mark.db
def test_food_category_requires_resolution_and_expiry(client, db, w, backend):
    login(client, "melipilla@example.com")
    data = form_data(client, w, category=str(w["food"].id))
    html = client.post("/registry/new", data=data).get_data(as_text=True)
    assert "La categoría «Miel» exige el número de resolución sanitaria." in html
    assert "exige la fecha de vencimiento de la resolución sanitaria" in html
    data.update(sanitary_resolution="Res. 4521/2025", sanitary_expiry="2027-06-30")
    assert client.post("/registry/new", data=data).status_code == 302
    e = db.session.execute(select(Entrepreneur)).scalar_one()
    assert e.sanitary_expiry == date(2027, 6, 30)


@pytest.mark.db
def test_officer_sees_and_edits_only_their_commune(client, db, w, backend):
    mine = register(w["melipilla"], w["crafts"], "12345678-5", business_name="Mío")
    theirs = register(w["alhue"], w["crafts"], "11111111-1", business_name="Ajeno")
    db.session.commit()
    login(client, "melipilla@example.com")
    listing = client.get("/registry/").get_data(as_text=True)
    assert "Mío" in listing and "Ajeno" not in listing
    assert client.get(f"/registry/{theirs.id}").status_code == 404
    assert client.get(f"/registry/{theirs.id}/edit").status_code == 404
    data = form_data(client, w, rut="11.111.111-1", business_name="Robado")
    assert client.post(f"/registry/{theirs.id}/edit", data=data).status_code == 404
    assert client.get(f"/registry/{mine.id}").status_code == 200
    csv_text = client.get("/registry/export.csv").get_data(as_text=True)
    assert "Mío" in csv_text and "Ajeno" not in csv_text


@pytest.mark.db
def test_viewer_reads_everything_but_changes_nothing(client, db, w, backend):
    e = register(w["alhue"], w["crafts"], "11111111-1", business_name="Ajeno")
    db.session.commit()
    login(client, "viewer@example.com")
    listing = client.get("/registry/").get_data(as_text=True)
    assert "Ajeno" in listing and "Registrar emprendedor" not in listing
    assert client.get(f"/registry/{e.id}").status_code == 200
    data = form_data(client, w, rut="11.111.111-1")
    assert client.post(f"/registry/{e.id}/edit", data=data).status_code == 403


@pytest.mark.db
def test_edit_is_audited_with_what_changed(client, db, w, backend):
    e = register(w["melipilla"], w["crafts"], "12345678-5", business_name="Antes")
    db.session.commit()
    login(client, "coordinador@example.com")
    data = form_data(client, w, business_name="Después")
    assert client.post(f"/registry/{e.id}/edit", data=data).status_code == 302
    event_ = db.session.execute(
        select(AuditEvent).where(AuditEvent.action == "entrepreneur.update")
    ).scalar_one()
    assert event_.before["business_name"] == "Antes" and event_.after["business_name"] == "Después"


def _seed(w, n):
    for i in range(n):
        body = 10_000_000 + i
        from app.domain.rut import check_digit

        commune = w["melipilla"] if i % 2 else w["alhue"]
        category = w["crafts"] if i % 3 else w["food"]
        register(
            commune,
            category,
            f"{body}-{check_digit(body)}",
            business_name=f"Negocio {i:03d}",
            needs_table=i % 4 == 0,
            sanitary_resolution="Res. 1/2026" if category is w["food"] else None,
            sanitary_expiry=date(2028, 1, 1) if category is w["food"] else None,
        )


def test_search_as_you_type_answers_with_the_results_fragment(client, db, w):
    _seed(w, 12)
    db.session.commit()
    login(client, "coordinador@example.com")
    response = client.get("/registry/?q=negocio 00", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert "<html" not in html and "10 emprendedores" in html
    full = client.get("/registry/?q=negocio 00").get_data(as_text=True)
    assert "<html" in full and 'value="negocio 00"' in full  # a pushed URL loads a full page
    by_rut = client.get("/registry/?q=10.000.003", headers={"HX-Request": "true"})
    assert "Negocio 003" in by_rut.get_data(as_text=True)


def test_filters_by_category_need_and_participation(app, client, db, w):
    app.config["FIXED_NOW"] = datetime(2027, 3, 1, 12, tzinfo=UTC)  # "this year" is 2027
    _seed(w, 12)
    attended = db.session.execute(
        select(Entrepreneur).where(Entrepreneur.business_name == "Negocio 001")
    ).scalar_one()
    past = w["program"].slots[0]
    past.state = SlotState.COMPLETED
    db.session.add(
        Nomination(
            slot=past,
            entrepreneur=attended,
            commune_id=attended.commune_id,
            state=NominationState.ATTENDED,
        )
    )
    db.session.commit()
    login(client, "coordinador@example.com")

    def names(query):
        html = client.get(f"/registry/?{query}", headers={"HX-Request": "true"})
        return re.findall(r"<strong>(Negocio \d+)</strong>", html.get_data(as_text=True))

    assert names(f"category={w['food'].id}") == [
        "Negocio 000",
        "Negocio 003",
        "Negocio 006",
        "Negocio 009",
    ]
    assert names("needs=table") == ["Negocio 000", "Negocio 004", "Negocio 008"]
    assert names("participated=yes") == ["Negocio 001"]
    assert "Negocio 001" not in names("participated=no")
    row = client.get("/registry/?q=Negocio 001", headers={"HX-Request": "true"})
    assert re.search(r'class="num">1</td>', row.get_data(as_text=True))


def test_the_list_page_runs_a_fixed_number_of_queries(client, db, w):
    login(client, "coordinador@example.com")
    counts = []
    for extra in (3, 30):
        _seed_more(w, extra, start=len(counts) * 100)
        db.session.commit()
        statements: list[str] = []
        engine = _db.engine

        def on_execute(conn, cursor, statement, *args, statements=statements):
            statements.append(statement)

        event.listen(engine, "before_cursor_execute", on_execute)
        try:
            assert client.get("/registry/").status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", on_execute)
        counts.append(len(statements))
    assert counts[0] == counts[1], counts
    assert counts[0] <= 12


def _seed_more(w, n, start):
    from app.domain.rut import check_digit

    for i in range(start, start + n):
        body = 20_000_000 + i
        register(w["melipilla"], w["crafts"], f"{body}-{check_digit(body)}")


def test_pagination_keeps_the_filters(client, db, w):
    _seed_more(w, 30, start=0)
    db.session.commit()
    login(client, "melipilla@example.com")
    html = client.get("/registry/?needs=&q=negocio").get_data(as_text=True)
    assert "página 1 de 2" in html
    assert 'href="/registry/?q=negocio&amp;page=2"' in html or "page=2" in html
    second = client.get("/registry/?q=negocio&page=2", headers={"HX-Request": "true"})
    assert "página 2 de 2" in second.get_data(as_text=True)


def test_admin_keeps_the_category_list(app, client, db, w):
    login(client, "admin@example.com")
    token = csrf_token(client, "/registry/categories")
    response = client.post(
        "/registry/categories",
        data={"csrf_token": token, "name": "Quesos", "requires_food_permit": "y", "active": "y"},
    )
    assert response.status_code == 302
    again = client.post("/registry/categories", data={"csrf_token": token, "name": "quesos"})
    assert again.status_code == 409 and "Ya existe la categoría «Quesos»" in again.get_data(
        as_text=True
    )
    officer = app.test_client()
    login(officer, "melipilla@example.com")
    assert officer.get("/registry/categories").status_code == 403


@pytest.mark.db
def test_a_save_over_someone_elses_newer_edit_is_refused_with_the_current_values(
    app, db, w, backend
):
    e = register(w["melipilla"], w["crafts"], "12345678-5", business_name="Cerámica Los Boldos")
    db.session.commit()
    ana, beto = app.test_client(), app.test_client()
    login(ana, "melipilla@example.com")
    login(beto, "admin@example.com")
    url = f"/registry/{e.id}/edit"
    opened = re.search(r'name="version"[^>]*value="(\d+)"', ana.get(url).get_data(as_text=True))
    version = opened.group(1)
    assert re.search(r'name="version"[^>]*value="(\d+)"', beto.get(url).get_data(as_text=True))

    first = beto.post(url, data=form_data(beto, w, phone="9 1111 2222", version=version))
    assert first.status_code == 302
    second = ana.post(url, data=form_data(ana, w, description="Otra cosa", version=version))
    assert second.status_code == 409
    page = second.get_data(as_text=True)
    assert "Otra persona guardó cambios" in page and "+56911112222" in page
    assert "Otra cosa" in page  # what Ana typed is still in the form
    db.session.expire_all()
    stored = db.session.get(Entrepreneur, e.id)
    assert stored.phone == "+56911112222" and stored.description == "Greda de Pomaire"

    # Saving again, having seen the current values, replaces them knowingly.
    newer = re.search(r'name="version"[^>]*value="(\d+)"', page).group(1)
    again = ana.post(url, data=form_data(ana, w, description="Otra cosa", version=newer))
    assert again.status_code == 302
    db.session.expire_all()
    assert db.session.get(Entrepreneur, e.id).description == "Otra cosa"
