"""A slot's life cycle: the allowed transitions, who may make them, and the date-driven ones."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app import clock
from app.domain import policy, transitions
from app.domain.errors import Conflict, NotAllowed
from app.domain.transitions import Transition
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


def _t(name, sources, target, label, needs_reason=False) -> Transition:
    return Transition(name, frozenset(sources), target, label, needs_reason=needs_reason)


# Coordinators drive the cycle by hand; the date moves it too (see advance_by_date), so a
# forgotten click never leaves a past week "in progress".
TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in [
        _t("open_nominations", {S.PLANNED}, S.NOMINATIONS_OPEN, _l("Abrir nominaciones")),
        _t(
            "close_nominations",
            {S.NOMINATIONS_OPEN},
            S.NOMINATIONS_CLOSED,
            _l("Cerrar nominaciones"),
        ),
        _t(
            "reopen_nominations",
            {S.NOMINATIONS_CLOSED},
            S.NOMINATIONS_OPEN,
            _l("Reabrir nominaciones"),
        ),
        _t("publish", {S.NOMINATIONS_CLOSED}, S.PUBLISHED, _l("Publicar")),
        _t("start", {S.PUBLISHED}, S.IN_PROGRESS, _l("Marcar en curso")),
        _t("complete", {S.IN_PROGRESS}, S.COMPLETED, _l("Marcar realizada")),
        _t(
            "cancel",
            {S.PLANNED, S.NOMINATIONS_OPEN, S.NOMINATIONS_CLOSED, S.PUBLISHED},
            S.CANCELLED,
            _l("Cancelar semana"),
            needs_reason=True,
        ),
        _t("restore", {S.CANCELLED}, S.PLANNED, _l("Restaurar semana")),
    ]
}


def _date_allows(transition: Transition, slot: Slot, today: date) -> bool:
    if transition.name in ("open_nominations", "reopen_nominations"):
        return slot.starts_on > today
    if transition.name == "start":
        return slot.starts_on <= today
    if transition.name == "complete":
        return slot.ends_on < today
    if transition.name == "restore":
        return slot.ends_on >= today
    return True


def _refuse(slot: Slot, transition: Transition, by: User | None, now: datetime):
    """Why `by` (None: the clock) may not make this transition now, or None."""
    if by is not None and not policy.runs_the_mall(by):
        return NotAllowed, _("Solo los coordinadores del mall cambian el estado de una semana.")
    if slot.state not in transition.sources:
        return Conflict, _(
            "La semana está «%(state)s»: ya no se puede «%(action)s».",
            state=_state_text(slot.state),
            action=str(transition.label).lower(),
        )
    if not _date_allows(transition, slot, now.astimezone(clock.VENUE_TZ).date()):
        return Conflict, _("Las fechas de la semana no permiten esta acción hoy.")
    if transition.name == "open_nominations":
        if not slot.allocations:
            return Conflict, _("La semana no tiene comunas asignadas: planifique antes de abrir.")
        if slot.nominations_deadline and slot.nominations_deadline <= now:
            return Conflict, _("El plazo de nominación ya pasó: cambie el plazo antes de abrir.")
    return None


def _changed(slot: Slot, transition: Transition, before, _reason: str, _now: datetime) -> None:
    # Calendar clients only pick up a changed status when SEQUENCE grows.
    if S.CANCELLED in (before, transition.target) or transition.target is S.PUBLISHED:
        slot.sequence += 1


MACHINE = transitions.register(
    transitions.Machine(
        kind="slot",
        model=Slot,
        transitions=TRANSITIONS,
        refuse=_refuse,
        scopes=lambda slot: [{"slot_id": slot.id}],
        changed=_changed,
    )
)


def available_transitions(slot: Slot, user: User | None) -> list[Transition]:
    """What the user could do to this slot now; the page shows exactly these buttons."""
    if not policy.runs_the_mall(user):
        return []
    return MACHINE.available(slot, user)


def transition_slot(slot: Slot, name: str, *, by: User | None, reason: str = "") -> Slot:
    return transitions.apply(slot, name, by=by, reason=reason)


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
            _by_the_clock(slot, "close_nominations", _("Plazo de nominación cumplido."), now)
            moved.append(slot)
        elif slot.state is S.PUBLISHED and slot.starts_on <= today:
            _by_the_clock(slot, "start", _("Comenzó la semana."), now)
            moved.append(slot)
        if slot.state is S.IN_PROGRESS and slot.ends_on < today:
            _by_the_clock(slot, "complete", _("Terminó la semana."), now)
            moved.append(slot)
    return moved


def _by_the_clock(slot: Slot, name: str, reason: str, now: datetime) -> None:
    transitions.apply(slot, name, by=None, reason=reason, now=now)


def _state_text(state: SlotState) -> str:
    return str(STATE_LABELS[state])
