"""Changing a program's rule and constraints: week rule, weights, blackouts, unavailability."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.domain import audit, policy
from app.domain.errors import Conflict, Invalid, NotAllowed
from app.domain.rotation import (
    GenerationResult,
    deadline_for,
    generate_slots,
    overlapping_slot,
    week_label,
)
from app.extensions import db
from app.models import (
    AllocationMode,
    Blackout,
    Commune,
    CommuneUnavailability,
    Program,
    Slot,
    SlotState,
    User,
    WeekRule,
)


def _require_coordinator(by: User) -> None:
    policy.require(
        policy.runs_the_mall(by), _("Solo los coordinadores del mall cambian la rotación.")
    )


def _check_month(year: int, month: int, program: Program) -> None:
    if not 1 <= month <= 12:
        raise Invalid(_("El mes debe estar entre 1 y 12."), field="month")
    if not program.starts_on.year <= year <= program.ends_on.year:
        raise Invalid(
            _("El programa cubre %(a)d–%(b)d.", a=program.starts_on.year, b=program.ends_on.year),
            field="year",
        )


def check_rule(
    *,
    week_rule_n: int,
    week_length_days: int,
    nominations_close_days: int,
    max_weeks_per_entrepreneur_year: int,
) -> None:
    """The limits of a program's rule, for a rule changed or copied into a new program."""
    if not 1 <= week_rule_n <= 5:
        raise Invalid(_("N debe estar entre 1 y 5."), field="week_rule_n")
    if not 1 <= week_length_days <= 7:
        raise Invalid(_("Una semana dura entre 1 y 7 días."), field="week_length_days")
    if not 0 <= nominations_close_days <= 90:
        raise Invalid(_("El plazo debe estar entre 0 y 90 días."), field="nominations_close_days")
    if max_weeks_per_entrepreneur_year < 1:
        raise Invalid(_("Debe permitir al menos una semana por año."), field="max_weeks")


def update_rule(
    program: Program,
    *,
    by: User,
    mode: AllocationMode,
    week_rule: WeekRule,
    week_rule_n: int,
    week_rule_weekday: int,
    week_start_weekday: int,
    week_length_days: int,
    nominations_close_days: int,
    max_weeks_per_entrepreneur_year: int,
) -> list[GenerationResult]:
    """Saves the rule and realigns every year's weeks (never moving nominated ones)."""
    _require_coordinator(by)
    check_rule(
        week_rule_n=week_rule_n,
        week_length_days=week_length_days,
        nominations_close_days=nominations_close_days,
        max_weeks_per_entrepreneur_year=max_weeks_per_entrepreneur_year,
    )
    before = {
        "mode": program.mode.value,
        "week_rule": program.week_rule.value,
        "n": program.week_rule_n,
        "weekday": program.week_rule_weekday,
        "week_start": program.week_start_weekday,
        "length": program.week_length_days,
        "close_days": program.nominations_close_days,
        "max_weeks": program.max_weeks_per_entrepreneur_year,
    }
    if mode is not program.mode:
        started = db.session.execute(
            select(Slot.id).where(Slot.program_id == program.id, Slot.state != SlotState.PLANNED)
        ).first()
        if started:
            raise Conflict(
                _("El modo de reparto no se cambia con semanas ya en nominación o realizadas."),
                field="mode",
            )
    program.mode = mode
    program.week_rule = week_rule
    program.week_rule_n = week_rule_n
    program.week_rule_weekday = week_rule_weekday
    program.week_start_weekday = week_start_weekday
    program.week_length_days = week_length_days
    program.nominations_close_days = nominations_close_days
    program.max_weeks_per_entrepreneur_year = max_weeks_per_entrepreneur_year
    db.session.flush()
    after = {
        "mode": mode.value,
        "week_rule": week_rule.value,
        "n": week_rule_n,
        "weekday": week_rule_weekday,
        "week_start": week_start_weekday,
        "length": week_length_days,
        "close_days": nominations_close_days,
        "max_weeks": max_weeks_per_entrepreneur_year,
    }
    audit.record("program.update", program, actor=by, before=before, after=after)
    results = []
    for year in range(program.starts_on.year, program.ends_on.year + 1):
        results.append(generate_slots(program, year, by=by))
        # Deadlines follow the new lead time for weeks still taking or awaiting nominations.
        for slot in program.slots:
            if slot.year == year and slot.state in SlotState.REPLANNABLE:
                slot.nominations_deadline = deadline_for(program, slot.starts_on)
    return results


def set_weights(weights: dict[int, str], *, by: User) -> None:
    _require_coordinator(by)
    communes = {c.id: c for c in db.session.execute(select(Commune)).scalars()}
    for commune_id, raw in weights.items():
        try:
            value = Decimal(raw.replace(",", ".").strip())
        except InvalidOperation as exc:
            raise Invalid(_("El peso «%(v)s» no es un número.", v=raw)) from exc
        # NaN and infinities parse as Decimals, and comparing NaN raises: refuse them first.
        if not value.is_finite() or not Decimal("0.1") <= value <= Decimal("1000"):
            raise Invalid(_("Cada peso debe estar entre 0,1 y 1000."))
        commune = communes.get(commune_id)
        if commune is None:
            raise Invalid(_("Esa comuna no existe."))
        if commune.weight != value:
            audit.record(
                "commune.weight",
                commune,
                actor=by,
                before={"weight": str(commune.weight)},
                after={"weight": str(value)},
                commune_id=commune.id,
            )
            commune.weight = value
    db.session.flush()


def add_blackout(program: Program, year: int, month: int, *, by: User, reason: str) -> Blackout:
    _require_coordinator(by)
    _check_month(year, month, program)
    exists = db.session.execute(
        select(Blackout.id).where(
            Blackout.program_id == program.id, Blackout.year == year, Blackout.month == month
        )
    ).first()
    if exists:
        raise Conflict(_("Ese mes ya está bloqueado."))
    blackout = Blackout(program_id=program.id, year=year, month=month, reason=reason.strip())
    db.session.add(blackout)
    db.session.flush()
    audit.record(
        "program.blackout",
        blackout,
        actor=by,
        after={"year": year, "month": month},
        reason=reason.strip(),
    )
    return blackout


def remove_blackout(blackout: Blackout, *, by: User) -> None:
    _require_coordinator(by)
    audit.record(
        "program.blackout_remove",
        blackout,
        actor=by,
        before={"year": blackout.year, "month": blackout.month},
    )
    db.session.delete(blackout)
    db.session.flush()


def add_unavailability(
    program: Program, commune: Commune, year: int, month: int, *, by: User, reason: str
) -> CommuneUnavailability:
    if not policy.can_edit_unavailability(by, commune.id):
        raise NotAllowed(_("Solo puede declarar meses no disponibles de su comuna."))
    _check_month(year, month, program)
    exists = db.session.execute(
        select(CommuneUnavailability.id).where(
            CommuneUnavailability.program_id == program.id,
            CommuneUnavailability.commune_id == commune.id,
            CommuneUnavailability.year == year,
            CommuneUnavailability.month == month,
        )
    ).first()
    if exists:
        raise Conflict(_("Ese mes ya figura como no disponible para %(c)s.", c=commune.name))
    row = CommuneUnavailability(
        program_id=program.id, commune_id=commune.id, year=year, month=month, reason=reason.strip()
    )
    db.session.add(row)
    db.session.flush()
    audit.record(
        "commune.unavailable",
        row,
        actor=by,
        after={"year": year, "month": month},
        reason=reason.strip(),
        commune_id=commune.id,
    )
    return row


def remove_unavailability(row: CommuneUnavailability, *, by: User) -> None:
    if not policy.can_edit_unavailability(by, row.commune_id):
        raise NotAllowed(_("Solo puede declarar meses no disponibles de su comuna."))
    audit.record(
        "commune.available",
        row,
        actor=by,
        before={"year": row.year, "month": row.month},
        commune_id=row.commune_id,
    )
    db.session.delete(row)
    db.session.flush()


def move_slot(slot: Slot, starts_on: date, *, by: User, reason: str) -> Slot:
    """Moves one month's week by hand (a mall event, a holiday); regeneration then keeps it."""
    _require_coordinator(by)
    if not reason.strip():
        raise Invalid(_("Indique el motivo del cambio."), field="reason")
    if slot.state not in SlotState.REPLANNABLE:
        raise Conflict(_("Solo se mueven semanas planificadas o con nominaciones abiertas."))
    program = slot.program
    ends_on = starts_on + timedelta(days=program.week_length_days - 1)
    if not program.starts_on <= starts_on <= ends_on <= program.ends_on:
        raise Invalid(_("La nueva semana queda fuera del programa."), field="starts_on")
    if abs((starts_on - date(slot.year, slot.month, 15)).days) > 31:
        raise Invalid(_("La semana debe quedar cerca de su mes."), field="starts_on")
    other = overlapping_slot(program.venue_id, starts_on, ends_on, other_than=slot.id)
    if other is not None:
        raise Conflict(
            _("Esas fechas se cruzan con %(week)s.", week=week_label(other, seen_from=program)),
            field="starts_on",
        )
    # People already nominated planned around the old dates: moving stays allowed, and their
    # calendars hear of it through the bumped SEQUENCE.
    before = {"starts_on": slot.starts_on.isoformat(), "ends_on": slot.ends_on.isoformat()}
    slot.starts_on, slot.ends_on = starts_on, ends_on
    slot.manual_dates = True
    slot.nominations_deadline = deadline_for(program, starts_on)
    slot.sequence += 1
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as exc:
        # PostgreSQL's exclusion constraint: another week took these dates meanwhile.
        raise Conflict(
            _("Otra semana acaba de ocupar esas fechas. Recargue la página y elija otras."),
            field="starts_on",
        ) from exc
    audit.record(
        "slot.move",
        slot,
        actor=by,
        before=before,
        after={"starts_on": starts_on.isoformat(), "ends_on": ends_on.isoformat()},
        reason=reason.strip(),
        slot_id=slot.id,
    )
    return slot
