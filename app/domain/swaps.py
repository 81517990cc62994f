"""Turn swaps between communes: asked by one, accepted by the other, approved by the mall."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.domain import policy, transitions
from app.domain.errors import Conflict, Invalid, NotAllowed
from app.domain.rotation import host_of, set_allocations
from app.domain.transitions import Transition
from app.extensions import db
from app.models import Role, Slot, SlotState, SlotSwap, SwapState, User

W = SwapState

TRANSITIONS = {
    t.name: t
    for t in (
        Transition("request", frozenset(), W.REQUESTED, _l("Pedir intercambio")),
        Transition("accept", frozenset({W.REQUESTED}), W.ACCEPTED, _l("Aceptar")),
        Transition("approve", frozenset({W.ACCEPTED}), W.APPROVED, _l("Aprobar intercambio")),
        Transition("reject", W.OPEN, W.REJECTED, _l("Rechazar")),
        Transition("withdraw", W.OPEN, W.CANCELLED, _l("Retirar solicitud")),
    )
}


def _refuse(swap: SlotSwap, transition: Transition, by: User | None, _now):
    if by is None:
        return NotAllowed, _("Un intercambio lo deciden personas.")
    if not transition.creates and swap.state not in transition.sources:
        return Conflict, _("Este intercambio ya no está pendiente de esa decisión.")
    name = transition.name
    if name == "request" and not policy.is_officer_of(by, swap.from_commune_id):
        return NotAllowed, _("Solo puede ofrecer semanas de su propia comuna.")
    if name == "accept" and not policy.is_officer_of(by, swap.to_commune_id):
        return Conflict, _("Este intercambio ya no espera la respuesta de su comuna.")
    if name == "approve" and not policy.runs_the_mall(by):
        return Conflict, _("Este intercambio no está listo para aprobarse.")
    if name == "withdraw" and by.id != swap.requested_by_id:
        return Conflict, _("Solo quien pidió el intercambio puede retirarlo.")
    if name == "reject" and not (
        policy.runs_the_mall(by)
        or policy.is_officer_of(by, swap.from_commune_id, swap.to_commune_id)
    ):
        return Conflict, _("Este intercambio ya no se puede rechazar.")
    return None


MACHINE = transitions.register(
    transitions.Machine(
        kind="swap",
        model=SlotSwap,
        transitions=TRANSITIONS,
        refuse=_refuse,
        # Filed under both weeks, so each week's history shows it.
        scopes=lambda swap: [
            {"slot_id": slot_id, "commune_id": swap.from_commune_id}
            for slot_id in (swap.slot_a_id, swap.slot_b_id)
        ],
    )
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
        if slot.state not in SlotState.SWAPPABLE:
            raise Conflict(_("Solo se intercambian semanas que aún están planificadas."))
    pending = db.session.execute(
        select(SlotSwap.id).where(
            SlotSwap.state.in_(SwapState.OPEN),
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
        reason=reason.strip(),
        requested_by_id=by.id,
    )
    return transitions.apply(swap, "request", by=by, reason=reason)


def can_accept(swap: SlotSwap, user: User) -> bool:
    return transitions.can(swap, "accept", user)


def can_approve(swap: SlotSwap, user: User) -> bool:
    return transitions.can(swap, "approve", user)


def can_reject(swap: SlotSwap, user: User) -> bool:
    return transitions.can(swap, _reject_name(swap, user), user)


def _reject_name(swap: SlotSwap, user: User) -> str:
    # The one who asked takes the request back; anyone else entitled turns it down.
    return "withdraw" if user.id == swap.requested_by_id else "reject"


def accept_swap(swap: SlotSwap, *, by: User) -> SlotSwap:
    transitions.apply(swap, "accept", by=by)
    swap.accepted_by_id = by.id
    return swap


def reject_swap(swap: SlotSwap, *, by: User, reason: str = "") -> SlotSwap:
    transitions.apply(swap, _reject_name(swap, by), by=by, reason=reason)
    swap.decided_by_id = by.id
    return swap


def approve_swap(swap: SlotSwap, *, by: User) -> SlotSwap:
    """Exchanges the two hosts, if both weeks still belong to the communes that agreed."""
    problem = MACHINE.refusal(swap, "approve", by)
    if problem:
        raise problem[0](problem[1])
    slot_a, slot_b = swap.slot_a, swap.slot_b
    if host_of(slot_a) != swap.from_commune_id or host_of(slot_b) != swap.to_commune_id:
        raise Conflict(_("Las semanas cambiaron de comuna desde la solicitud; pídalo de nuevo."))
    for slot in (slot_a, slot_b):
        if slot.state not in SlotState.SWAPPABLE:
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
    transitions.apply(swap, "approve", by=by)
    swap.decided_by_id = by.id
    return swap


def open_swaps_for(user: User) -> list[SlotSwap]:
    """Swaps waiting for this user's answer (or, for coordinators, every open one)."""
    query = (
        select(SlotSwap)
        .where(SlotSwap.state.in_(SwapState.OPEN))
        .order_by(SlotSwap.created_at, SlotSwap.id)
    )
    if (own := policy.commune_scope(user)) is not None:
        query = query.where((SlotSwap.from_commune_id == own) | (SlotSwap.to_commune_id == own))
    return list(db.session.execute(query).scalars())
