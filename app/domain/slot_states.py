"""A slot's life cycle: the allowed transitions, who may make them, and the date-driven ones."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app import clock
from app.domain import audit
from app.domain.errors import Conflict, Invalid, NotAllowed
from app.extensions import db
from app.models import Slot, SlotState, User

S = SlotState

STATE_LABELS = {
    S.PLANNED: _l("Planificada"),
    S.NOMINATIONS_OPEN: _l("Nominaciones abiertas"),
    S.NOMINATIONS_CLOSED: _l("Nominaciones cerradas"),
    S.PUBLISHED: _l("Publicada"),
    S.IN_PROGRESS: _l("En curso"),
    S.COMPLETED: _l("Realizada"),
    S.CANCELLED: _l("Cancelada"),
}


@dataclass(frozen=True)
class Transition:
    name: str
    source: frozenset[SlotState]
    target: SlotState
    label: object  # lazy translated button text
    needs_reason: bool = False


# Coordinators drive the cycle by hand; the date moves it too (see advance_by_date), so a
# forgotten click never leaves a past week "in progress".
TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in [
        Transition(
            "open_nominations", frozenset({S.PLANNED}), S.NOMINATIONS_OPEN, _l("Abrir nominaciones")
        ),
        Transition(
            "close_nominations",
            frozenset({S.NOMINATIONS_OPEN}),
            S.NOMINATIONS_CLOSED,
            _l("Cerrar nominaciones"),
        ),
        Transition(
            "reopen_nominations",
            frozenset({S.NOMINATIONS_CLOSED}),
            S.NOMINATIONS_OPEN,
            _l("Reabrir nominaciones"),
        ),
        Transition("publish", frozenset({S.NOMINATIONS_CLOSED}), S.PUBLISHED, _l("Publicar")),
        Transition("start", frozenset({S.PUBLISHED}), S.IN_PROGRESS, _l("Marcar en curso")),
        Transition("complete", frozenset({S.IN_PROGRESS}), S.COMPLETED, _l("Marcar realizada")),
        Transition(
            "cancel",
            frozenset({S.PLANNED, S.NOMINATIONS_OPEN, S.NOMINATIONS_CLOSED, S.PUBLISHED}),
            S.CANCELLED,
            _l("Cancelar semana"),
            needs_reason=True,
        ),
        Transition("restore", frozenset({S.CANCELLED}), S.PLANNED, _l("Restaurar semana")),
    ]
}


def may_change_slots(user: User | None) -> bool:
    return user is not None and user.is_coordinator


def available_transitions(slot: Slot, user: User | None) -> list[Transition]:
    """What the user could do to this slot now; the page shows exactly these buttons."""
    if not may_change_slots(user):
        return []
    return [t for t in TRANSITIONS.values() if slot.state in t.source and _date_allows(t, slot)]


def _date_allows(transition: Transition, slot: Slot) -> bool:
    today = clock.today()
    if transition.name in ("open_nominations", "reopen_nominations"):
        return slot.starts_on > today
    if transition.name == "start":
        return slot.starts_on <= today
    if transition.name == "complete":
        return slot.ends_on < today
    if transition.name == "restore":
        return slot.ends_on >= today
    return True


def transition_slot(slot: Slot, name: str, *, by: User | None, reason: str = "") -> Slot:
    transition = TRANSITIONS.get(name)
    if transition is None:
        raise Invalid(_("Acción desconocida."))
    if by is not None and not may_change_slots(by):
        raise NotAllowed(_("Solo los coordinadores del mall cambian el estado de una semana."))
    if slot.state not in transition.source:
        raise Conflict(
            _(
                "La semana está «%(state)s»: ya no se puede «%(action)s».",
                state=_state_text(slot.state),
                action=str(transition.label).lower(),
            )
        )
    if not _date_allows(transition, slot):
        raise Conflict(_("Las fechas de la semana no permiten esta acción hoy."))
    reason = reason.strip()
    if transition.needs_reason and not reason:
        raise Invalid(_("Indique el motivo."), field="reason")
    if name == "open_nominations" and not slot.allocations:
        raise Conflict(_("La semana no tiene comunas asignadas: planifique antes de abrir."))
    if (
        name == "open_nominations"
        and slot.nominations_deadline
        and (slot.nominations_deadline <= clock.now_utc())
    ):
        raise Conflict(_("El plazo de nominación ya pasó: cambie el plazo antes de abrir."))
    _apply(slot, transition.target, action=name, by=by, reason=reason)
    return slot


def _apply(slot: Slot, target: SlotState, *, action: str, by: User | None, reason: str) -> None:
    before = slot.state
    slot.state = target
    # Calendar clients only pick up a changed status when SEQUENCE grows.
    if S.CANCELLED in (before, target) or target is S.PUBLISHED:
        slot.sequence += 1
    db.session.flush()
    audit.record(
        f"slot.{action}",
        slot,
        actor=by,
        before={"state": before.value},
        after={"state": target.value},
        reason=reason,
        slot_id=slot.id,
    )


def next_due() -> datetime | None:
    """The earliest instant at which advance_by_date has something to do, or None (one query).

    Lets every request check "is a transition due?" against a number in memory, so a week shows
    "Nominaciones cerradas" from its deadline on, with no cron and no query per request.
    """
    deadline = (
        select(func.min(Slot.nominations_deadline))
        .where(Slot.state == S.NOMINATIONS_OPEN)
        .scalar_subquery()
    )
    start = select(func.min(Slot.starts_on)).where(Slot.state == S.PUBLISHED).scalar_subquery()
    end = select(func.min(Slot.ends_on)).where(Slot.state == S.IN_PROGRESS).scalar_subquery()
    row = db.session.execute(select(deadline, start, end)).one()
    instants = []
    if row[0] is not None:
        instants.append(row[0])
    if row[1] is not None:
        instants.append(clock.venue_midnight(row[1]))
    if row[2] is not None:
        instants.append(clock.venue_midnight(row[2] + timedelta(days=1)))
    return min(instants, default=None)


def advance_by_date(*, now: datetime | None = None) -> list[Slot]:
    """Moves slots along as their dates pass: deadline gone → nominations closed; week
    started → in progress (only once published); week over → completed. Idempotent."""
    now = now or clock.now_utc()
    today: date = now.astimezone(clock.VENUE_TZ).date()
    candidates = db.session.execute(
        select(Slot)
        .where(Slot.state.in_([S.NOMINATIONS_OPEN, S.PUBLISHED, S.IN_PROGRESS]))
        .order_by(Slot.starts_on)
        .with_for_update()
    ).scalars()
    moved = []
    for slot in candidates:
        if (
            slot.state is S.NOMINATIONS_OPEN
            and slot.nominations_deadline is not None
            and slot.nominations_deadline <= now
        ):
            _apply(
                slot,
                S.NOMINATIONS_CLOSED,
                action="close_nominations",
                by=None,
                reason=_("Plazo de nominación cumplido."),
            )
            moved.append(slot)
        elif slot.state is S.PUBLISHED and slot.starts_on <= today:
            _apply(slot, S.IN_PROGRESS, action="start", by=None, reason=_("Comenzó la semana."))
            moved.append(slot)
        if slot.state is S.IN_PROGRESS and slot.ends_on < today:
            _apply(slot, S.COMPLETED, action="complete", by=None, reason=_("Terminó la semana."))
            moved.append(slot)
    return moved


def _state_text(state: SlotState) -> str:
    return str(STATE_LABELS[state])
