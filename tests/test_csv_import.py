"""Importing the communes' own spreadsheets: messy files, exact messages, all or nothing."""

import time

import pytest
from sqlalchemy import func, select

from app.domain import csv_import
from app.domain.errors import Conflict, Invalid
from app.domain.rut import check_digit, format_rut
from app.models import Entrepreneur, ImportState
from tests.conftest import csrf_token, login
from tests.factories import make_nominations_world, register

HEADER = "Nombre del negocio;Titular;RUT;Correo;Fono;Rubro;Necesita electricidad;Notas"


@pytest.fixture
def w(app, db):
    return make_nominations_world(app)


def rut(n: int) -> str:
    body = 15_000_000 + n
    return format_rut(f"{body}-{check_digit(body)}")


def messy_file(bad_line: int = 37) -> bytes:
    """What Excel in Chile saves: BOM, semicolons, CRLF, blank lines, accents, a bad RUT."""
    lines = [HEADER]
    n = 0
    while len(lines) < 45:
        line_number = len(lines) + 1
        if line_number in (5, 20):
            lines.append(";;;;;;;")  # an emptied row Excel keeps
            continue
        if line_number == 12:
            lines.append("")
            continue
        value = rut(n) if line_number != bad_line else "12.345.678-9"
        lines.append(
            f"Artesanías Ñuñoa {n};José Peña Muñoz;{value};jose{n}@example.com;"
            f"+56 9 8765 43{n:02d};Artesania;sí;"
        )
        n += 1
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8")


def run(batch):
    while batch.state is ImportState.CHECKING:
        csv_import.check_next_chunk(batch, size=10)
    return csv_import.preview(batch)


def count(db):
    return db.session.execute(select(func.count()).select_from(Entrepreneur)).scalar_one()


@pytest.mark.db
def test_messy_excel_file_reports_the_bad_rut_on_line_37_and_writes_nothing(db, w, backend):
    officer = w["users"]["officer"]
    batch = csv_import.start_import(
        messy_file(), filename="registro.csv", commune=w["melipilla"], by=officer
    )
    assert (batch.encoding, batch.delimiter, batch.total_rows) == ("UTF-8", ";", 41)
    preview = run(batch)
    assert [(r.line, r.errors) for r in preview["error_rows"]] == [
        (37, ["El RUT 12.345.678-9 no es válido: el dígito verificador debería ser 5."])
    ]
    assert preview["new_count"] == 40
    with pytest.raises(Conflict, match="No se importó nada: 1 filas tienen errores"):
        csv_import.commit_import(batch, by=officer)
    db.session.commit()
    assert count(db) == 0


@pytest.mark.db
def test_clean_file_commits_every_row_normalised(db, w, backend):
    officer = w["users"]["officer"]
    content = messy_file(bad_line=0)
    batch = csv_import.start_import(content, filename="ok.csv", commune=w["melipilla"], by=officer)
    run(batch)
    summary = csv_import.commit_import(batch, by=officer)
    db.session.commit()
    assert (summary.created, summary.updated) == (41, 0)
    first = db.session.execute(
        select(Entrepreneur).where(Entrepreneur.business_name == "Artesanías Ñuñoa 0")
    ).scalar_one()
    assert format_rut(first.rut) == rut(0) and first.phone == "+56987654300"
    assert first.owner_name == "José Peña Muñoz" and first.needs_power
    assert first.commune_id == w["melipilla"].id and first.category_id == w["crafts"].id
    assert first.public_consent is False and first.active is True


@pytest.mark.db
def test_latin1_file_with_commas_keeps_its_accents(db, w, backend):
    text = (
        "RUT,Nombre emprendimiento,Nombre del dueño,Categoría,Vencimiento,Resolución sanitaria\n"
        f"{rut(1)},Miel Doña Inés,Inés Ñanco,Miel,31-12-2027,Res. 45/2026\n"
    )
    batch = csv_import.start_import(
        text.encode("latin-1"), filename="x.csv", commune=w["melipilla"], by=w["users"]["officer"]
    )
    assert (batch.encoding, batch.delimiter) == ("Latin-1", ",")
    assert run(batch)["error_rows"] == []
    csv_import.commit_import(batch, by=w["users"]["officer"])
    e = db.session.execute(select(Entrepreneur)).scalar_one()
    assert (e.business_name, e.owner_name) == ("Miel Doña Inés", "Inés Ñanco")
    assert e.sanitary_expiry.isoformat() == "2027-12-31"


def test_each_rows_errors_are_listed_in_plain_spanish(db, w):
    register(w["alhue"], w["crafts"], rut(9), business_name="De Alhué")
    text = "\n".join(
        [
            "RUT;Nombre del negocio;Titular;Categoría;Correo;Teléfono;Acepta publicación",
            f"{rut(1)};Uno;Ana;Artesanía;ana@;12;quizás",
            f"{rut(1)};Dos;Ana;Comida;;;",
            f"{rut(9)};Tres;;Artesanía;;;",
        ]
    )
    batch = csv_import.start_import(
        text.encode(), filename="x.csv", commune=w["melipilla"], by=w["users"]["officer"]
    )
    rows = {r.line: r.errors for r in run(batch)["error_rows"]}
    assert rows[2] == [
        "En la columna «Acepta publicación» escriba sí o no (dice «quizás»).",
        "El correo «ana@» no es válido.",
        "El teléfono «12» no es un número chileno válido: escriba 9 dígitos, como "
        "+56 9 1234 5678 o +56 2 2345 6789.",
    ]
    assert rows[3] == [
        "La categoría «Comida» no existe. Use una de estas: Artesania, Miel.",
        f"El RUT {rut(1)} está repetido: ya aparece en la línea 2.",
    ]
    assert rows[4][0] == "Falta el nombre de la persona titular."
    assert rows[4][1].startswith(f"El RUT {rut(9)} ya está registrado en la comuna de Alhué")


def test_missing_required_columns_are_named(db, w):
    with pytest.raises(Invalid, match="Faltan columnas obligatorias: «RUT»"):
        csv_import.start_import(
            b"Nombre;Negocio;Rubro\nAna;Uno;Artesania\n",
            filename="x.csv",
            commune=w["melipilla"],
            by=w["users"]["officer"],
        )


def test_export_then_import_updates_instead_of_duplicating(client, db, w):
    register(w["melipilla"], w["crafts"], rut(0), business_name="Uno", phone="912345678")
    db.session.commit()
    login(client, "melipilla@example.com")
    exported = client.get("/registry/export.csv").data
    assert exported.startswith("\ufeff".encode()) and rut(0).encode() in exported
    changed = exported.replace(b"Uno", b"Uno Renovado")
    batch = csv_import.start_import(
        changed, filename="e.csv", commune=w["melipilla"], by=w["users"]["officer"]
    )
    preview = run(batch)
    assert (preview["new_count"], preview["update_count"], preview["error_rows"]) == (0, 1, [])
    assert csv_import.commit_import(batch, by=w["users"]["officer"]).updated == 1
    e = db.session.execute(select(Entrepreneur)).scalar_one()
    assert e.business_name == "Uno Renovado" and e.phone == "+56912345678"


def test_the_registry_changing_after_the_preview_stops_the_commit(db, w):
    text = f"RUT;Nombre del negocio;Titular;Categoría\n{rut(3)};Uno;Ana;Artesania\n"
    batch = csv_import.start_import(
        text.encode(), filename="x.csv", commune=w["melipilla"], by=w["users"]["officer"]
    )
    run(batch)
    register(w["alhue"], w["crafts"], rut(3))
    with pytest.raises(Conflict, match="el registro cambió desde la revisión en línea 2"):
        csv_import.commit_import(batch, by=w["users"]["officer"])


@pytest.mark.db
def test_thousands_of_rows_are_checked_in_chunks_and_committed_whole(db, w, backend):
    rows = [HEADER] + [
        f"Negocio {i};Persona {i};{rut(i)};p{i}@example.com;9 1{i:07d} ;Artesania;no;"
        for i in range(5000)
    ]
    officer = w["users"]["officer"]
    started = time.perf_counter()
    batch = csv_import.start_import(
        "\n".join(rows).encode(), filename="big.csv", commune=w["melipilla"], by=officer
    )
    db.session.commit()
    chunks = []
    while batch.state is ImportState.CHECKING:
        t = time.perf_counter()
        csv_import.check_next_chunk(batch)
        db.session.commit()
        chunks.append(time.perf_counter() - t)
    assert len(chunks) == 10 and max(chunks) < 5
    summary = csv_import.commit_import(batch, by=officer)
    db.session.commit()
    assert summary.created == 5000 and count(db) == 5000
    print(f"5000 rows: {time.perf_counter() - started:.1f}s, slowest chunk {max(chunks):.2f}s")


def test_the_pages_upload_poll_progress_and_commit(client, db, w):
    login(client, "melipilla@example.com")
    token = csrf_token(client, "/registry/import")
    text = f"RUT;Nombre del negocio;Titular;Categoría\n{rut(1)};Uno;Ana;Artesania\n"
    from io import BytesIO

    response = client.post(
        "/registry/import",
        data={"csrf_token": token, "file": (BytesIO(text.encode()), "registro.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    preview_url = response.headers["Location"]
    page = client.get(preview_url).get_data(as_text=True)
    assert "Revisando filas: 0 de 1" in page and 'hx-trigger="load"' in page
    status = client.post(
        f"{preview_url}/check", data={"csrf_token": token}, headers={"HX-Request": "true"}
    ).get_data(as_text=True)
    assert "1 nuevo" in status and "Importar 1 fila" in status
    assert count(db) == 0
    done = client.post(f"{preview_url}/commit", data={"csrf_token": token})
    assert done.status_code == 302 and count(db) == 1
    again = client.post(f"{preview_url}/commit", data={"csrf_token": token})
    assert again.status_code == 409 and "Este archivo ya se importó." in again.get_data(
        as_text=True
    )


def test_a_file_that_is_not_csv_is_refused_clearly(client, db, w):
    login(client, "melipilla@example.com")
    token = csrf_token(client, "/registry/import")
    from io import BytesIO

    response = client.post(
        "/registry/import",
        data={"csrf_token": token, "file": (BytesIO(b"PK\x03\x04\x00\x00xlsx"), "r.xlsx")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "El archivo no es un CSV." in response.get_data(as_text=True)


def test_exports_neutralise_formulas_in_every_column_and_reimport_without_the_quote(client, db, w):
    import csv
    import io

    from app.models import Category

    category = Category(slug="formula", name="@SUMA(1;2)", requires_food_permit=False)
    db.session.add(category)
    db.session.flush()
    register(
        w["melipilla"],
        category,
        rut(0),
        business_name='=HIPERVINCULO("http://x.example";"clic")',
        owner_name="-Ana",
        phone="912345678",
    )
    db.session.commit()
    login(client, "melipilla@example.com")
    exported = client.get("/registry/export.csv").data.decode("utf-8-sig")
    cells = [c for row in csv.reader(io.StringIO(exported), delimiter=";") for c in row]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert '\'=HIPERVINCULO("http://x.example";"clic")' in cells
    assert "'@SUMA(1;2)" in cells and "'-Ana" in cells
    assert any(c.startswith("'+56") for c in cells)  # the phone, too

    batch = csv_import.start_import(
        exported.encode("utf-8"), filename="e.csv", commune=w["melipilla"], by=w["users"]["officer"]
    )
    assert run(batch)["error_rows"] == []
    csv_import.commit_import(batch, by=w["users"]["officer"])
    db.session.commit()
    e = db.session.execute(select(Entrepreneur)).scalar_one()
    assert e.business_name == '=HIPERVINCULO("http://x.example";"clic")'
    assert e.owner_name == "-Ana" and e.phone == "+56912345678"


@pytest.mark.db
def test_two_commits_of_one_import_at_once_give_one_import_and_one_409(app, client, db, w):
    import threading
    from io import BytesIO

    login(client, "melipilla@example.com")
    token = csrf_token(client, "/registry/import")
    rows = "".join(f"{rut(n)};Negocio {n};Ana;Artesania\n" for n in range(30))
    response = client.post(
        "/registry/import",
        data={
            "csrf_token": token,
            "file": (
                BytesIO(f"RUT;Nombre del negocio;Titular;Categoría\n{rows}".encode()),
                "r.csv",
            ),
        },
        content_type="multipart/form-data",
    )
    preview_url = response.headers["Location"]
    client.post(f"{preview_url}/check", data={"csrf_token": token}, headers={"HX-Request": "true"})
    statuses: list[int] = []
    barrier = threading.Barrier(2)

    def commit() -> None:
        barrier.wait()
        done = client.post(f"{preview_url}/commit", data={"csrf_token": token})
        statuses.append(done.status_code)

    threads = [threading.Thread(target=commit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [302, 409]
    assert count(db) == 30


MUNICIPAL = (
    "N°;Nombres;Apellido Paterno;Apellido Materno;RUT;Nombre de fantasía;Rubro;Dirección;"
    "Sector;Comuna;Teléfono\n"
    "1;María José;González;Ñanco;{r1};Tejidos Ñandú;Artesanía;Los Aromos 12;Pomaire;"
    "Melipilla;9 8765 4321\n"
    "2;Óscar;Álvarez;;{r2};Miel del Valle;Artesania;Camino Viejo s/n;Huechún;Melipilla;\n"
)


@pytest.mark.db
def test_a_municipal_spreadsheet_with_split_names_imports(client, db, w, backend):
    """Given names and one or two surnames are joined; address, sector, commune are ignored
    and the preview says so."""
    content = MUNICIPAL.format(r1=rut(21), r2=rut(22)).encode("utf-8")
    officer = w["users"]["officer"]
    batch = csv_import.start_import(content, filename="m.csv", commune=w["melipilla"], by=officer)
    preview = run(batch)
    assert preview["error_rows"] == [] and preview["new_count"] == 2
    assert preview["ignored_columns"] == ["N°", "Dirección", "Sector", "Comuna"]
    db.session.commit()
    login(client, "melipilla@example.com")
    page = client.get(f"/registry/import/{batch.token}").get_data(as_text=True)
    assert "Columnas que Vitrina no usa y se ignoran" in page
    assert "Dirección" in page and "Sector" in page
    csv_import.commit_import(batch, by=officer)
    people = {
        e.business_name: e.owner_name for e in db.session.execute(select(Entrepreneur)).scalars()
    }
    assert people == {
        "Tejidos Ñandú": "María José González Ñanco",
        "Miel del Valle": "Óscar Álvarez",
    }


def test_nombre_beside_surname_columns_is_the_given_names(db, w):
    header = "Nombre;Apellidos;RUT;Nombre de fantasía;Rubro\n"
    text = header + f"Ana;Pérez Soto;{rut(23)};Uno;Artesania\n"
    officer = w["users"]["officer"]
    batch = csv_import.start_import(
        text.encode(), filename="x.csv", commune=w["melipilla"], by=officer
    )
    assert run(batch)["error_rows"] == []
    csv_import.commit_import(batch, by=officer)
    assert db.session.execute(select(Entrepreneur.owner_name)).scalar_one() == "Ana Pérez Soto"


@pytest.mark.db
def test_reimport_changes_only_what_the_file_has(client, db, w, backend):
    """A blank cell or a missing column keeps what is stored; the preview lists each row's
    changes."""
    officer = w["users"]["officer"]
    kept = register(
        w["melipilla"],
        w["crafts"],
        rut(30),
        business_name="Uno",
        phone="912345678",
        needs_power=True,
        needs_table=True,
        email="uno@example.com",
    )
    moved = register(w["melipilla"], w["crafts"], rut(31), business_name="Dos", phone="911111111")
    same = register(w["melipilla"], w["crafts"], rut(32), business_name="Tres")
    db.session.commit()
    text = (
        "RUT;Nombre del negocio;Titular;Rubro;Teléfono;Correo\n"
        f"{rut(30)};Uno;Persona de Prueba;;;\n"
        f"{rut(31)};Dos;Persona de Prueba;Artesania;9 2222 3333;\n"
        f"{rut(32)};Tres;Persona de Prueba;Artesania;;\n"
    )
    batch = csv_import.start_import(
        text.encode(), filename="x.csv", commune=w["melipilla"], by=officer
    )
    preview = run(batch)
    assert preview["error_rows"] == []
    assert (preview["new_count"], preview["update_count"], preview["unchanged_count"]) == (0, 1, 2)
    assert [(line, name, diff) for line, name, diff in preview["changes"]] == [
        (3, "Dos", {"phone": ("+56911111111", "+56922223333")})
    ]
    db.session.commit()
    login(client, "melipilla@example.com")
    page = client.get(f"/registry/import/{batch.token}").get_data(as_text=True)
    assert "Teléfono:</strong> +56 9 1111 1111 → +56 9 2222 3333" in page
    summary = csv_import.commit_import(batch, by=officer)
    db.session.commit()
    assert summary.updated == 1
    db.session.expire_all()
    assert (kept.phone, kept.needs_power, kept.needs_table, kept.email) == (
        "+56912345678",
        True,
        True,
        "uno@example.com",
    )
    assert moved.phone == "+56922223333" and moved.version == 2
    assert same.version == 1


def test_an_edit_after_the_preview_stops_the_import(db, w):
    officer = w["users"]["officer"]
    e = register(w["melipilla"], w["crafts"], rut(33), business_name="Uno")
    text = f"RUT;Nombre del negocio;Titular;Rubro;Teléfono\n{rut(33)};Uno;Ana;Artesania;912345678\n"
    batch = csv_import.start_import(
        text.encode(), filename="x.csv", commune=w["melipilla"], by=officer
    )
    run(batch)
    e.version += 1
    db.session.flush()
    with pytest.raises(Conflict, match="el registro cambió desde la revisión en línea 2"):
        csv_import.commit_import(batch, by=officer)
