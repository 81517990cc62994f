"""The nomination state machine: every allowed transition, who may make it and when.

One table serves the web pages, the CLI and any API: a view shows a button only when
``can(nomination, "withdraw", user)`` is true, and ``apply`` refuses the same cases with a
Spanish message, writing each transition to the audit trail in the caller's transaction.

    draft → submitted → approved / rejected / waitlisted → confirmed → attended / no_show
    (and withdrawn by the commune, cancelled by the mall)
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app import clock
from app.domain import policy, transitions
from app.domain.errors import Conflict, NotAllowed, NotFound
from app.i18n import fmt_daytime
from app.models import Nomination, NominationState, Role, SlotState, User

S = NominationState

STATE_LABELS = {
    S.DRAFT: _l("Borrador"),
    S.SUBMITTED: _l("Enviada"),
    S.APPROVED: _l("Aprobada"),
    S.REJECTED: _l("Rechazada"),
    S.WAITLISTED: _l("En lista de espera"),
    S.CONFIRMED: _l("Confirmada"),
    S.ATTENDED: _l("Asistió"),
    S.NO_SHOW: _l("No se presentó"),
    S.WITHDRAWN: _l("Retirada"),
    S.CANCELLED: _l("Cancelada"),
}

# What each state means, shown where the states appear (review page, the commune's lists).
STATE_HELP = {
    S.DRAFT: _l("La comuna la preparó y aún no la envía: el mall todavía no la ve."),
    S.SUBMITTED: _l("La comuna la envió: espera la revisión del mall."),
    S.APPROVED: _l("El mall la aceptó y le asignó un stand."),
    S.CONFIRMED: _l(
        "El mall confirmó con el emprendedor que vendrá (botón «Confirmar», después de avisarle)."
    ),
    S.WAITLISTED: _l("Sin stand por ahora: pasa a aprobada si se libera uno."),
    S.REJECTED: _l("El mall no la aceptó; la comuna ve el motivo."),
    S.ATTENDED: _l("Vino a su semana."),
    S.NO_SHOW: _l("Tenía stand y no vino."),
    S.WITHDRAWN: _l("La comuna la sacó de la lista."),
    S.CANCELLED: _l("El mall la canceló después de aprobarla; la comuna ve el motivo."),
}


class Side(enum.StrEnum):
    COMMUNE = "commune"  # the commune's officer (or an admin acting for the commune)
    MALL = "mall"  # the mall's coordinator (or an admin)


class When(enum.StrEnum):
    NOMINATIONS_OPEN = "nominations_open"  # slot taking nominations, deadline not passed
    BEFORE_WEEK_ENDS = "before_week_ends"  # decisions: until the week is over
    WEEK_STARTED = "week_started"  # attendance: once the week has begun


@dataclass(frozen=True)
class Transition(transitions.Transition):
    side: Side = Side.MALL
    when: When = When.BEFORE_WEEK_ENDS

    @property
    def reason_required(self) -> bool:  # the review row's template asks this
        return self.needs_reason


def _t(name, sources, target, side, when, label, reason_required=False, system=False):
    return Transition(
        name,
        frozenset(sources),
        target,
        label,
        needs_reason=reason_required,
        system=system,
        side=side,
        when=when,
    )


TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in (
        # The commune's side.
        _t("create", set(), S.DRAFT, Side.COMMUNE, When.NOMINATIONS_OPEN, _l("Nominar")),
        _t("submit", {S.DRAFT}, S.SUBMITTED, Side.COMMUNE, When.NOMINATIONS_OPEN, _l("Enviar")),
        _t(
            "withdraw",
            {S.DRAFT, S.SUBMITTED, S.WAITLISTED, S.APPROVED, S.CONFIRMED},
            S.WITHDRAWN,
            Side.COMMUNE,
            When.NOMINATIONS_OPEN,
            _l("Retirar"),
        ),
        # The mall's side: the table is complete so the coordinator's operations only call it.
        _t(
            "approve",
            {S.SUBMITTED, S.WAITLISTED},
            S.APPROVED,
            Side.MALL,
            When.BEFORE_WEEK_ENDS,
            _l("Aprobar"),
        ),
        _t(
            "reject",
            {S.SUBMITTED, S.WAITLISTED},
            S.REJECTED,
            Side.MALL,
            When.BEFORE_WEEK_ENDS,
            _l("Rechazar"),
            reason_required=True,
        ),
        _t(
            "waitlist",
            {S.SUBMITTED},
            S.WAITLISTED,
            Side.MALL,
            When.BEFORE_WEEK_ENDS,
            _l("Dejar en espera"),
        ),
        _t("confirm", {S.APPROVED}, S.CONFIRMED, Side.MALL, When.BEFORE_WEEK_ENDS, _l("Confirmar")),
        _t(
            "mark_attended",
            {S.CONFIRMED},
            S.ATTENDED,
            Side.MALL,
            When.WEEK_STARTED,
            _l("Asistió"),
        ),
        _t(
            "mark_no_show",
            {S.CONFIRMED},
            S.NO_SHOW,
            Side.MALL,
            When.WEEK_STARTED,
            _l("No se presentó"),
        ),
        # The waiting list's own rule: a freed stand goes to the next one waiting, whoever's
        # act freed it (recorded as the cause, not as the one who approved).
        _t(
            "promote",
            {S.WAITLISTED},
            S.APPROVED,
            Side.MALL,
            When.BEFORE_WEEK_ENDS,
            _l("Promover"),
            system=True,
        ),
        _t(
            "cancel",
            {S.SUBMITTED, S.APPROVED, S.WAITLISTED, S.CONFIRMED},
            S.CANCELLED,
            Side.MALL,
            When.BEFORE_WEEK_ENDS,
            _l("Cancelar"),
            reason_required=True,
        ),
    )
}


def transitions_from(state: NominationState) -> list[Transition]:
    """What people can do from this state (the rules' own moves, creation and promotion,
    are not buttons)."""
    return [t for t in TRANSITIONS.values() if state in t.sources and not t.system]


def window_problem(nomination_or_slot, *, now: datetime | None = None) -> str | None:
    """Why the commune cannot change nominations for this slot now, or None."""
    slot = getattr(nomination_or_slot, "slot", nomination_or_slot)
    now = now or clock.now_utc()
    passed = slot.nominations_deadline is not None and now > slot.nominations_deadline
    if passed and slot.state in (SlotState.NOMINATIONS_OPEN, SlotState.NOMINATIONS_CLOSED):
        # Closed by its deadline (as every week is, the moment it passes): say when.
        return _(
            "El plazo para nominar venció el %(when)s.",
            when=fmt_daytime(slot.nominations_deadline),
        )
    if slot.state is not SlotState.NOMINATIONS_OPEN:
        return _("Las nominaciones para esta semana no están abiertas.")
    return None


def refusal(
    nomination: Nomination, name: str, user: User | None, *, now: datetime | None = None
) -> tuple[type, str] | None:
    """(error class, Spanish message) when ``user`` may not make this transition now."""
    return MACHINE.refusal(nomination, name, user, now=now)


def _refuse(nomination: Nomination, transition: Transition, user: User | None, now: datetime):
    if transition.system:
        pass  # the rules move it themselves: whoever set it off needs no right of their own
    elif transition.side is Side.COMMUNE and not policy.can_act_for_commune(
        user, nomination.commune_id
    ):
        if user is not None and user.role is Role.OFFICER:
            return NotFound, _("Esa nominación no existe o no pertenece a su comuna.")
        return NotAllowed, _("Solo la comuna que nominó puede hacer esto.")
    elif transition.side is Side.MALL and not policy.runs_the_mall(user):
        return NotAllowed, _("Solo la coordinación del mall puede hacer esto.")
    if not transition.creates and nomination.state not in transition.sources:
        return Conflict, _(
            "No se puede %(action)s una nominación en estado «%(state)s».",
            action=str(transition.label).lower(),
            state=state_label(nomination.state),
        )
    slot = nomination.slot
    if transition.when is When.NOMINATIONS_OPEN:
        problem = window_problem(slot, now=now)
        if problem:
            return Conflict, problem
    elif transition.when is When.BEFORE_WEEK_ENDS:
        if slot.state in SlotState.OVER or clock_date(now) > (slot.ends_on):
            return Conflict, _("La semana ya terminó o fue cancelada.")
    elif transition.when is When.WEEK_STARTED and clock_date(now) < slot.starts_on:
        return Conflict, _("La asistencia se registra desde el primer día de la semana.")
    return None


def clock_date(now: datetime):
    return now.astimezone(clock.VENUE_TZ).date()


def can(nomination: Nomination, name: str, user: User, *, now: datetime | None = None) -> bool:
    return refusal(nomination, name, user, now=now) is None


def can_submit(nomination: Nomination, user: User) -> bool:
    return can(nomination, "submit", user)


def can_withdraw(nomination: Nomination, user: User) -> bool:
    return can(nomination, "withdraw", user)


def _changed(nomination: Nomination, transition: Transition, _before, reason: str, now) -> None:
    if reason:
        nomination.reason = reason
    if not transition.creates:
        nomination.sequence += 1  # its calendar event changes with it
    nomination.updated_at = now


MACHINE = transitions.register(
    transitions.Machine(
        kind="nomination",
        model=Nomination,
        transitions=TRANSITIONS,
        refuse=_refuse,
        scopes=lambda n: [
            {
                "slot_id": n.slot_id,
                "commune_id": n.commune_id,
                "entrepreneur_id": n.entrepreneur_id,
            }
        ],
        changed=_changed,
    )
)
# Every caller changes a nomination's state through the one writer.
apply = transitions.apply


def state_label(state: NominationState) -> str:
    return str(STATE_LABELS[state])
