"""Who is told what: one listener on every state change (app/domain/transitions.py) queues the
messages in the same transaction, so a change and its notifications commit or roll back
together."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from flask import has_app_context
from sqlalchemy import select

from app.domain.transitions import TransitionEvent, on_transition
from app.extensions import db
from app.models import Nomination, Role, SlotSwap, User
from app.notifications import outbox

_muted: ContextVar[bool] = ContextVar("vitrina_notifications_muted", default=False)


@contextmanager
def muted() -> Iterator[None]:
    """No messages for the changes made inside (the demo replaying last year's history)."""
    token = _muted.set(True)
    try:
        yield
    finally:
        _muted.reset(token)


# The mall's decisions an officer hears about.
DECISIONS = frozenset({"approve", "promote", "reject", "waitlist", "cancel"})


def _officers(commune_id: int | None) -> list[User]:
    return list(
        db.session.execute(
            select(User)
            .where(User.active, User.role == Role.OFFICER, User.commune_id == commune_id)
            .order_by(User.id)
        ).scalars()
    )


def _coordinators() -> list[User]:
    return list(
        db.session.execute(
            select(User).where(User.active, User.role == Role.COORDINATOR).order_by(User.id)
        ).scalars()
    )


def _tell(users: list[User], key: str, template: str, context: dict) -> None:
    for user in users:
        outbox.enqueue(
            key=f"{key}:to:{user.id}",
            recipient=user.email,
            locale=user.locale or "es",
            template=template,
            context={**context, "user": user},
        )


def _nomination(event: TransitionEvent) -> None:
    nomination: Nomination = event.obj
    name = event.transition.name
    slot = nomination.slot
    link = outbox.absolute_url(
        "nominations.show", slot_id=slot.id, commune_id=nomination.commune_id
    )
    if name in DECISIONS:
        _tell(
            _officers(nomination.commune_id),
            f"nomination:{nomination.id}:{name}:{nomination.sequence}",
            "nomination_decided",
            {
                "nomination": nomination,
                "slot": slot,
                "action": name,
                "link": link,
                "reason": event.reason,
            },
        )
    elif name == "submit":
        # A list is sent as one act (submit_list, one instant): one message for the list.
        review = outbox.absolute_url("review.queue", slot_id=slot.id)
        _tell(
            _coordinators(),
            f"list:{slot.id}:{nomination.commune_id}:{event.at:%Y%m%dT%H%M%S}",
            "list_submitted",
            {"slot": slot, "commune": nomination.commune, "link": review},
        )


def _swap(event: TransitionEvent) -> None:
    swap: SlotSwap = event.obj
    name = event.transition.name
    if name == "request":
        told = _officers(swap.to_commune_id)
    elif name == "accept":
        told = _coordinators()
    else:  # approve, reject, withdraw: both communes learn how it ended
        told = _officers(swap.from_commune_id) + _officers(swap.to_commune_id)
    link = outbox.absolute_url(
        "rotation.year", program_id=swap.slot_a.program_id, year=swap.slot_a.year
    )
    _tell(
        [u for u in told if event.actor is None or u.id != event.actor.id],
        f"swap:{swap.id}:{name}",
        "swap_changed",
        {"swap": swap, "action": name, "reason": event.reason, "link": link},
    )


@on_transition
def notify(event: TransitionEvent) -> None:
    if _muted.get() or not has_app_context():
        return
    if isinstance(event.obj, Nomination):
        _nomination(event)
    elif isinstance(event.obj, SlotSwap):
        _swap(event)
