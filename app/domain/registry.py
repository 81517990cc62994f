"""Each commune's registry of entrepreneurs: validation, scoping, search and categories."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import urlsplit

from flask_babel import gettext as _
from sqlalchemy import Select, and_, func, or_, select, true
from sqlalchemy.orm import selectinload

from app import textfold
from app.domain import audit, policy
from app.domain.accounts import normalize_email
from app.domain.errors import Conflict, Invalid, NotAllowed, NotFound
from app.domain.rut import InvalidRut, format_rut, normalize_rut
from app.extensions import db
from app.models import (
    Category,
    Commune,
    Entrepreneur,
    Nomination,
    NominationState,
    Slot,
    User,
)

PAGE_SIZE = 25
# The fields a person edits, in the order of the form and of the CSV columns.
FIELDS = (
    "business_name",
    "owner_name",
    "rut",
    "email",
    "phone",
    "category",
    "description",
    "website",
    "needs_power",
    "needs_table",
    "needs_food_handling",
    "sanitary_resolution",
    "sanitary_expiry",
    "public_consent",
    "active",
    "notes",
)
_MAX_LENGTHS = {"business_name": 160, "owner_name": 160, "sanitary_resolution": 60}


class InvalidFields(Invalid):
    """Several fields are wrong at once; ``errors`` maps each field to its Spanish message."""

    def __init__(self, errors: dict[str, str]):
        first_field, first = next(iter(errors.items()))
        super().__init__(first, field=first_field)
        self.errors = errors


# --- normalising single values --------------------------------------------------------------

_PHONE_JUNK = re.compile(r"[\s().\-/]")


def normalize_phone(raw: str) -> str:
    """'+56 9 1234 5678', '9 1234 5678', '(2) 2831 0000', '0056912345678' → '+56912345678'.

    Chilean numbers have nine digits after +56: mobiles start with 9, landlines with the area
    code (2 for Santiago and Melipilla, 32, 72, ...).
    """
    text = _PHONE_JUNK.sub("", raw.strip())
    if text.startswith("+56"):
        national = text[3:]
    elif text.startswith("0056"):
        national = text[4:]
    elif text.startswith("56") and len(text) == 11:
        national = text[2:]
    else:
        national = text.removeprefix("0") if len(text) == 10 else text
    if not national.isdigit() or not national.isascii():
        raise Invalid(
            _("El teléfono «%(phone)s» tiene caracteres que no son números.", phone=raw.strip()),
            field="phone",
        )
    if len(national) != 9 or national[0] in "01":
        raise Invalid(
            _(
                "El teléfono «%(phone)s» no es un número chileno válido: escriba 9 dígitos, "
                "como +56 9 1234 5678 o +56 2 2345 6789.",
                phone=raw.strip(),
            ),
            field="phone",
        )
    return f"+56{national}"


def format_phone(normalized: str | None) -> str:
    if not normalized:
        return ""
    national = normalized.removeprefix("+56")
    if national.startswith("9"):
        return f"+56 9 {national[1:5]} {national[5:]}"
    if national.startswith("2"):
        return f"+56 2 {national[1:5]} {national[5:]}"
    return f"+56 {national[:2]} {national[2:5]} {national[5:]}"


def normalize_website(raw: str) -> str:
    text = raw.strip()
    if text.startswith("@") and re.fullmatch(r"@[A-Za-z0-9._]{1,30}", text):
        return f"https://www.instagram.com/{text[1:]}"
    if "://" not in text:
        text = "https://" + text
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or "." not in parts.netloc or " " in text:
        raise Invalid(
            _(
                "El enlace «%(url)s» no es una dirección web válida (ej.: www.minegocio.cl).",
                url=raw.strip(),
            ),
            field="website",
        )
    if len(text) > 300:
        raise Invalid(_("El enlace es demasiado largo (máximo 300 caracteres)."), field="website")
    return text


fold = textfold.fold  # lowercase without accents: 'Artesanía' and 'artesania' match


# --- validating a whole entrepreneur --------------------------------------------------------


def clean(
    data: dict[str, Any],
    *,
    commune: Commune,
    entrepreneur: Entrepreneur | None = None,
    check_rut_taken: bool = True,
) -> dict[str, Any]:
    """The normalised values of ``data`` or InvalidFields with every field's problem.

    ``data`` holds typed values: strings, bools, a Category (or None), a date (or None). The CSV
    import checks RUTs already registered itself, for a whole chunk of rows in one query.
    """
    errors: dict[str, str] = {}
    out: dict[str, Any] = {}
    for key in ("business_name", "owner_name"):
        value = (data.get(key) or "").strip()
        if not value:
            errors[key] = (
                _("Falta el nombre del negocio.")
                if key == "business_name"
                else _("Falta el nombre de la persona titular.")
            )
        elif len(value) > _MAX_LENGTHS[key]:
            errors[key] = _("Es demasiado largo (máximo %(n)d caracteres).", n=_MAX_LENGTHS[key])
        out[key] = value
    try:
        out["rut"] = normalize_rut(data.get("rut") or "")
    except InvalidRut as exc:
        errors["rut"] = exc.message
    for key, normalizer in (
        ("email", normalize_email),
        ("phone", normalize_phone),
        ("website", normalize_website),
    ):
        raw = (data.get(key) or "").strip()
        try:
            out[key] = normalizer(raw) if raw else None
        except Invalid as exc:
            errors[key] = exc.message
    category = data.get("category")
    if category is None:
        errors["category"] = _("Elija la categoría de productos.")
    out["category"] = category
    for key in ("needs_power", "needs_table", "needs_food_handling", "public_consent", "active"):
        out[key] = bool(data.get(key))
    out["description"] = (data.get("description") or "").strip()
    out["notes"] = (data.get("notes") or "").strip()
    resolution = (data.get("sanitary_resolution") or "").strip() or None
    expiry = data.get("sanitary_expiry")
    if resolution and len(resolution) > _MAX_LENGTHS["sanitary_resolution"]:
        errors["sanitary_resolution"] = _("Es demasiado largo (máximo %(n)d caracteres).", n=60)
    if category is not None and category.requires_food_permit:
        if not resolution:
            errors["sanitary_resolution"] = _(
                "La categoría «%(category)s» exige el número de resolución sanitaria.",
                category=category.name,
            )
        if expiry is None:
            errors["sanitary_expiry"] = _(
                "La categoría «%(category)s» exige la fecha de vencimiento de la resolución "
                "sanitaria.",
                category=category.name,
            )
    elif expiry is not None and not resolution:
        errors["sanitary_resolution"] = _(
            "Indique el número de la resolución sanitaria que vence en esa fecha."
        )
    out["sanitary_resolution"] = resolution
    out["sanitary_expiry"] = expiry
    if check_rut_taken and "rut" in out and "rut" not in errors:
        problem = rut_taken(out["rut"], commune=commune, entrepreneur=entrepreneur)
        if problem and not errors:
            raise Conflict(problem, field="rut")  # the data is fine; the person exists already
        if problem:
            errors["rut"] = problem
    if errors:
        raise InvalidFields(errors)
    return out


def rut_taken(
    rut: str, *, commune: Commune, entrepreneur: Entrepreneur | None = None
) -> str | None:
    """Why this RUT cannot be used for this commune's entrepreneur, or None."""
    query = (
        select(Entrepreneur)
        .where(Entrepreneur.rut == rut)
        .options(selectinload(Entrepreneur.commune))
    )
    if entrepreneur is not None and entrepreneur.id is not None:
        query = query.where(Entrepreneur.id != entrepreneur.id)
    other = db.session.execute(query).scalar_one_or_none()
    if other is None:
        return None
    return rut_taken_message(rut, other.commune, commune, other.business_name)


def rut_taken_message(rut: str, owner: Commune, commune: Commune, business_name: str) -> str:
    if owner.id == commune.id:
        return _(
            "El RUT %(rut)s ya está registrado en %(commune)s como «%(name)s».",
            rut=format_rut(rut),
            commune=owner.name,
            name=business_name,
        )
    return _(
        "El RUT %(rut)s ya está registrado en la comuna de %(commune)s: cada emprendedor "
        "pertenece a una sola comuna. Coordine con esa comuna antes de registrarlo aquí.",
        rut=format_rut(rut),
        commune=owner.name,
    )


# --- who sees and edits what ----------------------------------------------------------------


def scoped(query: Select, user: User) -> Select:
    """Officers see their own commune's registry only; everyone else sees all of it."""
    if (own := policy.commune_scope(user)) is not None:
        return query.where(Entrepreneur.commune_id == own)
    return query


def get_entrepreneur(entrepreneur_id: int, *, user: User) -> Entrepreneur:
    """The entrepreneur, or NotFound when it does not exist or belongs to another commune."""
    query = scoped(
        select(Entrepreneur)
        .where(Entrepreneur.id == entrepreneur_id)
        .options(selectinload(Entrepreneur.category), selectinload(Entrepreneur.commune)),
        user,
    )
    entrepreneur = db.session.execute(query).scalar_one_or_none()
    if entrepreneur is None:
        raise NotFound(_("Ese emprendedor no existe o no pertenece a su comuna."))
    return entrepreneur


def _require_editor(user: User, commune: Commune) -> None:
    if not policy.can_edit_registry(user, commune.id):
        raise NotAllowed(_("No puede modificar el registro de %(commune)s.", commune=commune.name))


def _snapshot(e: Entrepreneur) -> dict[str, Any]:
    return {
        key: (
            e.category_id
            if key == "category"
            else e.sanitary_expiry.isoformat()
            if key == "sanitary_expiry" and e.sanitary_expiry
            else getattr(e, key)
        )
        for key in FIELDS
    }


def _apply(entrepreneur: Entrepreneur, values: dict[str, Any]) -> None:
    for key, value in values.items():
        setattr(entrepreneur, key, value)


def create_entrepreneur(data: dict[str, Any], *, commune: Commune, by: User) -> Entrepreneur:
    _require_editor(by, commune)
    values = clean(data, commune=commune)
    entrepreneur = Entrepreneur(commune=commune)
    _apply(entrepreneur, values)
    db.session.add(entrepreneur)
    db.session.flush()
    audit.record(
        "entrepreneur.create",
        entrepreneur,
        actor=by,
        after=_snapshot(entrepreneur),
        commune_id=commune.id,
        entrepreneur_id=entrepreneur.id,
    )
    return entrepreneur


class EditConflict(Conflict):
    """Someone saved the record after this form was opened; `current` is what is stored now."""

    def __init__(self, message: str, current: Entrepreneur) -> None:
        super().__init__(message)
        self.current = current


def update_entrepreneur(
    entrepreneur: Entrepreneur,
    data: dict[str, Any],
    *,
    by: User,
    expected_version: int | None = None,
) -> None:
    """Saves an edit; `expected_version` is the version the form was opened on: when someone
    saved in between, raises EditConflict instead of overwriting their change."""
    _require_editor(by, entrepreneur.commune)
    # The row is locked while it is compared and written: two saves at once take turns.
    db.session.execute(
        select(Entrepreneur)
        .where(Entrepreneur.id == entrepreneur.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()
    if expected_version is not None and expected_version != entrepreneur.version:
        raise EditConflict(
            _(
                "Otra persona guardó cambios en este registro mientras usted lo editaba. "
                "Revise los valores actuales y guarde de nuevo si quiere reemplazarlos."
            ),
            entrepreneur,
        )
    values = clean(data, commune=entrepreneur.commune, entrepreneur=entrepreneur)
    before = _snapshot(entrepreneur)
    _apply(entrepreneur, values)
    if _snapshot(entrepreneur) != before:
        entrepreneur.version += 1
    db.session.flush()
    after = _snapshot(entrepreneur)
    changed = {k for k in FIELDS if before[k] != after[k]}
    if changed:
        audit.record(
            "entrepreneur.update",
            entrepreneur,
            actor=by,
            before={k: before[k] for k in sorted(changed)},
            after={k: after[k] for k in sorted(changed)},
            commune_id=entrepreneur.commune_id,
            entrepreneur_id=entrepreneur.id,
        )


# --- participation and search ---------------------------------------------------------------


@dataclass
class Participation:
    weeks: int = 0  # weeks attended at the mall
    last_week: date | None = None
    no_shows: int = 0  # weeks given and not come to: they lower the nomination hint


def participation(entrepreneur_ids: list[int]) -> dict[int, Participation]:
    """Weeks attended and the last one, for many entrepreneurs in one query."""
    if not entrepreneur_ids:
        return {}
    attended = Nomination.state == NominationState.ATTENDED
    rows = db.session.execute(
        select(
            Nomination.entrepreneur_id,
            func.count().filter(attended),
            func.max(Slot.starts_on).filter(attended),
            func.count().filter(Nomination.state == NominationState.NO_SHOW),
        )
        .join(Slot, Slot.id == Nomination.slot_id)
        .where(
            Nomination.entrepreneur_id.in_(entrepreneur_ids),
            Nomination.state.in_([NominationState.ATTENDED, NominationState.NO_SHOW]),
        )
        .group_by(Nomination.entrepreneur_id)
    ).all()
    found = {eid: Participation(n, last, no_shows) for eid, n, last, no_shows in rows}
    return {eid: found.get(eid, Participation()) for eid in entrepreneur_ids}


@dataclass
class Filters:
    q: str = ""
    category_id: int | None = None
    needs: tuple[str, ...] = ()  # "power", "table", "food"
    participated: str = ""  # "", "yes" (attended a week this year), "no"
    commune_id: int | None = None
    status: str = "active"  # "active", "inactive", "all"
    year: int = 0  # "this year", from the caller's clock


@dataclass
class Page:
    items: list[Entrepreneur]
    total: int
    page: int
    per_page: int
    stats: dict[int, Participation] = field(default_factory=dict)

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))


_NEED_COLUMNS = {
    "power": Entrepreneur.needs_power,
    "table": Entrepreneur.needs_table,
    "food": Entrepreneur.needs_food_handling,
}


def search(user: User, filters: Filters, *, page: int = 1, per_page: int = PAGE_SIZE) -> Page:
    """One page of the registry a user may see; a fixed number of queries whatever the rows."""
    query = scoped(select(Entrepreneur), user)
    if filters.q:
        text = filters.q.strip()
        conditions = [text_matches(text)]
        rut_digits = re.sub(r"[^0-9kK]", "", text)
        if len(rut_digits) >= 3 and rut_digits[:-1].isdigit():
            conditions.append(Entrepreneur.rut.like(f"{rut_digits[:-1]}%"))
            conditions.append(Entrepreneur.rut.like(f"{rut_digits}%"))
        query = query.where(or_(*conditions))
    if filters.category_id:
        query = query.where(Entrepreneur.category_id == filters.category_id)
    for need in filters.needs:
        if need in _NEED_COLUMNS:
            query = query.where(_NEED_COLUMNS[need].is_(True))
    if filters.commune_id and policy.commune_scope(user) is None:
        query = query.where(Entrepreneur.commune_id == filters.commune_id)
    if filters.status == "active":
        query = query.where(Entrepreneur.active.is_(True))
    elif filters.status == "inactive":
        query = query.where(Entrepreneur.active.is_(False))
    if filters.participated in ("yes", "no"):
        this_year = (
            select(Nomination.entrepreneur_id)
            .join(Slot, Slot.id == Nomination.slot_id)
            .where(Nomination.state == NominationState.ATTENDED, Slot.year == filters.year)
        )
        column = Entrepreneur.id
        query = query.where(
            column.in_(this_year) if filters.participated == "yes" else column.not_in(this_year)
        )
    total = db.session.execute(
        select(func.count()).select_from(query.order_by(None).subquery())
    ).scalar_one()
    page = max(1, min(page, max(1, math.ceil(total / per_page))))
    items = list(
        db.session.execute(
            query.options(selectinload(Entrepreneur.category), selectinload(Entrepreneur.commune))
            .order_by(func.lower(Entrepreneur.business_name), Entrepreneur.id)
            .limit(per_page)
            .offset((page - 1) * per_page)
        ).scalars()
    )
    return Page(items, total, page, per_page, participation([e.id for e in items]))


def text_matches(text: str):
    """Every word typed is in the business name, owner or e-mail, ignoring case and accents:
    "penuelas" finds "Peñuelas", "ÑANDÚ tejidos" finds "Tejidos Ñandú"."""
    words = textfold.fold(text).split()
    return and_(
        *(Entrepreneur.search_text.like(f"%{_escape_like(word)}%", escape="\\") for word in words),
        true(),
    )


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# --- categories (admins keep the list) ------------------------------------------------------


def active_categories() -> list[Category]:
    return list(
        db.session.execute(
            select(Category).where(Category.active.is_(True)).order_by(Category.name)
        ).scalars()
    )


def all_categories() -> list[Category]:
    return list(db.session.execute(select(Category).order_by(Category.name)).scalars())


def _slugify(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", fold(name)).strip("-")[:60]


def save_category(
    category: Category | None,
    *,
    name: str,
    requires_food_permit: bool,
    active: bool,
    by: User,
) -> Category:
    if not by.is_admin:
        raise NotAllowed(_("Solo un administrador puede editar las categorías."))
    name = name.strip()
    if not name or not _slugify(name):
        raise Invalid(_("Escriba el nombre de la categoría."), field="name")
    clash = db.session.execute(
        select(Category).where(
            or_(func.lower(Category.name) == name.lower(), Category.slug == _slugify(name))
        )
    ).scalar_one_or_none()
    if clash is not None and clash is not category:
        raise Conflict(_("Ya existe la categoría «%(name)s».", name=clash.name), field="name")
    before = None
    if category is None:
        category = Category(slug=_slugify(name))
        db.session.add(category)
    else:
        before = {
            "name": category.name,
            "requires_food_permit": category.requires_food_permit,
            "active": category.active,
        }
    category.name = name
    category.requires_food_permit = requires_food_permit
    category.active = active
    db.session.flush()
    audit.record(
        "category.update" if before else "category.create",
        category,
        actor=by,
        before=before,
        after={"name": name, "requires_food_permit": requires_food_permit, "active": active},
    )
    return category
