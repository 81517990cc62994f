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

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000
CHUNK = 500
PREVIEW_SAMPLE = 15
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
_BY_FIELD = {c.field: c for c in COLUMNS}
_TRUE = {"si", "s", "x", "1", "true", "verdadero", "yes", "y", "activo", "activa", "vigente"}
_FALSE = {"no", "n", "0", "false", "falso", "", "-", "inactivo", "inactiva"}


def _header_key(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", registry.fold(text)).strip()


_HEADER_INDEX = {}
for _col in COLUMNS:
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
    missing = [c.header for c in COLUMNS if c.required and c.field not in mapping.values()]
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
        rows.append(
            (
                line,
                {
                    f: _unquoted(cells[i].strip()) if i < len(cells) else ""
                    for i, f in mapping.items()
                },
            )
        )
    if header is None:
        raise Invalid(_("El archivo está vacío."))
    return rows


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
    raw: dict[str, str], commune: Commune, categories: dict[str, Category]
) -> tuple[dict[str, Any], list[str]]:
    errors: list[str] = []
    data: dict[str, Any] = {k: raw.get(k, "") for k in registry.FIELDS}
    for field in _BOOL_FIELDS:
        if field in raw:
            data[field] = _parse_bool(field, raw[field], errors)
        else:
            data[field] = field == "active"  # a file without the column: everyone is active
    data["sanitary_expiry"] = _parse_date(raw.get("sanitary_expiry", ""), errors)
    category_name = raw.get("category", "")
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
    return values, errors


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
    checked = []
    for line, raw in chunk:
        values, errors = _check_row(raw, batch.commune, categories)
        rut = values.get("rut")
        if rut is None and raw.get("rut"):
            try:
                rut = normalize_rut(raw["rut"])
            except InvalidRut:
                rut = None
        checked.append([line, rut, values, errors, None])
    ruts = [r[1] for r in checked if r[1]]
    registered = {
        e.rut: e
        for e in db.session.execute(
            select(Entrepreneur).where(Entrepreneur.rut.in_(ruts))
        ).scalars()
    }
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
            .where(RegistryImportRow.import_id == batch.id, RegistryImportRow.ok.is_(True))
            .order_by(RegistryImportRow.line)
            .limit(PREVIEW_SAMPLE)
        ).scalars()
    )
    updates = db.session.execute(
        select(func.count()).where(
            RegistryImportRow.import_id == batch.id,
            RegistryImportRow.ok.is_(True),
            RegistryImportRow.entrepreneur_id.is_not(None),
        )
    ).scalar_one()
    good = batch.checked_rows - batch.error_rows
    categories = {c.id: c.name for c in db.session.execute(select(Category)).scalars()}
    return {
        "percent": percent,
        "error_rows": error_rows,
        "sample": sample,
        "new_count": good - updates,
        "update_count": updates,
        "category_names": categories,
    }


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
        if (owner.id if owner else None) != expected or (
            owner is not None and owner.commune_id != batch.commune_id
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
        values = dict(row.values)
        if values.get("sanitary_expiry"):
            values["sanitary_expiry"] = date.fromisoformat(values["sanitary_expiry"])
        values["updated_at"] = now
        if row.entrepreneur_id is None:
            new_rows.append({**values, "commune_id": batch.commune_id, "created_at": now})
        else:
            # An import is an edit: a form opened before it must not save over it.
            current = registered[row.rut]
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
        writer.writerow([_safe_cell(cell) for cell in row])
    return out.getvalue()


# A cell starting with one of these is run as a formula by spreadsheets (CSV injection, as
# OWASP lists them): exports put a quote before it, which the spreadsheet shows as text.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _safe_cell(text: str) -> str:
    return "'" + text if text[:1] in _FORMULA_STARTS else text


def _unquoted(text: str) -> str:
    """An exported cell read back: the quote _safe_cell added is not part of the value."""
    return text[1:] if text[:1] == "'" and text[1:2] in _FORMULA_STARTS else text
