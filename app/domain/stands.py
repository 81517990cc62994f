"""The venue's stands: creating and editing them, closing them for a period, placing them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import Select, func, select

from app.domain import audit
from app.domain.errors import Conflict, Invalid, NotAllowed
from app.extensions import db
from app.models import Commune, Stand, StandClosure, User, Venue

CODE_RE = re.compile(r"^[A-Z0-9][A-Z0-9-]{0,19}$")
MAP_WIDTH, MAP_HEIGHT = 900, 300  # the stand map's SVG coordinate space


@dataclass(frozen=True)
class MapMark:
    """A stand coloured on the map by its commune, with the name its tooltip shows."""

    commune: Commune
    label: str


def _require(by: User) -> None:
    if not by.is_coordinator:
        raise NotAllowed(_("Solo los coordinadores del mall administran los stands."))


def _snapshot(stand: Stand) -> dict:
    return {
        "code": stand.code,
        "location": stand.location,
        "area_m2": stand.area_m2,
        "has_power": stand.has_power,
        "food_allowed": stand.food_allowed,
        "active": stand.active,
    }


def save_stand(
    venue: Venue,
    *,
    by: User,
    code: str,
    location: str,
    area_m2: int | None,
    has_power: bool,
    food_allowed: bool,
    active: bool,
    stand: Stand | None = None,
) -> Stand:
    _require(by)
    code = code.strip().upper()
    if not CODE_RE.match(code):
        raise Invalid(
            _("El código «%(c)s» no es válido: use letras, números y guiones (ej. E-07).", c=code),
            field="code",
        )
    if area_m2 is not None and area_m2 <= 0:
        raise Invalid(_("La superficie debe ser mayor que cero."), field="area_m2")
    taken = db.session.execute(
        select(func.count()).where(
            Stand.venue_id == venue.id,
            Stand.code == code,
            Stand.id != (stand.id if stand else -1),
        )
    ).scalar_one()
    if taken:
        raise Conflict(_("Ya existe un stand con el código %(c)s.", c=code), field="code")
    before = _snapshot(stand) if stand else None
    if stand is None:
        stand = Stand(venue=venue)
        db.session.add(stand)
    stand.code = code
    stand.location = location.strip()
    stand.area_m2 = area_m2
    stand.has_power = has_power
    stand.food_allowed = food_allowed
    stand.active = active
    db.session.flush()
    audit.record(
        "stand.update" if before else "stand.create",
        stand,
        actor=by,
        before=before,
        after=_snapshot(stand),
    )
    return stand


def close_stand(
    stand: Stand, *, starts_on: date, ends_on: date, reason: str, by: User
) -> StandClosure:
    """Takes a stand out of service for a period; weeks in it offer one stand less."""
    _require(by)
    if ends_on < starts_on:
        raise Invalid(_("La fecha de término es anterior a la de inicio."), field="ends_on")
    if not reason.strip():
        raise Invalid(_("Indique el motivo del cierre."), field="reason")
    closure = StandClosure(stand=stand, starts_on=starts_on, ends_on=ends_on, reason=reason.strip())
    db.session.add(closure)
    db.session.flush()
    audit.record(
        "stand.close",
        stand,
        actor=by,
        after={"starts_on": starts_on.isoformat(), "ends_on": ends_on.isoformat()},
        reason=reason.strip(),
    )
    return closure


def reopen_stand(closure: StandClosure, *, by: User) -> None:
    _require(by)
    audit.record(
        "stand.reopen",
        closure.stand,
        actor=by,
        before={"starts_on": closure.starts_on.isoformat(), "ends_on": closure.ends_on.isoformat()},
    )
    db.session.delete(closure)
    db.session.flush()


def place_stand(stand: Stand, x: int, y: int, *, by: User) -> None:
    _require(by)
    if not (0 <= x <= MAP_WIDTH and 0 <= y <= MAP_HEIGHT):
        raise Invalid(_("La posición queda fuera del plano."))
    stand.map_x, stand.map_y = x, y
    db.session.flush()


def open_during(venue_id: int, start: date, end: date) -> Select:
    """Active stands of the venue not closed at any point of [start, end]: one definition of
    a week's capacity for the planner and the review alike."""
    closed = select(StandClosure.stand_id).where(
        StandClosure.starts_on <= end, StandClosure.ends_on >= start
    )
    return select(Stand).where(
        Stand.venue_id == venue_id, Stand.active.is_(True), Stand.id.not_in(closed)
    )


def closed_on(venue_id: int, start: date, end: date) -> dict[int, StandClosure]:
    """Stands closed at some point of [start, end], with the closure that applies."""
    rows = db.session.execute(
        select(StandClosure)
        .join(Stand)
        .where(
            Stand.venue_id == venue_id, StandClosure.starts_on <= end, StandClosure.ends_on >= start
        )
    ).scalars()
    return {c.stand_id: c for c in rows}
