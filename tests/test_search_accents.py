"""Search ignores case and accents alike on SQLite and PostgreSQL: "penuelas" finds "Peñuelas",
and "Óscar", "Álvarez", "Ñandú" typed as shown find themselves."""

import pytest

from app.domain import nominations, registry
from app.domain.rut import check_digit, format_rut
from app.models import Entrepreneur
from tests.conftest import login
from tests.factories import make_nominations_world, register


@pytest.fixture
def w(app, db):
    return make_nominations_world(app)


def rut(n: int) -> str:
    body = 16_000_000 + n
    return format_rut(f"{body}-{check_digit(body)}")


def names(page) -> set[str]:
    return {e.business_name for e in page.items}


@pytest.fixture
def people(w, db):
    made = [
        register(
            w["melipilla"],
            w["crafts"],
            rut(1),
            business_name="Tejidos Ñandú",
            owner_name="Óscar Álvarez Peñuelas",
        ),
        register(
            w["melipilla"],
            w["crafts"],
            rut(2),
            business_name="Greda Pomaire",
            owner_name="Ana Soto",
            email="ana@example.com",
        ),
        register(
            w["melipilla"],
            w["crafts"],
            rut(3),
            business_name="Miel DOÑA INÉS",
            owner_name="Inés Muñoz",
        ),
    ]
    db.session.commit()
    return made


@pytest.mark.db
@pytest.mark.parametrize(
    ("typed", "found"),
    [
        ("Óscar", {"Tejidos Ñandú"}),
        ("oscar", {"Tejidos Ñandú"}),
        ("ÓSCAR", {"Tejidos Ñandú"}),
        ("Álvarez", {"Tejidos Ñandú"}),
        ("Ñandú", {"Tejidos Ñandú"}),
        ("nandu", {"Tejidos Ñandú"}),
        ("penuelas", {"Tejidos Ñandú"}),
        ("PEÑUELAS", {"Tejidos Ñandú"}),
        ("ñandu tejidos", {"Tejidos Ñandú"}),
        ("doña inés", {"Miel DOÑA INÉS"}),
        ("ines", {"Miel DOÑA INÉS"}),
        ("muñoz", {"Miel DOÑA INÉS"}),
        ("ANA@EXAMPLE", {"Greda Pomaire"}),
        ("50%", set()),
    ],
)
def test_registry_search_ignores_case_and_accents(w, people, backend, typed, found):
    officer = w["users"]["officer"]
    assert names(registry.search(officer, registry.Filters(q=typed))) == found


@pytest.mark.db
def test_an_edit_keeps_the_search_text_current(db, w, people, backend):
    officer = w["users"]["officer"]
    e = people[1]
    data = {f: getattr(e, f) for f in registry.FIELDS if f != "category"}
    registry.update_entrepreneur(
        e, {**data, "category": e.category, "business_name": "Cerámica Ñuñoa"}, by=officer
    )
    db.session.commit()
    assert names(registry.search(officer, registry.Filters(q="ceramica nunoa"))) == {
        "Cerámica Ñuñoa"
    }
    assert names(registry.search(officer, registry.Filters(q="greda"))) == set()


def test_the_registry_page_finds_accented_names_typed_without_accents(client, w, people):
    login(client, "melipilla@example.com")
    page = client.get("/registry/?q=penuelas").get_data(as_text=True)
    assert "Tejidos Ñandú" in page and "Greda Pomaire" not in page


@pytest.mark.db
def test_the_candidate_list_is_searchable_past_its_first_30(client, db, w, backend):
    for n in range(40):
        register(w["melipilla"], w["crafts"], rut(100 + n), business_name=f"Negocio {n:02d}")
    register(w["melipilla"], w["crafts"], rut(200), business_name="Zapatería Peñuelas")
    db.session.commit()
    shown, total = nominations.candidate_page(w["slot"], w["melipilla"])
    assert len(shown) == 30 and total == 41
    assert "Zapatería Peñuelas" not in {c.entrepreneur.business_name for c in shown}
    found, total = nominations.candidate_page(w["slot"], w["melipilla"], q="PENUELAS")
    assert [c.entrepreneur.business_name for c in found] == ["Zapatería Peñuelas"] and total == 1

    login(client, "melipilla@example.com")
    base = f"/nominations/{w['slot'].id}/{w['melipilla'].id}"
    page = client.get(base).get_data(as_text=True)
    assert "Se muestran 30 de 41" in page and "ver 30 más" in page
    more = client.get(f"{base}/candidates?shown=60").get_data(as_text=True)
    assert "Zapatería Peñuelas" in more and "Se muestran" not in more
    typed = client.get(f"{base}/candidates?q=zapateria").get_data(as_text=True)
    assert "Zapatería Peñuelas" in typed and "Negocio 00" not in typed


def test_search_text_is_filled_for_every_kind_of_insert(db, w, people):
    assert {e.search_text for e in people} >= {"tejidos nandu oscar alvarez penuelas"}
    assert all(isinstance(e, Entrepreneur) and e.search_text for e in people)


def test_an_import_that_renames_keeps_the_search_text_current(db, w, people):
    from app.domain import csv_import
    from app.models import ImportState

    officer = w["users"]["officer"]
    text = f"RUT;Nombre de fantasía;Titular;Rubro\n{rut(2)};Alfarería Quillén;;\n"
    batch = csv_import.start_import(
        text.encode(), filename="x.csv", commune=w["melipilla"], by=officer
    )
    while batch.state is ImportState.CHECKING:
        csv_import.check_next_chunk(batch)
    csv_import.commit_import(batch, by=officer)
    db.session.commit()
    assert names(registry.search(officer, registry.Filters(q="alfareria quillen ana"))) == {
        "Alfarería Quillén"
    }


@pytest.mark.db
def test_a_bulk_insert_fills_each_rows_search_text(db, w, backend):
    """The demo generator and the import insert many rows at once, past the ORM's hooks."""
    from sqlalchemy import insert, select

    rows = [
        {
            "commune_id": w["melipilla"].id,
            "business_name": name,
            "owner_name": owner,
            "rut": rut(300 + i),
            "category_id": w["crafts"].id,
        }
        for i, (name, owner) in enumerate([("Ñandú", "Óscar"), ("Peñuelas", "Álvarez")])
    ]
    db.session.execute(insert(Entrepreneur), rows)
    stored = db.session.execute(
        select(Entrepreneur.search_text).order_by(Entrepreneur.rut)
    ).scalars()
    assert list(stored) == ["nandu oscar", "penuelas alvarez"]
