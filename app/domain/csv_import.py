"""Registry spreadsheets in and out: the communes' own CSV files, checked before anything is saved.

Files come from Excel in Chile: UTF-8 (often with a BOM) or Windows Latin-1, columns separated
by semicolons (Excel's choice where the decimal separator is a comma) or commas, Spanish headers
written in many ways. An import is uploaded, its rows are checked a chunk per request (the page
shows progress), every error is listed with its line, and only then is it committed, whole.
"""

from __future__ import annotations

import csv
import io
import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import selectinload

from app import clock
from app.domain import audit, policy, registry
from app.domain.errors import Conflict, Invalid
from app.domain.rut import InvalidRut, format_rut, normalize_rut
from app.extensions import db
from app.models import (
    Category,
    Commune,
    Entrepreneur,
    ImportState,
    RegistryImport,
    RegistryImportRow,
    Role,
    User,
)
from app.models.registry import entrepreneur_search_text

_SEARCHED = ("business_name", "owner_name", "email")
MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000
CHUNK = 500
PREVIEW_SAMPLE = 15
PREVIEW_CHANGES = 200
_BOOL_FIELDS = ("needs_power", "needs_table", "needs_food_handling", "public_consent", "active")


@dataclass(frozen=True)
class Column:
    field: str
    header: str  # what the export writes and the import prefers
    aliases: tuple[str, ...] = ()
    required: bool = False


COLUMNS = (
    Column(
        "business_name",
        "Nombre del negocio",
        (
            "negocio",
            "emprendimiento",
            "nombre emprendimiento",
            "nombre del emprendimiento",
            "nombre de fantasia",
            "nombre fantasia",
            "razon social",
            "marca",
        ),
        required=True,
    ),
    Column(
        "owner_name",
        "Nombre del titular",
        (
            "titular",
            "nombre titular",
            "nombre",
            "nombre completo",
            "dueno",
            "duena",
            "nombre del dueno",
            "propietario",
            "propietaria",
            "emprendedor",
            "emprendedora",
            "nombre emprendedor",
            "nombre emprendedora",
            "responsable",
        ),
        required=True,
    ),
    Column("rut", "RUT", ("rut titular", "rut del titular", "run", "rut emprendedor"), True),
    Column("email", "Correo", ("correo electronico", "email", "e mail", "mail")),
    Column(
        "phone",
        "Teléfono",
        ("telefono", "fono", "celular", "movil", "whatsapp", "telefono de contacto", "contacto"),
    ),
    Column("category", "Categoría", ("categoria", "rubro", "tipo de producto", "productos"), True),
    Column("description", "Descripción", ("descripcion", "detalle", "que vende")),
    Column(
        "website",
        "Web o red social",
        (
            "web",
            "sitio web",
            "pagina web",
            "instagram",
            "red social",
            "redes sociales",
            "link",
            "enlace",
        ),
    ),
    Column(
        "needs_power",
        "Necesita electricidad",
        ("electricidad", "enchufe", "luz", "necesita enchufe", "energia"),
    ),
    Column("needs_table", "Necesita mesa", ("mesa",)),
    Column(
        "needs_food_handling",
        "Manipula alimentos",
        ("alimentos", "manipulacion de alimentos", "manipula alimentos"),
    ),
    Column(
        "sanitary_resolution",
        "Resolución sanitaria",
        (
            "resolucion sanitaria",
            "n resolucion sanitaria",
            "numero resolucion sanitaria",
            "resolucion",
            "res sanitaria",
        ),
    ),
    Column(
        "sanitary_expiry",
        "Vencimiento resolución",
        (
            "vencimiento resolucion",
            "vencimiento",
            "fecha de vencimiento",
            "vence",
            "vencimiento resolucion sanitaria",
        ),
    ),
    Column(
        "public_consent",
        "Acepta publicación",
        ("acepta publicacion", "consentimiento", "autoriza publicacion", "publicar"),
    ),
    Column("active", "Activo", ("activa", "vigente", "estado")),
    Column("notes", "Notas", ("observaciones", "comentarios", "nota")),
)
# Communes often keep the owner's name split: given names, then one or two surname columns.
# They are joined into "Nombre del titular" (a "Nombre" column beside surnames is the given names).
NAME_PARTS = (
    Column(
        "owner_given_names",
        "Nombres",
        ("nombres", "nombre s", "primer nombre", "nombres titular", "nombres del titular"),
    ),
    Column(
        "owner_surname",
        "Apellido paterno",
        (
            "apellido",
            "apellidos",
            "primer apellido",
            "apellido 1",
            "ap paterno",
            "apellido paterno titular",
        ),
    ),
    Column(
        "owner_surname2",
        "Apellido materno",
        ("segundo apellido", "apellido 2", "ap materno", "apellido materno titular"),
    ),
)
_NAME_PART_FIELDS = tuple(c.field for c in NAME_PARTS)
_BY_FIELD = {c.field: c for c in COLUMNS}
_TRUE = {"si", "s", "x", "1", "true", "verdadero", "yes", "y", "activo", "activa", "vigente"}
_FALSE = {"no", "n", "0", "false", "falso", "", "-", "inactivo", "inactiva"}


def _header_key(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", registry.fold(text)).strip()


_HEADER_INDEX = {}
for _col in (*COLUMNS, *NAME_PARTS):
    for _name in (_col.header, _col.field, *_col.aliases):
        _HEADER_INDEX.setdefault(_header_key(_name), _col.field)


# --- reading the file -----------------------------------------------------------------------


def decode(content: bytes) -> tuple[str, str]:
    """The file's text and the encoding it was in: UTF-8 (with or without BOM) or Latin-1."""
    try:
        return content.decode("utf-8-sig"), "UTF-8"
    except UnicodeDecodeError:
        # Excel on Windows saves "CSV" as Windows-1252, Latin-1 plus curly quotes and dashes.
        return content.decode("cp1252", errors="replace"), "Latin-1"


def _delimiter(text: str) -> str:
    first = next((line for line in text.splitlines() if line.strip()), "")
    return ";" if first.count(";") >= first.count(",") and ";" in first else ","


def _header_map(header: list[str]) -> dict[int, str]:
    mapping: dict[int, str] = {}
    for index, name in enumerate(header):
        field = _HEADER_INDEX.get(_header_key(name))
        if field and field not in mapping.values():
            mapping[index] = field
    fields = set(mapping.values())
    has_name = "owner_name" in fields or fields & {"owner_given_names", "owner_surname"}
    missing = [
        c.header
        for c in COLUMNS
        if c.required and c.field not in fields and not (c.field == "owner_name" and has_name)
    ]
    if missing:
        found = ", ".join(f"«{h.strip()}»" for h in header if h.strip()) or _("ninguna")
        raise Invalid(
            _(
                "Faltan columnas obligatorias: %(missing)s. Columnas encontradas: %(found)s.",
                missing=", ".join(f"«{m}»" for m in missing),
                found=found,
            )
        )
    return mapping


def _rows(source: str, delimiter: str) -> list[tuple[int, dict[str, str]]]:
    """(line number, raw values by field) of every non-blank data row; the header is line 1."""
    reader = csv.reader(io.StringIO(source, newline=""), delimiter=delimiter)
    header: list[str] | None = None
    mapping: dict[int, str] = {}
    rows = []
    start = 1
    for cells in reader:
        line = start
        start = reader.line_num + 1
        if not any(cell.strip() for cell in cells):
            continue
        if header is None:
            header = cells
            mapping = _header_map(cells)
            continue
        raw = {f: _unquoted(cells[i].strip()) if i < len(cells) else "" for i, f in mapping.items()}
        rows.append((line, _join_name(raw)))
    if header is None:
        raise Invalid(_("El archivo está vacío."))
    return rows


def _join_name(raw: dict[str, str]) -> dict[str, str]:
    """Given names and surnames in their own columns become one "Nombre del titular"."""
    if not any(f in raw for f in _NAME_PART_FIELDS):
        return raw
    given = raw.pop("owner_given_names", "")
    surnames = [raw.pop("owner_surname", ""), raw.pop("owner_surname2", "")]
    if "owner_name" in raw and not given:
        given = raw.pop("owner_name")  # "Nombre" beside surname columns holds the given names
    raw["owner_name"] = " ".join(" ".join(p.split()) for p in (given, *surnames) if p.strip())
    return raw


def columns_report(source: str, delimiter: str) -> tuple[list[str], list[str]]:
    """The file's column headers Vitrina reads and those it ignores (address, sector...)."""
    reader = csv.reader(io.StringIO(source, newline=""), delimiter=delimiter)
    for cells in reader:
        if any(cell.strip() for cell in cells):
            used, ignored = [], []
            seen: set[str] = set()
            for name in cells:
                if not name.strip():
                    continue
                field = _HEADER_INDEX.get(_header_key(name))
                if field and field not in seen:
                    seen.add(field)
                    used.append(name.strip())
                else:
                    ignored.append(name.strip())
            return used, ignored
    return [], []


def start_import(content: bytes, *, filename: str, commune: Commune, by: User) -> RegistryImport:
    """Keeps the file server-side and returns the import whose rows are then checked in chunks."""
    if not policy.can_edit_registry(by, commune.id):
        raise Invalid(_("No puede importar al registro de %(commune)s.", commune=commune.name))
    if len(content) > MAX_BYTES:
        raise Invalid(_("El archivo pesa más de 5 MB. Divídalo en partes más pequeñas."))
    # Anywhere in the file, not only near its start: PostgreSQL text cannot hold a NUL.
    if b"\x00" in content:
        raise Invalid(
            _(
                "El archivo no es un CSV. En Excel use «Guardar como» y elija "
                "«CSV (delimitado por comas)»."
            )
        )
    text, encoding = decode(content)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    delimiter = _delimiter(text)
    try:
        rows = _rows(text, delimiter)
    except csv.Error as exc:
        raise Invalid(_("El archivo no se puede leer como CSV (%(error)s).", error=exc)) from exc
    if not rows:
        raise Invalid(_("El archivo solo tiene encabezados: no hay filas que importar."))
    if len(rows) > MAX_ROWS:
        raise Invalid(
            _("El archivo tiene %(n)d filas; el máximo es %(max)d.", n=len(rows), max=MAX_ROWS)
        )
    # A person's earlier previews, and anybody's from days ago, are not needed any more.
    stale = select(RegistryImport.id).where(
        RegistryImport.state != ImportState.COMMITTED,
        (RegistryImport.created_by_id == by.id)
        | (RegistryImport.created_at < clock.now_utc() - timedelta(days=2)),
    )
    stale_ids = list(db.session.execute(stale).scalars())
    if stale_ids:
        db.session.execute(
            delete(RegistryImportRow).where(RegistryImportRow.import_id.in_(stale_ids))
        )
        db.session.execute(delete(RegistryImport).where(RegistryImport.id.in_(stale_ids)))
    batch = RegistryImport(
        token=secrets.token_urlsafe(24),
        commune=commune,
        created_by=by,
        filename=(filename or "")[:200],
        encoding=encoding,
        delimiter=delimiter,
        source=text,
        total_rows=len(rows),
        checked_rows=0,
        error_rows=0,
        state=ImportState.CHECKING,
    )
    db.session.add(batch)
    db.session.flush()
    return batch


def get_import(token: str, *, user: User) -> RegistryImport | None:
    """The import, if this user may see it (its author, or an admin or coordinator)."""
    batch = db.session.execute(
        select(RegistryImport).where(RegistryImport.token == token)
    ).scalar_one_or_none()
    if batch is None:
        return None
    if not policy.sees_commune(user, batch.commune_id):
        return None
    if user.role is Role.VIEWER:
        return None
    return batch


# --- checking rows --------------------------------------------------------------------------


def _parse_bool(field: str, raw: str, errors: list[str]) -> bool:
    key = registry.fold(raw).rstrip(".")
    if key in _TRUE:
        return True
    if key in _FALSE:
        return False
    errors.append(
        _(
            "En la columna «%(column)s» escriba sí o no (dice «%(value)s»).",
            column=_BY_FIELD[field].header,
            value=raw,
        )
    )
    return False


_DATE_FORMATS = ("%d-%m-%Y", "%d/%m/%Y", "%d.%m.%Y", "%Y-%m-%d", "%d-%m-%y", "%d/%m/%y")


def _parse_date(raw: str, errors: list[str]) -> date | None:
    if not raw:
        return None
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(raw, fmt).date()  # noqa: DTZ007 - a calendar date
        except ValueError:
            continue
    errors.append(
        _(
            "La fecha de vencimiento «%(value)s» no es válida: escríbala como día-mes-año, "
            "por ejemplo 31-12-2027.",
            value=raw,
        )
    )
    return None


def _check_row(
    raw: dict[str, str],
    commune: Commune,
    categories: dict[str, Category],
    current: Entrepreneur | None = None,
) -> tuple[dict[str, Any], list[str]]:
    """The row's clean values, or its errors.

    A row for someone already registered (``current``) changes only what the file says: a
    column the file lacks, or a blank cell, keeps what is stored. Its values are then only the
    fields that change, with what they were under "_before" and the version read under
    "_version" (the commit refuses if the record changed meanwhile).
    """
    errors: list[str] = []
    if current is not None:
        data: dict[str, Any] = {
            k: getattr(current, k) for k in registry.FIELDS if k not in ("category",)
        }
        data["category"] = current.category
        given = {k: v for k, v in raw.items() if v.strip()}
    else:
        data = {k: raw.get(k, "") for k in registry.FIELDS}
        given = raw
    for key in ("business_name", "owner_name", "rut", "email", "phone", "description"):
        if key in given:
            data[key] = given[key]
    for key in ("website", "sanitary_resolution", "notes"):
        if key in given:
            data[key] = given[key]
    for field in _BOOL_FIELDS:
        if field in given:
            data[field] = _parse_bool(field, given[field], errors)
        elif current is None:
            data[field] = field == "active"  # a file without the column: everyone is active
    if current is None or given.get("sanitary_expiry"):
        data["sanitary_expiry"] = _parse_date(given.get("sanitary_expiry", ""), errors)
    category_name = given.get("category", "")
    if current is None or category_name:
        data["category"] = categories.get(registry.fold(category_name)) if category_name else None
    try:
        values = registry.clean(data, commune=commune, check_rut_taken=False)
    except registry.InvalidFields as exc:
        values = {}
        for field, message in exc.errors.items():
            if field == "category" and category_name:
                message = _(
                    "La categoría «%(value)s» no existe. Use una de estas: %(names)s.",
                    value=category_name,
                    names=", ".join(sorted({c.name for c in categories.values()})),
                )
            errors.append(message)
    if values:
        values["category_id"] = values.pop("category").id
        if values["sanitary_expiry"]:
            values["sanitary_expiry"] = values["sanitary_expiry"].isoformat()
        if current is not None:
            stored = _stored(current)
            changed = {k: v for k, v in values.items() if stored.get(k) != v}
            values = {
                **changed,
                "_before": {k: stored.get(k) for k in changed},
                "_version": current.version,
            }
    return values, errors


def _stored(e: Entrepreneur) -> dict[str, Any]:
    """An entrepreneur's fields as an import row stores them (category id, ISO dates)."""
    out = {k: getattr(e, k) for k in registry.FIELDS if k != "category"}
    out["category_id"] = e.category_id
    out["sanitary_expiry"] = e.sanitary_expiry.isoformat() if e.sanitary_expiry else None
    return out


def row_changes(values: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """An update row's changes: field → (stored value, value from the file)."""
    before = values.get("_before", {})
    return {k: (before.get(k), v) for k, v in values.items() if not k.startswith("_")}


def _categories_by_name() -> dict[str, Category]:
    found = {}
    for category in db.session.execute(select(Category).where(Category.active.is_(True))).scalars():
        found[registry.fold(category.name)] = category
        found[registry.fold(category.slug)] = category
    return found


def check_next_chunk(batch: RegistryImport, *, size: int = CHUNK) -> RegistryImport:
    """Checks the next ``size`` rows; a fixed handful of queries per chunk."""
    # Lock the import so two polls (two tabs) cannot check the same rows twice.
    db.session.execute(
        select(RegistryImport.id).where(RegistryImport.id == batch.id).with_for_update()
    )
    db.session.refresh(batch)
    if batch.state is not ImportState.CHECKING:
        return batch
    rows = _rows(batch.source, batch.delimiter)
    chunk = rows[batch.checked_rows : batch.checked_rows + size]
    categories = _categories_by_name()
    row_ruts: list[str | None] = []
    for _line, raw in chunk:
        try:
            row_ruts.append(normalize_rut(raw["rut"]) if raw.get("rut") else None)
        except InvalidRut:
            row_ruts.append(None)
    registered = {
        e.rut: e
        for e in db.session.execute(
            select(Entrepreneur)
            .where(Entrepreneur.rut.in_([r for r in row_ruts if r]))
            .options(selectinload(Entrepreneur.category))
        ).scalars()
    }
    checked = []
    for (line, raw), rut in zip(chunk, row_ruts, strict=True):
        owner = registered.get(rut) if rut else None
        current = owner if owner is not None and owner.commune_id == batch.commune_id else None
        values, errors = _check_row(raw, batch.commune, categories, current)
        checked.append([line, rut, values, errors, None])
    ruts = [r[1] for r in checked if r[1]]
    communes = {c.id: c for c in db.session.execute(select(Commune)).scalars()}
    earlier = dict(
        db.session.execute(
            select(RegistryImportRow.rut, func.min(RegistryImportRow.line))
            .where(RegistryImportRow.import_id == batch.id, RegistryImportRow.rut.in_(ruts))
            .group_by(RegistryImportRow.rut)
        ).all()
    )
    for row in checked:
        line, rut, values, errors, _unused = row
        if not rut:
            continue
        if rut in earlier:
            errors.append(
                _(
                    "El RUT %(rut)s está repetido: ya aparece en la línea %(line)d.",
                    rut=format_rut(rut),
                    line=earlier[rut],
                )
            )
        else:
            earlier[rut] = line
        owner = registered.get(rut)
        if owner is not None:
            if owner.commune_id == batch.commune_id:
                row[4] = owner.id  # same person, same commune: the row updates the registry
            else:
                errors.append(
                    registry.rut_taken_message(
                        rut, communes[owner.commune_id], batch.commune, owner.business_name
                    )
                )
    if checked:
        db.session.execute(
            insert(RegistryImportRow),
            [
                {
                    "import_id": batch.id,
                    "line": line,
                    "rut": rut,
                    "values": values if not errors else {},
                    "errors": errors,
                    "ok": not errors,
                    "entrepreneur_id": entrepreneur_id,
                }
                for line, rut, values, errors, entrepreneur_id in checked
            ],
        )
    batch.checked_rows += len(chunk)
    batch.error_rows += sum(1 for row in checked if row[3])
    if batch.checked_rows >= batch.total_rows:
        batch.state = ImportState.READY
    db.session.flush()
    return batch


def preview(batch: RegistryImport) -> dict[str, Any]:
    """What the preview page shows: progress, every row with errors, a sample of good rows."""
    percent = 100 * batch.checked_rows // batch.total_rows if batch.total_rows else 100
    error_rows = list(
        db.session.execute(
            select(RegistryImportRow)
            .where(RegistryImportRow.import_id == batch.id, RegistryImportRow.ok.is_(False))
            .order_by(RegistryImportRow.line)
        ).scalars()
    )
    sample = list(
        db.session.execute(
            select(RegistryImportRow)
            .where(
                RegistryImportRow.import_id == batch.id,
                RegistryImportRow.ok.is_(True),
                RegistryImportRow.entrepreneur_id.is_(None),
            )
            .order_by(RegistryImportRow.line)
            .limit(PREVIEW_SAMPLE)
        ).scalars()
    )
    good = batch.checked_rows - batch.error_rows
    categories = {c.id: c.name for c in db.session.execute(select(Category)).scalars()}
    used, ignored = columns_report(batch.source, batch.delimiter) if batch.source else ([], [])
    # Rows for people already registered: what each will change (known once all are checked).
    updates = list(
        db.session.execute(
            select(RegistryImportRow.line, RegistryImportRow.values, Entrepreneur.business_name)
            .join(Entrepreneur, Entrepreneur.id == RegistryImportRow.entrepreneur_id)
            .where(RegistryImportRow.import_id == batch.id, RegistryImportRow.ok.is_(True))
            .order_by(RegistryImportRow.line)
        ).all()
    )
    changes = []
    unchanged = 0
    for line, values, name in updates:
        diff = row_changes(values)
        if diff:
            changes.append((line, name, diff))
        else:
            unchanged += 1
    return {
        "percent": percent,
        "error_rows": error_rows,
        "sample": sample,
        "new_count": good - len(updates),
        "update_count": len(changes),
        "unchanged_count": unchanged,
        "changes": changes[:PREVIEW_CHANGES],
        "more_changes": max(0, len(changes) - PREVIEW_CHANGES),
        "category_names": categories,
        "used_columns": used,
        "ignored_columns": ignored,
        "field_labels": field_labels(),
    }


def field_labels() -> dict[str, str]:
    labels = {c.field: c.header for c in COLUMNS}
    labels["category_id"] = labels.pop("category")
    return labels


def display_value(field: str, value: Any, category_names: dict[int, str]) -> str:
    """A stored or imported value as people read it: «sí», a category's name, 31-12-2027."""
    if value is None or value == "":
        return "—"
    if field == "category_id":
        return category_names.get(value, str(value))
    if field in _BOOL_FIELDS:
        return _yes_no(bool(value))
    if field == "phone":
        return registry.format_phone(value)
    if field == "rut":
        return format_rut(value)
    if field == "sanitary_expiry":
        return date.fromisoformat(value).strftime("%d-%m-%Y")
    return str(value)


# --- committing -----------------------------------------------------------------------------


@dataclass
class ImportSummary:
    created: int
    updated: int


def _in_chunks(values: list, size: int = 500):
    for i in range(0, len(values), size):
        yield values[i : i + size]


def commit_import(batch: RegistryImport, *, by: User) -> ImportSummary:
    """Writes every row or none: refuses while rows have errors or were not all checked."""
    if not policy.can_edit_registry(by, batch.commune_id):
        raise Invalid(_("No puede importar al registro de esta comuna."))
    # Two clicks on "Importar" (two tabs, two people) commit one after the other: the second
    # waits for the first, then reads the state it left and is told the file is in.
    db.session.execute(
        select(RegistryImport)
        .where(RegistryImport.id == batch.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()  # fetching the row is what refreshes `batch`
    if batch.state is ImportState.COMMITTED:
        raise Conflict(_("Este archivo ya se importó."))
    if batch.state is not ImportState.READY:
        raise Conflict(_("Aún se están revisando las filas del archivo; espere a que termine."))
    if batch.error_rows:
        raise Conflict(
            _(
                "No se importó nada: %(n)d filas tienen errores. Corríjalas en el archivo y "
                "súbalo de nuevo.",
                n=batch.error_rows,
            )
        )
    rows = list(
        db.session.execute(
            select(RegistryImportRow)
            .where(RegistryImportRow.import_id == batch.id)
            .order_by(RegistryImportRow.line)
        ).scalars()
    )
    # The registry may have changed since the preview: check again what would clash.
    registered: dict[str, Entrepreneur] = {}
    for ruts in _in_chunks([r.rut for r in rows]):
        for e in db.session.execute(
            select(Entrepreneur).where(Entrepreneur.rut.in_(ruts))
        ).scalars():
            registered[e.rut] = e
    problems = []
    for row in rows:
        owner = registered.get(row.rut)
        expected = row.entrepreneur_id
        if (
            (owner.id if owner else None) != expected
            or (owner is not None and owner.commune_id != batch.commune_id)
            or (owner is not None and owner.version != row.values.get("_version"))
        ):
            problems.append(
                _("línea %(line)d (RUT %(rut)s)", line=row.line, rut=format_rut(row.rut))
            )
    if problems:
        raise Conflict(
            _(
                "No se importó nada: el registro cambió desde la revisión en %(lines)s. "
                "Suba el archivo de nuevo para revisarlo otra vez.",
                lines=", ".join(problems[:10]),
            )
        )
    now = clock.now_utc()
    new_rows, update_rows = [], []
    for row in rows:
        values = {k: v for k, v in row.values.items() if not k.startswith("_")}
        if row.entrepreneur_id is not None and not values:
            continue  # the file says what is stored already
        if values.get("sanitary_expiry"):
            values["sanitary_expiry"] = date.fromisoformat(values["sanitary_expiry"])
        values["updated_at"] = now
        if row.entrepreneur_id is None:
            new_rows.append({**values, "commune_id": batch.commune_id, "created_at": now})
        else:
            # An import is an edit: a form opened before it must not save over it.
            current = registered[row.rut]
            if values.keys() & {"business_name", "owner_name", "email"}:
                # A bulk update runs no ORM hooks: the search text is written here.
                values["search_text"] = entrepreneur_search_text(
                    *(values.get(k, getattr(current, k)) for k in _SEARCHED)
                )
            update_rows.append(
                {**values, "id": row.entrepreneur_id, "version": current.version + 1}
            )
    for part in _in_chunks(new_rows):
        db.session.execute(insert(Entrepreneur), part)
    for part in _in_chunks(update_rows):
        db.session.execute(update(Entrepreneur), part)
    batch.state = ImportState.COMMITTED
    batch.committed_at = now
    batch.source = ""  # the registry holds the data now; the upload need not be kept
    db.session.execute(delete(RegistryImportRow).where(RegistryImportRow.import_id == batch.id))
    db.session.flush()
    audit.record(
        "registry.import",
        batch,
        actor=by,
        after={
            "filename": batch.filename,
            "created": len(new_rows),
            "updated": len(update_rows),
        },
        commune_id=batch.commune_id,
    )
    return ImportSummary(created=len(new_rows), updated=len(update_rows))


# --- export ---------------------------------------------------------------------------------


def _yes_no(value: bool) -> str:
    return _("sí") if value else _("no")


def export_csv(user: User, *, commune_id: int | None = None) -> str:
    """The registry a user may see, as the import reads it: UTF-8 with BOM and semicolons,
    which Excel in Chile opens with accents and columns intact."""
    query = registry.scoped(select(Entrepreneur), user)
    if commune_id and policy.commune_scope(user) is None:
        query = query.where(Entrepreneur.commune_id == commune_id)
    categories = {c.id: c.name for c in db.session.execute(select(Category)).scalars()}
    communes = {c.id: c.name for c in db.session.execute(select(Commune)).scalars()}
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([c.header for c in COLUMNS] + [_("Comuna")])
    for e in db.session.execute(
        query.order_by(Entrepreneur.commune_id, func.lower(Entrepreneur.business_name))
    ).scalars():
        row = []
        for column in COLUMNS:
            value = getattr(e, column.field, None) if column.field != "category" else None
            if column.field == "category":
                row.append(categories.get(e.category_id, ""))
            elif column.field == "rut":
                row.append(format_rut(e.rut))
            elif column.field == "phone":
                row.append(registry.format_phone(e.phone))
            elif column.field == "sanitary_expiry":
                row.append(e.sanitary_expiry.strftime("%d-%m-%Y") if e.sanitary_expiry else "")
            elif column.field in _BOOL_FIELDS:
                row.append(_yes_no(bool(value)))
            else:
                row.append(value or "")
        row.append(communes.get(e.commune_id, ""))
        # Every cell, whatever its column: a category or commune name is text people typed too.
        writer.writerow([safe_cell(cell) for cell in row])
    return out.getvalue()


# A cell starting with one of these is run as a formula by spreadsheets (CSV injection, as
# OWASP lists them): exports put a quote before it, which the spreadsheet shows as text.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(text: str) -> str:
    return "'" + text if text[:1] in _FORMULA_STARTS else text


def _unquoted(text: str) -> str:
    """An exported cell read back: the quote safe_cell added is not part of the value."""
    return text[1:] if text[:1] == "'" and text[1:2] in _FORMULA_STARTS else text
