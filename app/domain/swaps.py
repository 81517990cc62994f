"""Turn swaps between communes: asked by one, accepted by the other, approved by the mall."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from app.domain import audit
from app.domain.errors import Conflict, Invalid, NotAllowed
from app.domain.rotation import host_of, set_allocations
from app.extensions import db
from app.models import Role, Slot, SlotState, SlotSwap, SwapState, User

OPEN_STATES = (SwapState.REQUESTED, SwapState.ACCEPTED)
# Only weeks nobody has started nominating for can change hands.
SWAPPABLE_SLOT_STATES = (SlotState.PLANNED,)


def _record(swap: SlotSwap, action: str, by: User, before: SwapState, reason: str = "") -> None:
    db.session.flush()
    for slot_id in (swap.slot_a_id, swap.slot_b_id):
        audit.record(
            f"swap.{action}",
            swap,
            actor=by,
            before={"state": before.value},
            after={"state": swap.state.value},
            reason=reason,
            slot_id=slot_id,
            commune_id=swap.from_commune_id,
        )


def request_swap(slot_a: Slot, slot_b: Slot, *, by: User, reason: str = "") -> SlotSwap:
    """The officer of slot A's host asks to exchange turns with slot B's host."""
    if by.role is not Role.OFFICER:
        raise NotAllowed(_("Solo un encargado comunal puede pedir un intercambio de turno."))
    if slot_a.id == slot_b.id:
        raise Invalid(_("Elija otra semana para el intercambio."), field="other")
    if slot_a.program_id != slot_b.program_id:
        raise Invalid(_("Las dos semanas deben ser del mismo programa."), field="other")
    host_a, host_b = host_of(slot_a), host_of(slot_b)
    if host_a != by.commune_id:
        raise NotAllowed(_("Solo puede ofrecer semanas de su propia comuna."))
    if host_b is None or host_b == host_a:
        raise Invalid(_("La otra semana debe ser turno de otra comuna."), field="other")
    for slot in (slot_a, slot_b):
        if slot.state not in SWAPPABLE_SLOT_STATES:
            raise Conflict(_("Solo se intercambian semanas que aún están planificadas."))
    pending = db.session.execute(
        select(SlotSwap.id).where(
            SlotSwap.state.in_(OPEN_STATES),
            SlotSwap.slot_a_id.in_([slot_a.id, slot_b.id])
            | SlotSwap.slot_b_id.in_([slot_a.id, slot_b.id]),
        )
    ).first()
    if pending:
        raise Conflict(_("Ya hay un intercambio pendiente para una de estas semanas."))
    swap = SlotSwap(
        slot_a=slot_a,
        slot_b=slot_b,
        from_commune_id=host_a,
        to_commune_id=host_b,
        state=SwapState.REQUESTED,
        reason=reason.strip(),
        requested_by_id=by.id,
    )
    db.session.add(swap)
    db.session.flush()
    _record(swap, "request", by, SwapState.REQUESTED, reason.strip())
    return swap


def can_accept(swap: SlotSwap, user: User) -> bool:
    return (
        swap.state is SwapState.REQUESTED
        and user.role is Role.OFFICER
        and user.commune_id == swap.to_commune_id
    )


def can_approve(swap: SlotSwap, user: User) -> bool:
    return swap.state is SwapState.ACCEPTED and user.is_coordinator


def can_reject(swap: SlotSwap, user: User) -> bool:
    if swap.state not in OPEN_STATES:
        return False
    if user.is_coordinator:
        return True
    return user.role is Role.OFFICER and user.commune_id in (
        swap.from_commune_id,
        swap.to_commune_id,
    )


def accept_swap(swap: SlotSwap, *, by: User) -> SlotSwap:
    if not can_accept(swap, by):
        raise Conflict(_("Este intercambio ya no espera la respuesta de su comuna."))
    before = swap.state
    swap.state = SwapState.ACCEPTED
    swap.accepted_by_id = by.id
    _record(swap, "accept", by, before)
    return swap


def reject_swap(swap: SlotSwap, *, by: User, reason: str = "") -> SlotSwap:
    if not can_reject(swap, by):
        raise Conflict(_("Este intercambio ya no se puede rechazar."))
    before = swap.state
    swap.state = SwapState.CANCELLED if by.id == swap.requested_by_id else SwapState.REJECTED
    swap.decided_by_id = by.id
    _record(swap, "reject", by, before, reason.strip())
    return swap


def approve_swap(swap: SlotSwap, *, by: User) -> SlotSwap:
    """Exchanges the two hosts, if both weeks still belong to the communes that agreed."""
    if not can_approve(swap, by):
        raise Conflict(_("Este intercambio no está listo para aprobarse."))
    slot_a, slot_b = swap.slot_a, swap.slot_b
    if host_of(slot_a) != swap.from_commune_id or host_of(slot_b) != swap.to_commune_id:
        raise Conflict(_("Las semanas cambiaron de comuna desde la solicitud; pídalo de nuevo."))
    for slot in (slot_a, slot_b):
        if slot.state not in SWAPPABLE_SLOT_STATES:
            raise Conflict(_("Solo se intercambian semanas que aún están planificadas."))
    reason = _("Intercambio de turnos aprobado")
    set_allocations(
        slot_a,
        {swap.to_commune_id: slot_a.capacity},
        host_id=swap.to_commune_id,
        by=by,
        reason=reason,
        action="slot.swap",
    )
    set_allocations(
        slot_b,
        {swap.from_commune_id: slot_b.capacity},
        host_id=swap.from_commune_id,
        by=by,
        reason=reason,
        action="slot.swap",
    )
    before = swap.state
    swap.state = SwapState.APPROVED
    swap.decided_by_id = by.id
    _record(swap, "approve", by, before)
    return swap


def open_swaps_for(user: User) -> list[SlotSwap]:
    """Swaps waiting for this user's answer (or, for coordinators, every open one)."""
    query = select(SlotSwap).where(SlotSwap.state.in_(OPEN_STATES)).order_by(SlotSwap.created_at)
    if user.role is Role.OFFICER:
        query = query.where(
            (SlotSwap.from_commune_id == user.commune_id)
            | (SlotSwap.to_commune_id == user.commune_id)
        )
    return list(db.session.execute(query).scalars())
