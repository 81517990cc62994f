"""Programs and their slots: generating a year's weeks from the program's rule."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.clock import VENUE_TZ
from app.domain import audit, weeks
from app.domain.rotation_planner import (
    CommuneInput,
    Plan,
    SlotInput,
    plan_host_rotation,
    plan_shared,
)
from app.extensions import db
from app.models import (
    AllocationMode,
    Commune,
    Nomination,
    Program,
    Slot,
    SlotAllocation,
    SlotState,
    Stand,
    StandClosure,
    User,
)


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
    closed = select(StandClosure.stand_id).where(
        StandClosure.starts_on <= ends_on, StandClosure.ends_on >= starts_on
    )
    return db.session.execute(
        select(func.count())
        .select_from(Stand)
        .where(Stand.venue_id == venue_id, Stand.active.is_(True), Stand.id.not_in(closed))
    ).scalar_one()


def generate_slots(program: Program, year: int, *, by: User | None) -> GenerationResult:
    """Creates the year's missing monthly slots and realigns those whose rule changed.

    Idempotent. Never moves a slot that has nominations, was moved by hand, or is past
    planning: those are reported as kept, with the reason.
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
        if starts_on < program.starts_on or ends_on > program.ends_on:
            continue
        slot = existing.get(month)
        if slot is None:
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
            result.created.append(slot)
            continue
        if (slot.starts_on, slot.ends_on) == (starts_on, ends_on):
            continue
        if slot.manual_dates:
            result.kept.append((slot, "manual"))
        elif slot.id in nominated:
            result.kept.append((slot, "nominations"))
        elif slot.state is not SlotState.PLANNED:
            result.kept.append((slot, "state"))
        else:
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


@dataclass
class SlotChange:
    slot: Slot
    before: dict[int, int]  # commune id -> stands
    after: dict[int, int]
    before_host: int | None
    after_host: int | None


@dataclass
class PlanPreview:
    program: Program
    year: int
    plan: Plan
    changes: list[SlotChange]
    slots: list[Slot]
    applied: bool = False


def plan_year(program: Program, year: int, *, by: User | None, apply: bool) -> PlanPreview:
    """Runs the fair planner over the program's year; applies it only when asked.

    The preview lists exactly the slots whose allocations would change.
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
    inputs = [
        SlotInput(
            key=str(s.id),
            month=s.month,
            capacity=s.capacity,
            blocked=s.state is SlotState.CANCELLED,
        )
        for s in slots
    ]
    commune_inputs = [CommuneInput(id=c.id, weight=float(c.weight)) for c in communes]
    if program.mode is AllocationMode.HOST:
        plan = plan_host_rotation(commune_inputs, inputs)
    else:
        plan = plan_shared(commune_inputs, inputs)
    changes = []
    for slot in slots:
        before = {a.commune_id: a.stands for a in slot.allocations}
        after = {cid: n for cid, n in plan.quotas.get(str(slot.id), {}).items() if n > 0}
        before_host = next((a.commune_id for a in slot.allocations if a.is_host), None)
        after_host = plan.hosts.get(str(slot.id))
        if before != after or before_host != after_host:
            changes.append(SlotChange(slot, before, after, before_host, after_host))
    preview = PlanPreview(program, year, plan, changes, slots)
    if apply:
        for change in changes:
            set_allocations(change.slot, change.after, host_id=change.after_host, by=by)
        preview.applied = True
    return preview


def set_allocations(
    slot: Slot, quotas: dict[int, int], *, host_id: int | None, by: User | None, reason: str = ""
) -> None:
    before = {str(a.commune_id): a.stands for a in slot.allocations}
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
    slot.sequence += 1
    db.session.flush()
    audit.record(
        "slot.allocate",
        slot,
        actor=by,
        before=before,
        after={str(k): v for k, v in quotas.items()},
        reason=reason,
        slot_id=slot.id,
    )
