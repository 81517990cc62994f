"""Programs and their slots: generating a year's weeks from the program's rule."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select, text
from sqlalchemy.orm import selectinload

from app.clock import VENUE_TZ
from app.domain import audit, policy, weeks
from app.domain.errors import Conflict, Invalid, NotAllowed
from app.domain.rotation_planner import (
    CommuneInput,
    Plan,
    SlotInput,
    plan_host_rotation,
    plan_shared,
)
from app.domain.stands import open_during
from app.extensions import db
from app.i18n import fmt_week, month_name
from app.models import (
    AllocationMode,
    Blackout,
    Commune,
    CommuneUnavailability,
    Nomination,
    NominationState,
    Program,
    Slot,
    SlotAllocation,
    SlotState,
    SlotSwap,
    SwapState,
    User,
)
from app.models.rotation import SLOT_DATES_CONSTRAINT


@dataclass
class GenerationResult:
    created: list[Slot] = field(default_factory=list)
    moved: list[tuple[Slot, date, date]] = field(default_factory=list)  # slot, old start, old end
    kept: list[tuple[Slot, str]] = field(default_factory=list)  # slot left alone, and why


def deadline_for(program: Program, starts_on: date) -> datetime:
    """Nominations close at 23:59 mall time, N days before the week starts."""
    day = starts_on - timedelta(days=program.nominations_close_days)
    return datetime.combine(day, time(23, 59), tzinfo=VENUE_TZ)


def open_stand_count(venue_id: int, starts_on: date, ends_on: date) -> int:
    open_stands = open_during(venue_id, starts_on, ends_on).subquery()
    return db.session.execute(select(func.count()).select_from(open_stands)).scalar_one()


def generate_slots(program: Program, year: int, *, by: User | None) -> GenerationResult:
    """Creates the year's missing monthly slots and realigns those whose rule changed.

    Idempotent. Never moves a slot that has nominations, was moved by hand, is past planning,
    or whose new dates would cross a week that stays where it is (one moved by hand, say):
    those are reported as kept, with the reason.
    """
    result = GenerationResult()
    existing = {
        s.month: s
        for s in db.session.execute(
            select(Slot).where(Slot.program_id == program.id, Slot.year == year)
        ).scalars()
    }
    nominated = set(
        db.session.execute(
            select(Nomination.slot_id).where(
                Nomination.slot_id.in_([s.id for s in existing.values()])
            )
        ).scalars()
    )
    targets: dict[int, tuple[date, date]] = {}  # month -> the rule's week, to create or move to
    for month in range(1, 13):
        starts_on, ends_on = weeks.week_for(
            program.week_rule,
            year,
            month,
            n=program.week_rule_n,
            weekday=program.week_rule_weekday,
            week_start=program.week_start_weekday,
            length=program.week_length_days,
        )
        slot = existing.get(month)
        if starts_on < program.starts_on or ends_on > program.ends_on:
            if slot is not None and (slot.starts_on, slot.ends_on) != (starts_on, ends_on):
                result.kept.append((slot, "outside"))  # the rule's week spills out of the program
            continue
        if slot is None:
            targets[month] = (starts_on, ends_on)
        elif (slot.starts_on, slot.ends_on) == (starts_on, ends_on):
            continue
        elif slot.manual_dates:
            result.kept.append((slot, "manual"))
        elif slot.id in nominated:
            result.kept.append((slot, "nominations"))
        elif slot.state is not SlotState.PLANNED:
            result.kept.append((slot, "state"))
        else:
            targets[month] = (starts_on, ends_on)
    _keep_weeks_that_would_cross(program, year, existing, targets, result)

    with _slot_dates_checked_at_end():
        for month, (starts_on, ends_on) in targets.items():
            slot = existing.get(month)
            if slot is None:
                result.created.append(_create_slot(program, year, month, starts_on, ends_on, by=by))
                continue
            old = (slot.starts_on, slot.ends_on)
            slot.starts_on, slot.ends_on = starts_on, ends_on
            slot.nominations_deadline = deadline_for(program, starts_on)
            slot.sequence += 1
            audit.record(
                "slot.move",
                slot,
                actor=by,
                before={"starts_on": old[0].isoformat(), "ends_on": old[1].isoformat()},
                after={"starts_on": starts_on.isoformat(), "ends_on": ends_on.isoformat()},
                slot_id=slot.id,
            )
            result.moved.append((slot, *old))
        db.session.flush()
    return result


def _create_slot(
    program: Program, year: int, month: int, starts_on: date, ends_on: date, *, by: User | None
) -> Slot:
    slot = Slot(
        program=program,
        year=year,
        month=month,
        starts_on=starts_on,
        ends_on=ends_on,
        state=SlotState.PLANNED,
        capacity=open_stand_count(program.venue_id, starts_on, ends_on),
        nominations_deadline=deadline_for(program, starts_on),
        sequence=0,
    )
    db.session.add(slot)
    db.session.flush()
    audit.record(
        "slot.create",
        slot,
        actor=by,
        after={"starts_on": starts_on.isoformat(), "ends_on": ends_on.isoformat()},
        slot_id=slot.id,
    )
    return slot


def _keep_weeks_that_would_cross(
    program: Program,
    year: int,
    existing: dict[int, Slot],
    targets: dict[int, tuple[date, date]],
    result: GenerationResult,
) -> None:
    """Drops from `targets` the weeks whose new dates cross a week of the program that stays
    where it is (the database refuses two such weeks; other programs at the venue are kept
    apart by their own dates).

    A week kept at its dates may be crossed by another's new dates in turn, so this repeats
    until nothing changes. A week still to be created has no old dates to stay at: that is
    refused, naming the week in the way.
    """
    if not targets:
        return
    moving = {existing[m].id for m in targets if m in existing}
    first = min(start for start, _ in targets.values())
    last = max(end for _, end in targets.values())
    staying = [
        s
        for s in db.session.execute(
            select(Slot).where(
                Slot.program_id == program.id,
                Slot.state != SlotState.CANCELLED,
                Slot.starts_on <= last,
                Slot.ends_on >= first,
            )
        ).scalars()
        if s.id not in moving
    ]
    changed = True
    while changed:
        changed = False
        for month, (starts_on, ends_on) in sorted(targets.items()):
            other = next(
                (s for s in staying if s.starts_on <= ends_on and s.ends_on >= starts_on), None
            )
            if other is None:
                continue
            slot = existing.get(month)
            if slot is None:
                raise Conflict(
                    _(
                        "La semana de %(month)s %(year)d (%(week)s) se cruzaría con %(other)s: "
                        "mueva primero esa semana.",
                        month=month_name(month),
                        year=year,
                        week=fmt_week(starts_on, ends_on),
                        other=week_label(other, seen_from=program),
                    )
                )
            result.kept.append((slot, "overlap"))
            staying.append(slot)
            del targets[month]
            changed = True


@contextmanager
def _slot_dates_checked_at_end() -> Iterator[None]:
    """Weeks realigned one by one may cross a neighbour not yet moved; PostgreSQL checks the
    no-overlap constraint after the last one (at once, not at commit, so a failure stays a
    failure of this step)."""
    if db.session.connection().dialect.name != "postgresql":
        yield
        return
    db.session.execute(text(f"SET CONSTRAINTS {SLOT_DATES_CONSTRAINT} DEFERRED"))
    yield
    db.session.execute(text(f"SET CONSTRAINTS {SLOT_DATES_CONSTRAINT} IMMEDIATE"))


def overlapping_slot(
    venue_id: int, starts_on: date, ends_on: date, *, other_than: int | None = None
) -> Slot | None:
    """A live week of the venue, of any program, sharing a day with [starts_on, ends_on]."""
    query = (
        select(Slot)
        .join(Program)
        .where(
            Program.venue_id == venue_id,
            Slot.state != SlotState.CANCELLED,
            Slot.starts_on <= ends_on,
            Slot.ends_on >= starts_on,
        )
        .order_by(Slot.starts_on)
        .limit(1)
    )
    if other_than is not None:
        query = query.where(Slot.id != other_than)
    return db.session.execute(query).scalar_one_or_none()


def week_label(slot: Slot, *, seen_from: Program) -> str:
    """'la semana de marzo (9 al 15 de marzo de 2027)', naming its program when it is another."""
    if slot.program_id == seen_from.id:
        return _(
            "la semana de %(month)s (%(week)s)",
            month=month_name(slot.month),
            week=fmt_week(slot.starts_on, slot.ends_on),
        )
    return _(
        "la semana de %(month)s de %(program)s (%(week)s)",
        month=month_name(slot.month),
        program=slot.program.name,
        week=fmt_week(slot.starts_on, slot.ends_on),
    )


@dataclass
class SlotChange:
    slot: Slot
    before: dict[int, int]  # commune id -> stands
    after: dict[int, int]
    before_host: int | None
    after_host: int | None
    before_capacity: int
    after_capacity: int


@dataclass
class PlanPreview:
    """What a re-plan would do: the plan, and exactly the slots whose allocation changes."""

    program: Program
    year: int
    plan: Plan
    slots: list[Slot]
    changes: list[SlotChange]
    locked: dict[int, str]  # slot id -> why the planner left it as it is
    carry_in: dict[int, float]  # commune id -> balance brought from earlier years
    unavailable: dict[int, set[int]]  # commune id -> months it cannot take
    blackout_months: set[int]
    applied: bool = False
    inherited: Inheritance | None = None  # part of carry_in: the programs before this one
    swaps: dict[int, SlotSwap] = field(default_factory=dict)  # slot id -> swap that locks it


def _is_host_mode(program: Program) -> bool:
    return program.mode is AllocationMode.HOST


def assigned_units(program: Program, slot: Slot) -> dict[int, int]:
    """Turns (host mode) or stands (shared mode) each commune holds in this slot now."""
    if slot.state is SlotState.CANCELLED:
        return {}
    if _is_host_mode(program):
        return {a.commune_id: 1 for a in slot.allocations if a.is_host}
    return {a.commune_id: a.stands for a in slot.allocations if a.stands > 0}


def carry_in(
    program: Program,
    year: int,
    communes: list[Commune],
    *,
    inherited: Inheritance | None = None,
) -> dict[int, float]:
    """Each commune's balance from the program's earlier years: assigned minus its fair share,
    plus `inherited`, the balance of the programs that ran before it at the venue.

    Computed from the allocations as they stand (manual overrides and swaps included), so the
    balance explains what really happened, not what a plan once proposed.
    """
    total_weight = sum(float(c.weight) for c in communes) or 1.0
    balance = {c.id: 0.0 for c in communes}
    if inherited is not None:
        for commune_id in balance:
            balance[commune_id] += inherited.balance.get(commune_id, 0.0)
    earlier = db.session.execute(
        select(Slot)
        .where(Slot.program_id == program.id, Slot.year < year)
        .options(selectinload(Slot.allocations))
    ).scalars()
    for slot in earlier:
        units = assigned_units(program, slot)
        total = sum(units.values())
        for commune in communes:
            share = float(commune.weight) / total_weight
            balance[commune.id] += units.get(commune.id, 0) - share * total
    return balance


@dataclass
class Inheritance:
    """The balance a program starts with: that of the programs run before it at its venue."""

    program: Program  # the one that ended just before this one started
    balance: dict[int, float]  # commune id -> assigned minus fair share, in this program's unit
    # Some earlier program gave its weeks the other way (host vs shared): its weeks were
    # counted in this program's unit (see units_in).
    converted: bool


def units_in(mode: AllocationMode, slot: Slot) -> dict[int, float]:
    """A week's allocation counted in `mode`'s unit, whichever way the week was given.

    Stands: a hosted week counts the stands its host had. Turns: a shared week counts as one
    turn, split among its communes by their stands. So a balance carries over between a host
    program and a shared one without starting from zero.
    """
    if slot.state is SlotState.CANCELLED:
        return {}
    stands = {a.commune_id: a.stands for a in slot.allocations if a.stands > 0}
    if mode is AllocationMode.SHARED:
        return dict(stands)
    host = host_of(slot)
    if host is not None:
        return {host: 1}
    total = sum(stands.values())
    return {commune_id: n / total for commune_id, n in stands.items()}


def inherited_balance(program: Program, communes: list[Commune]) -> Inheritance | None:
    """Each commune's balance at the end of the programs run at the venue before this one.

    Fairness goes on across programs: the year after a program ends, the next one starts with
    its balance. The chain is followed back (each program's own start included what came
    before it), in three queries whatever its length.
    """
    earlier = db.session.execute(
        select(Program)
        .where(
            Program.venue_id == program.venue_id,
            Program.id != program.id,
            Program.ends_on < program.starts_on,
        )
        .order_by(Program.ends_on.desc(), Program.id.desc())
    ).scalars()
    chain: list[Program] = []
    for candidate in earlier:
        if not chain or candidate.ends_on < chain[-1].starts_on:
            chain.append(candidate)
    if not chain:
        return None
    total_weight = sum(float(c.weight) for c in communes) or 1.0
    balance = {c.id: 0.0 for c in communes}
    slots = db.session.execute(
        select(Slot)
        .where(Slot.program_id.in_([p.id for p in chain]))
        .options(selectinload(Slot.allocations))
    ).scalars()
    for slot in slots:
        units = units_in(program.mode, slot)
        total = sum(units.values())
        for commune in communes:
            share = float(commune.weight) / total_weight
            balance[commune.id] += units.get(commune.id, 0) - share * total
    converted = any(p.mode is not program.mode for p in chain)
    return Inheritance(chain[0], balance, converted)


def _lock_reason(slot: Slot, nominated: set[int], swapped: dict[int, SlotSwap]) -> str | None:
    if slot.state is SlotState.CANCELLED:
        return None  # blocked, not locked: it counts for nobody
    if slot.state is not SlotState.PLANNED:
        return "state"
    if slot.id in nominated:
        return "nominations"
    if slot.id in swapped:
        return "swap"  # two communes agreed and the mall approved: a re-plan does not undo it
    return None


def swapped_slots(slots: list[Slot]) -> dict[int, SlotSwap]:
    """The slots whose host is still the one an approved swap gave them, with that swap.

    A slot whose host was changed again afterwards (an override) is no longer the swap's.
    """
    ids = [s.id for s in slots]
    approved = db.session.execute(
        select(SlotSwap)
        .where(
            SlotSwap.state == SwapState.APPROVED,
            SlotSwap.slot_a_id.in_(ids) | SlotSwap.slot_b_id.in_(ids),
        )
        .options(selectinload(SlotSwap.from_commune), selectinload(SlotSwap.to_commune))
        .order_by(SlotSwap.id)  # a week's swaps follow one another: the last one counts
    ).scalars()
    given: dict[int, tuple[int, SlotSwap]] = {}
    for swap in approved:
        given[swap.slot_a_id] = (swap.to_commune_id, swap)
        given[swap.slot_b_id] = (swap.from_commune_id, swap)
    return {
        slot.id: given[slot.id][1]
        for slot in slots
        if slot.id in given and host_of(slot) == given[slot.id][0]
    }


def plan_year(program: Program, year: int, *, by: User | None, apply: bool) -> PlanPreview:
    """Runs the fair planner over the program's year; applies it only when asked.

    Slots already past planning (nominations open or later), holding nominations or still
    hosted as an approved swap left them are locked: they keep their communes and count
    towards fairness, and the rest is planned around them.
    """
    communes = list(db.session.execute(select(Commune).order_by(Commune.id)).scalars())
    slots = list(
        db.session.execute(
            select(Slot)
            .where(Slot.program_id == program.id, Slot.year == year)
            .options(selectinload(Slot.allocations))
            .order_by(Slot.starts_on)
        ).scalars()
    )
    blackout_months = set(
        db.session.execute(
            select(Blackout.month).where(Blackout.program_id == program.id, Blackout.year == year)
        ).scalars()
    )
    unavailable: dict[int, set[int]] = {c.id: set() for c in communes}
    for commune_id, month in db.session.execute(
        select(CommuneUnavailability.commune_id, CommuneUnavailability.month).where(
            CommuneUnavailability.program_id == program.id, CommuneUnavailability.year == year
        )
    ):
        unavailable.setdefault(commune_id, set()).add(month)
    nominated = set(
        db.session.execute(
            select(Nomination.slot_id).where(Nomination.slot_id.in_([s.id for s in slots]))
        ).scalars()
    )

    swapped = swapped_slots(slots) if _is_host_mode(program) else {}
    inherited = inherited_balance(program, communes)
    carry = carry_in(program, year, communes, inherited=inherited)
    total_weight = sum(float(c.weight) for c in communes) or 1.0
    locked: dict[int, str] = {}
    locked_units = {c.id: 0 for c in communes}
    free: list[Slot] = []
    for slot in slots:
        reason = _lock_reason(slot, nominated, swapped)
        if reason:
            locked[slot.id] = reason
            for commune_id, units in assigned_units(program, slot).items():
                locked_units[commune_id] = locked_units.get(commune_id, 0) + units
        else:
            free.append(slot)
    capacities = {
        s.id: (
            open_stand_count(program.venue_id, s.starts_on, s.ends_on)
            if s.id not in locked
            else s.capacity
        )
        for s in slots
    }

    def run(subset: list[Slot], carries: dict[int, float]) -> Plan:
        inputs = [
            SlotInput(
                key=str(s.id),
                month=s.month,
                capacity=capacities[s.id],
                blocked=s.state is SlotState.CANCELLED or s.month in blackout_months,
            )
            for s in subset
        ]
        commune_inputs = [
            CommuneInput(
                id=c.id,
                weight=float(c.weight),
                carry=carries[c.id],
                unavailable_months=frozenset(unavailable.get(c.id, ())),
            )
            for c in communes
        ]
        if _is_host_mode(program):
            before = _host_before(
                program, subset[0] if subset else None, inherited.program if inherited else None
            )
            return plan_host_rotation(commune_inputs, inputs, previous_host=before)
        return plan_shared(commune_inputs, inputs)

    # Re-planning must not churn: first plan the whole year as if nothing were locked. When
    # that plan agrees with every locked slot (nothing changed since it was applied), use it,
    # so an unchanged year re-plans to itself.
    plan = run(slots, carry)
    if any(_planned(plan, s) != _current(s) for s in slots if s.id in locked):
        # Locked slots are already given: fold them into the carry so the planner aims each
        # commune's remaining turns at its whole-year entitlement.
        locked_total = sum(locked_units.values())
        planner_carry = {
            c.id: carry[c.id] + locked_units[c.id] - float(c.weight) / total_weight * locked_total
            for c in communes
        }
        plan = run(free, planner_carry)

    changes = []
    for slot in free:
        before, before_host = _current(slot)
        after, after_host = _planned(plan, slot)
        if (before, before_host, slot.capacity) != (after, after_host, capacities[slot.id]):
            changes.append(
                SlotChange(
                    slot, before, after, before_host, after_host, slot.capacity, capacities[slot.id]
                )
            )
    preview = PlanPreview(
        program,
        year,
        plan,
        slots,
        changes,
        locked,
        carry,
        unavailable,
        blackout_months,
        inherited=inherited,
        swaps={slot_id: swapped[slot_id] for slot_id, why in locked.items() if why == "swap"},
    )
    if apply:
        for change in changes:
            change.slot.capacity = change.after_capacity
            set_allocations(
                change.slot,
                change.after,
                host_id=change.after_host,
                by=by,
                reason="plan",
                action="slot.plan",
            )
        preview.applied = True
    return preview


def _current(slot: Slot) -> tuple[dict[int, int], int | None]:
    return {a.commune_id: a.stands for a in slot.allocations if a.stands > 0}, host_of(slot)


def _planned(plan: Plan, slot: Slot) -> tuple[dict[int, int], int | None]:
    quotas = {cid: n for cid, n in plan.quotas.get(str(slot.id), {}).items() if n > 0}
    return quotas, plan.hosts.get(str(slot.id))


def _host_before(
    program: Program, slot: Slot | None, previous_program: Program | None = None
) -> int | None:
    """The host of the slot just before `slot`, so a turn is not given twice in a row (across
    the change to a new program too)."""
    if slot is None:
        return None
    programs = [program.id] + ([previous_program.id] if previous_program else [])
    previous = db.session.execute(
        select(Slot)
        .where(
            Slot.program_id.in_(programs),
            Slot.starts_on < slot.starts_on,
            Slot.state != SlotState.CANCELLED,
        )
        .options(selectinload(Slot.allocations))
        .order_by(Slot.starts_on.desc())
        .limit(1)
    ).scalar_one_or_none()
    if previous is None:
        return None
    return next((a.commune_id for a in previous.allocations if a.is_host), None)


def set_allocations(
    slot: Slot,
    quotas: dict[int, int],
    *,
    host_id: int | None,
    by: User | None,
    reason: str = "",
    action: str = "slot.allocate",
) -> None:
    before = {str(a.commune_id): a.stands for a in slot.allocations}
    before_host = next((a.commune_id for a in slot.allocations if a.is_host), None)
    existing = {a.commune_id: a for a in slot.allocations}
    for commune_id, allocation in existing.items():
        if commune_id not in quotas:
            slot.allocations.remove(allocation)
    for commune_id, stands in quotas.items():
        allocation = existing.get(commune_id)
        if allocation is None:
            slot.allocations.append(
                SlotAllocation(commune_id=commune_id, stands=stands, is_host=commune_id == host_id)
            )
        else:
            allocation.stands = stands
            allocation.is_host = commune_id == host_id
    slot.sequence += 1  # the week's description in calendars names its communes
    db.session.flush()
    audit.record(
        action,
        slot,
        actor=by,
        before={"quotas": before, "host": before_host},
        after={"quotas": {str(k): v for k, v in quotas.items()}, "host": host_id},
        reason=reason,
        slot_id=slot.id,
    )


def _check_overridable(slot: Slot, by: User) -> None:
    if not policy.runs_the_mall(by):
        raise NotAllowed(_("Solo los coordinadores del mall cambian la planificación."))
    if slot.state not in SlotState.REPLANNABLE:
        raise Conflict(_("Esta semana ya no se puede replanificar: sus nominaciones cerraron."))


def _communes_with_nominations(slot: Slot) -> set[int]:
    return set(
        db.session.execute(
            select(Nomination.commune_id).where(
                Nomination.slot_id == slot.id, Nomination.state.not_in(NominationState.RELEASED)
            )
        ).scalars()
    )


def override_host(slot: Slot, commune: Commune, *, by: User, reason: str) -> None:
    """A coordinator gives the whole week to another commune (host mode)."""
    _check_overridable(slot, by)
    if not reason.strip():
        raise Invalid(_("Indique el motivo del cambio."), field="reason")
    current = next((a.commune_id for a in slot.allocations if a.is_host), None)
    if current == commune.id:
        raise Conflict(_("%(commune)s ya es la comuna de esta semana.", commune=commune.name))
    if current is not None and current in _communes_with_nominations(slot):
        raise Conflict(
            _(
                "La comuna actual ya nominó emprendedores para esta semana: retire esas "
                "nominaciones antes de cambiar la comuna."
            )
        )
    set_allocations(
        slot,
        {commune.id: slot.capacity},
        host_id=commune.id,
        by=by,
        reason=reason.strip(),
        action="slot.override",
    )


def override_quotas(slot: Slot, quotas: dict[int, int], *, by: User, reason: str) -> None:
    """A coordinator sets each commune's stands in a shared week by hand."""
    _check_overridable(slot, by)
    if not reason.strip():
        raise Invalid(_("Indique el motivo del cambio."), field="reason")
    if any(n < 0 for n in quotas.values()):
        raise Invalid(_("Los cupos no pueden ser negativos."))
    total = sum(quotas.values())
    if total > slot.capacity:
        raise Invalid(
            _(
                "Los cupos suman %(total)d stands, pero la semana tiene %(capacity)d.",
                total=total,
                capacity=slot.capacity,
            )
        )
    nominated = _communes_with_nominations(slot)
    for commune_id in nominated:
        live = db.session.execute(
            select(func.count()).where(
                Nomination.slot_id == slot.id,
                Nomination.commune_id == commune_id,
                Nomination.is_reserve.is_(False),
                Nomination.state.not_in(NominationState.RELEASED),
            )
        ).scalar_one()
        if quotas.get(commune_id, 0) < live:
            raise Conflict(
                _("Una comuna ya nominó %(n)d emprendedores: su cupo no puede ser menor.", n=live)
            )
    set_allocations(
        slot,
        {cid: n for cid, n in quotas.items() if n > 0},
        host_id=None,
        by=by,
        reason=reason.strip(),
        action="slot.override",
    )


def host_of(slot: Slot) -> int | None:
    return next((a.commune_id for a in slot.allocations if a.is_host), None)
