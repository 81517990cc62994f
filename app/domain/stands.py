"""The venue's stands: editing them, closing them for a period (moving who was on them), the map."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import Select, func, select
from sqlalchemy.orm import selectinload

from app.domain import audit, policy
from app.domain.errors import Conflict, Invalid
from app.extensions import db
from app.models import (
    Commune,
    Nomination,
    Program,
    Slot,
    SlotState,
    Stand,
    StandAssignment,
    StandClosure,
    User,
    Venue,
)

CODE_RE = re.compile(r"^[A-Z0-9][A-Z0-9-]{0,19}$")
MAP_WIDTH, MAP_HEIGHT = 900, 300  # the stand map's SVG coordinate space


@dataclass(frozen=True)
class MapMark:
    """A stand coloured on the map by its commune, with the name its tooltip shows."""

    commune: Commune
    label: str


def _require(by: User) -> None:
    policy.require(
        policy.runs_the_mall(by), _("Solo los coordinadores del mall administran los stands.")
    )


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


@dataclass(frozen=True)
class Displaced:
    """A person assigned to a stand in a week it is about to be closed for."""

    assignment: StandAssignment
    move_to: Stand | None  # the free stand that suits them that week; None when none does
    why_not: str | None = None  # why they cannot be moved, when they cannot

    @property
    def key(self) -> str:
        """What the coordinator saw and agreed to: this assignment, going to that stand."""
        return f"{self.assignment.id}:{self.move_to.id if self.move_to else ''}"


class ClosureNeedsConfirmation(Conflict):
    """Closing would take the stand from people assigned to it: the coordinator sees who, and
    where each would go, before agreeing."""

    def __init__(self, message: str, displaced: list[Displaced]):
        super().__init__(message)
        self.displaced = displaced


@dataclass
class ClosureResult:
    closure: StandClosure
    moved: list[tuple[Displaced, StandAssignment]] = field(default_factory=list)
    left: list[Displaced] = field(default_factory=list)  # still on the closed stand


def displaced_by(stand: Stand, starts_on: date, ends_on: date) -> list[Displaced]:
    """Live assignments on the stand in weeks crossing [starts_on, ends_on] that are not over
    (nor cancelled), each with the free stand the review's matching would give instead."""
    from app.domain import review  # review builds on this module's open_during

    assignments = db.session.execute(
        select(StandAssignment)
        .join(Slot, Slot.id == StandAssignment.slot_id)
        .where(
            StandAssignment.stand_id == stand.id,
            StandAssignment.released_at.is_(None),
            Slot.starts_on <= ends_on,
            Slot.ends_on >= starts_on,
            Slot.state.not_in((SlotState.COMPLETED, SlotState.CANCELLED)),
        )
        .options(
            selectinload(StandAssignment.slot),
            selectinload(StandAssignment.nomination).selectinload(Nomination.entrepreneur),
            selectinload(StandAssignment.nomination).selectinload(Nomination.commune),
        )
        .order_by(Slot.starts_on)
    ).scalars()
    displaced = []
    for assignment in assignments:
        slot = assignment.slot
        taken = {a.stand_id for a in review.live_assignments(slot.id)}
        free = [s for s in review.open_stands(slot) if s.id not in taken and s.id != stand.id]
        entrepreneur = assignment.nomination.entrepreneur
        move_to = review.match_stand(free, entrepreneur)
        why_not = None if move_to else review.no_stand_message(entrepreneur)
        displaced.append(Displaced(assignment, move_to, why_not))
    return displaced


def _lock_weeks(venue_id: int, starts_on: date, ends_on: date) -> None:
    """Row-locks the venue's weeks crossing the period (in id order, as every path locks one
    slot): an approval waiting on one then sees the closure and picks another stand."""
    db.session.execute(
        select(Slot.id)
        .where(
            Slot.program_id.in_(select(Program.id).where(Program.venue_id == venue_id)),
            Slot.starts_on <= ends_on,
            Slot.ends_on >= starts_on,
        )
        .order_by(Slot.id)
        .with_for_update()
    ).all()


def close_stand(
    stand: Stand,
    *,
    starts_on: date,
    ends_on: date,
    reason: str,
    by: User,
    confirmed: Collection[str] | None = None,
) -> ClosureResult:
    """Takes a stand out of service for a period; weeks in it offer one stand less.

    People assigned to the stand in a week of the period are moved, each to a free stand that
    suits them, by the review's own stand change (so calendars and the audit hear of it) —
    once the coordinator has seen who and where: `confirmed` holds the keys of the list they
    saw. Without it, or when the list changed meanwhile, ClosureNeedsConfirmation carries the
    list instead and nothing is written. Those no free stand suits stay on the closed stand,
    listed in the result for the coordinator to resolve.
    """
    from app.domain import review  # review builds on this module's open_during

    _require(by)
    if ends_on < starts_on:
        raise Invalid(_("La fecha de término es anterior a la de inicio."), field="ends_on")
    if not reason.strip():
        raise Invalid(_("Indique el motivo del cierre."), field="reason")
    _lock_weeks(stand.venue_id, starts_on, ends_on)
    displaced = displaced_by(stand, starts_on, ends_on)
    if displaced and sorted(d.key for d in displaced) != sorted(confirmed or ()):
        if confirmed is None:
            message = ngettext(
                "El stand %(code)s tiene %(num)d persona asignada en esas fechas.",
                "El stand %(code)s tiene %(num)d personas asignadas en esas fechas.",
                len(displaced),
                code=stand.code,
            )
        else:
            message = _(
                "Las asignaciones del stand %(code)s cambiaron mientras las revisaba: "
                "revise la lista de nuevo.",
                code=stand.code,
            )
        raise ClosureNeedsConfirmation(message, displaced)
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
    result = ClosureResult(closure)
    for item in displaced:
        if item.move_to is None:
            result.left.append(item)
        else:
            moved = review.reassign(item.assignment.nomination, item.move_to, by=by)
            result.moved.append((item, moved))
    return result


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
