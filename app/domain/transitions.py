"""The one writer of states: nominations, weeks and swaps change state only through apply().

Each kind of object registers a Machine: its transitions (one table, shown as buttons by the
pages and refused with a message by apply), who may make each one and when (`refuse`), what a
change moves beside the state (`changed`, e.g. a calendar SEQUENCE) and which audit scopes it
is filed under. apply() checks, writes the state, the audit event(s), and tells the listeners
(on_transition) in the caller's transaction, so a notification is written with the change that
causes it or not at all. Creation is a transition too: from no state to the first one.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask_babel import gettext as _

from app import clock
from app.domain import audit
from app.domain.errors import Conflict, Invalid, NotAllowed
from app.extensions import db
from app.models import User


@dataclass(frozen=True)
class Transition:
    name: str
    sources: frozenset  # the states it leaves from; empty: it creates the object
    target: enum.Enum
    label: object  # lazy translated text for the button
    needs_reason: bool = False
    system: bool = False  # made by the rules themselves (the clock, the waiting list)

    @property
    def creates(self) -> bool:
        return not self.sources


@dataclass(frozen=True)
class TransitionEvent:
    """What happened, for the audit trail and for whoever listens (notifications)."""

    kind: str  # "nomination", "slot", "swap"
    obj: Any
    transition: Transition
    before: enum.Enum | None
    actor: User | None
    reason: str
    at: datetime

    @property
    def action(self) -> str:
        return f"{self.kind}.{self.transition.name}"


Refusal = tuple[type, str]


@dataclass
class Machine:
    kind: str
    model: type
    transitions: dict[str, Transition]
    # (error class, message) when `by` may not make this transition now, else None.
    refuse: Callable[[Any, Transition, User | None, datetime], Refusal | None]
    # Audit scopes: one event per dict of ids (a swap is filed under both of its weeks).
    scopes: Callable[[Any], list[dict[str, int | None]]]
    # What else moves with the state (a SEQUENCE, a reason column, a timestamp).
    changed: Callable[[Any, Transition, enum.Enum | None, str, datetime], None] = lambda *_args: (
        None
    )
    labels: dict = field(default_factory=dict)

    def get(self, name: str) -> Transition:
        transition = self.transitions.get(name)
        if transition is None:
            raise Invalid(_("Esa acción no existe."))
        return transition

    def available(self, obj: Any, user: User | None, *, now: datetime | None = None):
        """The transitions `user` could make now: the buttons a page shows."""
        now = now or clock.now_utc()
        return [
            t
            for t in self.transitions.values()
            if not t.system and not t.creates and self.refusal(obj, t.name, user, now=now) is None
        ]

    def refusal(
        self, obj: Any, name: str, user: User | None, *, now: datetime | None = None
    ) -> Refusal | None:
        transition = self.transitions.get(name)
        if transition is None:
            return Invalid, _("Esa acción no existe.")
        if transition.system and user is not None:
            # The rules' own moves (the waiting list, the clock) are nobody's button.
            return NotAllowed, _("Esta acción la hace el sistema, no una persona.")
        if transition.creates and getattr(obj, "state", None) is not None:
            return Conflict, _("Ya existe.")
        return self.refuse(obj, transition, user, now or clock.now_utc())


_MACHINES: dict[type, Machine] = {}
_LISTENERS: list[Callable[[TransitionEvent], None]] = []


def register(machine: Machine) -> Machine:
    _MACHINES[machine.model] = machine
    return machine


def machine_for(obj_or_type: Any) -> Machine:
    model = obj_or_type if isinstance(obj_or_type, type) else type(obj_or_type)
    return _MACHINES[model]


def on_transition(listener: Callable[[TransitionEvent], None]):
    """Registers a function called after every state change, in its transaction."""
    _LISTENERS.append(listener)
    return listener


def can(obj: Any, name: str, user: User | None, *, now: datetime | None = None) -> bool:
    return machine_for(obj).refusal(obj, name, user, now=now) is None


def apply(
    obj: Any,
    name: str,
    *,
    by: User | None,
    reason: str = "",
    now: datetime | None = None,
    caused_by: User | None = None,
    details: dict[str, Any] | None = None,
) -> Any:
    """Makes the transition or raises why not (Conflict, NotAllowed, Invalid, NotFound).

    The only place a nomination, week or swap changes state. `by` is who acts (None: the
    rules themselves); `caused_by` is recorded when someone's act set it off without them
    deciding it (a withdrawal that promotes the waiting list); `details` go into the audit
    event's "after".
    """
    machine = machine_for(obj)
    moment = now or clock.now_utc()
    transition = machine.get(name)
    problem = machine.refusal(obj, name, by, now=moment)
    if problem:
        error, message = problem
        raise error(message)
    reason = (reason or "").strip()
    if transition.needs_reason and not reason:
        raise Invalid(_("Indique el motivo."), field="reason")
    before = None if transition.creates else obj.state
    obj.state = transition.target
    machine.changed(obj, transition, before, reason, moment)
    if transition.creates:
        db.session.add(obj)
    db.session.flush()
    after: dict[str, Any] = {"state": transition.target.value, **(details or {})}
    if caused_by is not None:
        after["caused_by"] = caused_by.id
    event = TransitionEvent(machine.kind, obj, transition, before, by, reason, moment)
    for scope in machine.scopes(obj):
        record = audit.record(
            event.action,
            obj,
            actor=by,
            before={"state": before.value} if before is not None else None,
            after=after,
            reason=reason,
            **scope,
        )
        record.at = moment
    for listener in _LISTENERS:
        listener(event)
    return obj
