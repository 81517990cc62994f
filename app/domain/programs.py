"""Programs going on: extending one into later years, or starting the next one at the venue."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from app import clock
from app.domain import audit, policy
from app.domain.errors import Conflict, DomainError, Invalid
from app.domain.rotation import PlanPreview, generate_slots, plan_year
from app.domain.rotation_settings import check_rule
from app.extensions import db
from app.models import AllocationMode, Program, Slot, User, Venue, WeekRule

# A rotation is agreed with the communes a few years ahead at most; a year beyond this is a
# typo (2207 for 2027), not a plan.
MAX_YEARS_AHEAD = 5

# What a new program copies from the one before it, and the values when there is none.
DEFAULT_SETTINGS: dict[str, Any] = {
    "mode": AllocationMode.HOST,
    "week_rule": WeekRule.NTH_FULL_WEEK,
    "week_rule_n": 2,
    "week_rule_weekday": 0,
    "week_start_weekday": 0,
    "week_length_days": 7,
    "nominations_close_days": 14,
    "max_weeks_per_entrepreneur_year": 2,
}
SETTINGS = tuple(DEFAULT_SETTINGS)


@dataclass
class ProgramChange:
    """What extending or starting a program did: its new weeks and each year's plan."""

    program: Program
    created: list[Slot] = field(default_factory=list)
    plans: list[PlanPreview] = field(default_factory=list)

    @property
    def years(self) -> list[int]:
        return [p.year for p in self.plans]


def _require_coordinator(by: User | None) -> None:
    # `by` is None for the command line: whoever runs it already holds the server.
    if by is not None:
        policy.require(
            policy.runs_the_mall(by),
            _("Solo los coordinadores del mall extienden o crean programas."),
        )


def _latest_year() -> int:
    return clock.today().year + MAX_YEARS_AHEAD


def _lock_venue(venue_id: int) -> None:
    """Two coordinators adding years at once must not both find the years free (PostgreSQL;
    SQLite's writing transactions already take turns)."""
    db.session.execute(select(Venue.id).where(Venue.id == venue_id).with_for_update())


def _overlapping(venue_id: int, starts_on: date, ends_on: date, *, other_than: int | None = None):
    query = select(Program).where(
        Program.venue_id == venue_id, Program.starts_on <= ends_on, Program.ends_on >= starts_on
    )
    if other_than is not None:
        query = query.where(Program.id != other_than)
    return db.session.execute(query.order_by(Program.starts_on).limit(1)).scalar_one_or_none()


def years_text(program: Program) -> str:
    first, last = program.starts_on.year, program.ends_on.year
    return str(first) if first == last else f"{first}–{last}"


def _taken(other: Program, field: str) -> Conflict:
    return Conflict(
        _(
            "Esos años ya son de «%(name)s» (%(years)s), otro programa de este mall.",
            name=other.name,
            years=years_text(other),
        ),
        field=field,
    )


def _first_new_year(program: Program) -> int:
    """The first year an extension adds: a program that stopped before December gets the rest
    of that year too."""
    end = program.ends_on
    return end.year if end < date(end.year, 12, 31) else end.year + 1


def extension_problem(program: Program, until_year: int) -> DomainError | None:
    """Why the program cannot be extended to cover up to `until_year`, or None.

    The year page asks this before it offers the button, so the button shows only when
    extending would work.
    """
    old_end = program.ends_on
    if until_year > _latest_year():
        return Invalid(
            _("Se planifica a lo más hasta %(year)d.", year=_latest_year()), field="year"
        )
    if until_year < old_end.year:
        return Invalid(
            _(
                "Un programa no se acorta: «%(name)s» ya cubre hasta %(year)d.",
                name=program.name,
                year=old_end.year,
            ),
            field="year",
        )
    new_end = date(until_year, 12, 31)
    if new_end == old_end:
        return Invalid(
            _("«%(name)s» ya cubre %(year)d.", name=program.name, year=until_year), field="year"
        )
    if _first_new_year(program) < clock.today().year:
        return Conflict(
            _(
                "«%(name)s» terminó en %(year)d: para seguir, cree un programa nuevo.",
                name=program.name,
                year=old_end.year,
            ),
            field="year",
        )
    other = _overlapping(
        program.venue_id, old_end + timedelta(days=1), new_end, other_than=program.id
    )
    if other is not None:
        return _taken(other, "year")
    return None


def _generate_and_plan(program: Program, years: range, by: User | None) -> ProgramChange:
    change = ProgramChange(program)
    for year in years:
        change.created += generate_slots(program, year, by=by).created
        # Year by year: each plan reads the balance the years before it left.
        change.plans.append(plan_year(program, year, by=by, apply=True))
    return change


def extend_program(program: Program, *, until_year: int, by: User | None) -> ProgramChange:
    """Moves the program's end to 31 December of `until_year`, then generates and plans the
    new years' weeks. The balance of its earlier years carries on into them."""
    _require_coordinator(by)
    _lock_venue(program.venue_id)
    db.session.refresh(program)  # its end as another coordinator may have just moved it
    problem = extension_problem(program, until_year)
    if problem is not None:
        raise problem
    old_end = program.ends_on
    first = _first_new_year(program)
    program.ends_on = date(until_year, 12, 31)
    db.session.flush()
    change = _generate_and_plan(program, range(first, until_year + 1), by)
    audit.record(
        "program.extend",
        program,
        actor=by,
        before={"ends_on": old_end.isoformat()},
        after={"ends_on": program.ends_on.isoformat(), "weeks": len(change.created)},
    )
    db.session.flush()
    return change


def previous_program(venue: Venue, starts_on: date) -> Program | None:
    """The venue's program that ended last before `starts_on`."""
    return db.session.execute(
        select(Program)
        .where(Program.venue_id == venue.id, Program.ends_on < starts_on)
        .order_by(Program.ends_on.desc(), Program.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def start_program(
    venue: Venue,
    *,
    name: str,
    starts_on: date,
    ends_on: date,
    copy_from: Program | None = None,
    by: User | None,
    **settings: Any,
) -> ProgramChange:
    """Creates a program at the venue, then generates and plans its weeks.

    Its rule (week, mode, deadlines, weeks per entrepreneur) is copied from `copy_from`, by
    default the venue's program that ended just before, unless given in `settings`. Its first
    year starts with the balance the programs before it left (rotation.inherited_balance).
    """
    _require_coordinator(by)
    name = name.strip()
    if not name:
        raise Invalid(_("Indique el nombre del programa."), field="name")
    if len(name) > 120:
        raise Invalid(_("El nombre admite hasta 120 caracteres."), field="name")
    unknown = set(settings) - set(SETTINGS)
    if unknown:
        raise ValueError(f"unknown program settings: {sorted(unknown)}")
    if ends_on <= starts_on:
        raise Invalid(_("El programa debe terminar después de empezar."), field="ends_on")
    if starts_on.year < clock.today().year:
        raise Invalid(
            _("Un programa nuevo empieza desde %(year)d.", year=clock.today().year),
            field="starts_on",
        )
    if ends_on.year > _latest_year():
        raise Invalid(
            _("Se planifica a lo más hasta %(year)d.", year=_latest_year()), field="ends_on"
        )
    _lock_venue(venue.id)
    other = _overlapping(venue.id, starts_on, ends_on)
    if other is not None:
        raise _taken(other, "starts_on")
    source = copy_from or previous_program(venue, starts_on)
    values = {k: getattr(source, k) for k in SETTINGS} if source else dict(DEFAULT_SETTINGS)
    values.update({k: v for k, v in settings.items() if v is not None})
    try:
        values["mode"] = AllocationMode(values["mode"])
        values["week_rule"] = WeekRule(values["week_rule"])
    except ValueError as exc:
        raise Invalid(_("El reparto o la regla de la semana no existe."), field="mode") from exc
    check_rule(
        week_rule_n=values["week_rule_n"],
        week_length_days=values["week_length_days"],
        nominations_close_days=values["nominations_close_days"],
        max_weeks_per_entrepreneur_year=values["max_weeks_per_entrepreneur_year"],
    )
    if not all(0 <= values[k] <= 6 for k in ("week_rule_weekday", "week_start_weekday")):
        raise Invalid(_("El día de la semana debe estar entre lunes y domingo."))
    program = Program(venue=venue, name=name, starts_on=starts_on, ends_on=ends_on, **values)
    db.session.add(program)
    db.session.flush()
    audit.record(
        "program.create",
        program,
        actor=by,
        after={
            "name": name,
            "starts_on": starts_on.isoformat(),
            "ends_on": ends_on.isoformat(),
            "copied_from": source.id if source else None,
            **{k: v.value if hasattr(v, "value") else v for k, v in values.items()},
        },
    )
    return _generate_and_plan(program, range(starts_on.year, ends_on.year + 1), by)
