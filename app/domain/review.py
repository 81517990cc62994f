"""The mall's side of nominations: approve with a stand, reject, waitlist, confirm, attendance,
stand changes and waitlist promotion — safe when several coordinators act at once.

Capacity is decided under a lock on the slot row (PostgreSQL: SELECT … FOR UPDATE, so
concurrent approvals for one week queue across processes; SQLite: every transaction began
with BEGIN IMMEDIATE). The partial unique indexes on stand_assignment are the backstop: even a
path that forgot the lock cannot put two live assignments on one stand or one nomination.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app import clock
from app.domain import audit, nomination_states, policy, stands
from app.domain.errors import Conflict, Invalid, NotAllowed
from app.extensions import db
from app.models import (
    AllocationMode,
    Entrepreneur,
    Nomination,
    NominationState,
    Slot,
    SlotAllocation,
    SlotState,
    Stand,
    StandAssignment,
    User,
)
from app.notifications import rules

S = NominationState


def lock_slot(slot_id: int) -> Slot:
    """The slot, row-locked for the rest of the transaction, with fresh data."""
    return db.session.execute(
        select(Slot)
        .where(Slot.id == slot_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()


def _fresh(nomination: Nomination) -> Nomination:
    """Re-read after the lock: another coordinator may have changed it meanwhile."""
    return db.session.execute(
        select(Nomination)
        .where(Nomination.id == nomination.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()


def open_stands(slot: Slot) -> list[Stand]:
    """Active stands of the venue not closed during the slot's week."""
    query = stands.open_during(slot.program.venue_id, slot.starts_on, slot.ends_on)
    return list(db.session.execute(query.order_by(Stand.code)).scalars())


def live_assignments(slot_id: int) -> list[StandAssignment]:
    return list(
        db.session.execute(
            select(StandAssignment).where(
                StandAssignment.slot_id == slot_id, StandAssignment.released_at.is_(None)
            )
        ).scalars()
    )


def live_assignment_of(nomination: Nomination) -> StandAssignment | None:
    return db.session.execute(
        select(StandAssignment).where(
            StandAssignment.nomination_id == nomination.id, StandAssignment.released_at.is_(None)
        )
    ).scalar_one_or_none()


def fits(stand: Stand, entrepreneur: Entrepreneur) -> str | None:
    """Why this stand does not suit the entrepreneur's needs, or None."""
    if entrepreneur.needs_food_handling and not stand.food_allowed:
        return _("El stand %(c)s no permite alimentos.", c=stand.code)
    if entrepreneur.needs_power and not stand.has_power:
        return _("El stand %(c)s no tiene enchufe.", c=stand.code)
    return None


def match_stand(free: list[Stand], entrepreneur: Entrepreneur) -> Stand | None:
    """The free stand that suits the needs and wastes the fewest scarce features."""
    suitable = [s for s in free if fits(s, entrepreneur) is None]
    if not suitable:
        return None
    # A food stand or a powered stand given to someone who does not need it may be missing
    # later for someone who does.
    return min(
        suitable,
        key=lambda s: (
            s.food_allowed and not entrepreneur.needs_food_handling,
            s.has_power and not entrepreneur.needs_power,
            s.code,
        ),
    )


def no_stand_message(entrepreneur: Entrepreneur) -> str:
    if entrepreneur.needs_food_handling:
        return _("No quedan stands libres que permitan alimentos esta semana.")
    if entrepreneur.needs_power:
        return _("No quedan stands libres con enchufe esta semana.")
    return _("La semana está completa: no quedan stands libres.")


def _seated_for_commune(slot_id: int, commune_id: int) -> int:
    return db.session.execute(
        select(func.count())
        .select_from(StandAssignment)
        .join(Nomination, Nomination.id == StandAssignment.nomination_id)
        .where(
            StandAssignment.slot_id == slot_id,
            StandAssignment.released_at.is_(None),
            Nomination.commune_id == commune_id,
        )
    ).scalar_one()


def _roster_changed(slot: Slot, *, by: User | None, what: str, nomination: Nomination) -> None:
    if slot.state in SlotState.PUBLISHED_AND_OPEN:
        slot.sequence += 1
        audit.record(
            "roster.change",
            slot,
            actor=by,
            after={"change": what, "nomination": nomination.id},
            slot_id=slot.id,
            commune_id=nomination.commune_id,
            entrepreneur_id=nomination.entrepreneur_id,
        )


def _seat(slot: Slot, nomination: Nomination, stand: Stand, *, by: User | None) -> StandAssignment:
    assignment = StandAssignment(
        slot_id=slot.id,
        stand_id=stand.id,
        nomination_id=nomination.id,
        assigned_by_id=by.id if by else None,
        assigned_at=clock.now_utc(),
    )
    try:
        # The unique indexes decide if two requests raced past every check.
        with db.session.begin_nested():
            db.session.add(assignment)
            db.session.flush()
    except IntegrityError as exc:
        raise Conflict(_("El stand %(c)s ya fue asignado a otra persona.", c=stand.code)) from exc
    audit.record(
        "stand.assign",
        assignment,
        actor=by,
        after={"stand": stand.code},
        slot_id=slot.id,
        commune_id=nomination.commune_id,
        entrepreneur_id=nomination.entrepreneur_id,
    )
    return assignment


def _release(assignment: StandAssignment, *, by: User | None, reason: str) -> None:
    assignment.released_at = clock.now_utc()
    assignment.release_reason = reason
    db.session.flush()
    audit.record(
        "stand.release",
        assignment,
        actor=by,
        before={"stand": assignment.stand.code},
        reason=reason,
        slot_id=assignment.slot_id,
        entrepreneur_id=assignment.nomination.entrepreneur_id,
        commune_id=assignment.nomination.commune_id,
    )


def approve(
    nomination: Nomination,
    *,
    by: User,
    stand: Stand | None = None,
    enforce_quota: bool = True,
    now: datetime | None = None,
) -> StandAssignment:
    """Approves a submitted or waitlisted nomination and gives it a stand (matched to needs
    unless one is named). Raises Conflict when the week is full or the state changed."""
    if not policy.runs_the_mall(by):
        raise NotAllowed(_("Solo la coordinación del mall puede hacer esto."))
    slot = lock_slot(nomination.slot_id)
    nomination = _fresh(nomination)
    problem = nomination_states.refusal(nomination, "approve", by, now=now)
    if problem:
        raise problem[0](problem[1])
    taken = {a.stand_id for a in live_assignments(slot.id)}
    free = [s for s in open_stands(slot) if s.id not in taken]
    if not free:
        raise Conflict(_("La semana está completa: no quedan stands libres."))
    if enforce_quota and slot.program.mode is AllocationMode.SHARED:
        allocation = db.session.execute(
            select(SlotAllocation).where(
                SlotAllocation.slot_id == slot.id,
                SlotAllocation.commune_id == nomination.commune_id,
            )
        ).scalar_one_or_none()
        quota = allocation.stands if allocation else 0
        if _seated_for_commune(slot.id, nomination.commune_id) >= quota:
            raise Conflict(_("La comuna ya usó sus %(n)d stands de esta semana.", n=quota))
    entrepreneur = nomination.entrepreneur
    if stand is None:
        stand = match_stand(free, entrepreneur)
        if stand is None:
            raise Conflict(no_stand_message(entrepreneur))
    else:
        if stand.id in taken:
            raise Conflict(_("El stand %(c)s ya fue asignado a otra persona.", c=stand.code))
        if stand.id not in {s.id for s in free}:
            raise Conflict(_("El stand %(c)s está cerrado esa semana.", c=stand.code))
        if (why := fits(stand, entrepreneur)) is not None:
            raise Invalid(why)
    nomination_states.apply(nomination, "approve", by=by, now=now)
    assignment = _seat(slot, nomination, stand, by=by)
    _roster_changed(slot, by=by, what="approve", nomination=nomination)
    return assignment


def reassign(nomination: Nomination, stand: Stand, *, by: User) -> StandAssignment:
    """Moves a seated nomination to another free stand of the same week."""
    if not policy.runs_the_mall(by):
        raise NotAllowed(_("Solo la coordinación del mall puede hacer esto."))
    slot = lock_slot(nomination.slot_id)
    if slot.state in SlotState.OVER:
        raise Conflict(_("La semana ya terminó o fue cancelada: su plano no cambia."))
    nomination = _fresh(nomination)
    current = live_assignment_of(nomination)
    if nomination.state not in S.USED_WEEK or current is None:
        raise Conflict(_("Esta nominación no tiene stand asignado."))
    if current.stand_id == stand.id:
        return current
    if stand.id not in {s.id for s in open_stands(slot)}:
        raise Conflict(_("El stand %(c)s está cerrado esa semana.", c=stand.code))
    if (why := fits(stand, nomination.entrepreneur)) is not None:
        raise Invalid(why)
    if stand.id in {a.stand_id for a in live_assignments(slot.id)}:
        raise Conflict(_("El stand %(c)s ya fue asignado a otra persona.", c=stand.code))
    _release(current, by=by, reason=_("Cambio de stand"))
    assignment = _seat(slot, nomination, stand, by=by)
    _roster_changed(slot, by=by, what="reassign", nomination=nomination)
    rules.stand_changed(nomination)  # the entrepreneur's invitation is updated at commit
    return assignment


def decide(
    nomination: Nomination, action: str, *, by: User, reason: str = "", now: datetime | None = None
) -> list[Nomination]:
    """reject, waitlist, confirm, mark_attended, mark_no_show, cancel (mall) and withdraw
    (commune): the one place these happen. Closes up the list a nomination leaves, frees its
    stand and promotes the waitlist; returns the nominations promoted."""
    if action == "approve":
        approve(nomination, by=by, now=now)
        return []
    slot = lock_slot(nomination.slot_id)
    nomination = _fresh(nomination)
    nomination_states.apply(nomination, action, by=by, reason=reason, now=now)
    promoted: list[Nomination] = []
    if nomination.state in S.RELEASED:
        # It leaves its commune's list: the others close up (positions stay 0, 1, 2 …).
        from app.domain.nominations import renumber

        renumber(slot, nomination.commune_id, nomination.is_reserve)
    if nomination.state in (S.WITHDRAWN, S.CANCELLED, S.REJECTED):
        assignment = live_assignment_of(nomination)
        if assignment is not None:
            _release(assignment, by=by, reason=reason or action)
            _roster_changed(slot, by=by, what=action, nomination=nomination)
            promoted = promote_waitlist(
                slot, freed_commune_id=nomination.commune_id, by=by, now=now
            )
    return promoted


def promote_waitlist(
    slot: Slot, *, freed_commune_id: int, by: User | None, now: datetime | None = None
) -> list[Nomination]:
    """Fills free stands from the waitlist: the commune that lost a place first, then the
    others in list order. Called under the slot lock."""
    if slot.state in SlotState.OVER:
        return []
    waiting = list(
        db.session.execute(
            select(Nomination)
            .where(Nomination.slot_id == slot.id, Nomination.state == S.WAITLISTED)
            .order_by(
                (Nomination.commune_id != freed_commune_id),
                Nomination.is_reserve,
                Nomination.position,
                Nomination.id,
            )
        ).scalars()
    )
    promoted = []
    for candidate in waiting:
        taken = {a.stand_id for a in live_assignments(slot.id)}
        free = [s for s in open_stands(slot) if s.id not in taken]
        if not free:
            break
        stand = match_stand(free, candidate.entrepreneur)
        if stand is None:
            continue  # e.g. needs a food stand and only dry ones are free: try the next
        _promote_state(candidate, by=by, now=now, stand=stand)
        _seat(slot, candidate, stand, by=by)
        promoted.append(candidate)
    return promoted


def _promote_state(
    candidate: Nomination, *, by: User | None, now: datetime | None, stand: Stand
) -> None:
    """waitlisted → approved by the waitlist rule itself: the person whose act freed the place
    (perhaps a commune officer withdrawing) is recorded as the cause, not as the approver."""
    nomination_states.apply(
        candidate,
        "promote",
        by=None,
        reason=_("Promovido desde la lista de espera"),
        now=now,
        caused_by=by,
        details={"stand": stand.code},
    )
