"""Who is told what: one listener on every state change (app/domain/transitions.py) queues the
messages in the same transaction, so a change and its notifications commit or roll back
together."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from flask import has_app_context
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from app.domain.transitions import TransitionEvent, on_transition
from app.extensions import db
from app.models import Nomination, OutboxMessage, Role, Slot, SlotSwap, StandAssignment, User
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


# --- entrepreneurs: their stand as a calendar invitation -----------------------------------
#
# An entrepreneur's stand can change several times in one transaction (approved, then seated;
# a week published with all its stands), and the stand is seated after the approval's state
# change. So changes only note the nomination, and the invitation is made once, at commit,
# from the final state: REQUEST while the stand is on the published roster, CANCEL once it is
# not (only to someone who was invited).

_TOUCHED = "vitrina_invitations"


def stand_changed(nomination: Nomination) -> None:
    """Notes that this nomination's stand may have changed (called by the review's moves that
    are not state changes, such as a stand reassigned)."""
    db.session.info.setdefault(_TOUCHED, set()).add(nomination.id)


def _slot_roster(slot: Slot) -> None:
    for nomination_id in db.session.execute(
        select(StandAssignment.nomination_id).where(StandAssignment.slot_id == slot.id)
    ).scalars():
        db.session.info.setdefault(_TOUCHED, set()).add(nomination_id)


@event.listens_for(Session, "before_commit")
def _send_invitations(session: Session) -> None:
    touched = session.info.pop(_TOUCHED, None)
    if not touched or _muted.get() or not has_app_context():
        return
    from app.calendars import feeds

    for nomination in session.execute(
        select(Nomination).where(Nomination.id.in_(sorted(touched))).order_by(Nomination.id)
    ).scalars():
        entrepreneur = nomination.entrepreneur
        if not entrepreneur.email:
            continue
        invitation = feeds.stand_invitation(nomination)
        if invitation is None:
            continue
        if invitation.method == "CANCEL" and not _invited(nomination.id):
            continue  # never in their calendar: nothing to take out
        outbox.enqueue(
            key=f"invitation:{nomination.id}:{invitation.sequence}",
            recipient=entrepreneur.email,
            locale="es",
            template="stand_invitation",
            context={
                "entrepreneur": entrepreneur,
                "invitation": invitation,
                "slot": invitation.slot,
                "link": outbox.absolute_url("calendars.week", slot_id=invitation.slot.id),
            },
            calendar=invitation.calendar,
            calendar_method=invitation.method,
        )


def _invited(nomination_id: int) -> bool:
    return (
        db.session.execute(
            select(OutboxMessage.id)
            .where(
                OutboxMessage.key.like(f"invitation:{nomination_id}:%"),
                OutboxMessage.calendar_method == "REQUEST",
            )
            .limit(1)
        ).scalar_one_or_none()
        is not None
    )


@event.listens_for(Session, "after_soft_rollback")
def _forget_invitations(session: Session, _previous) -> None:
    session.info.pop(_TOUCHED, None)


@on_transition
def notify(event: TransitionEvent) -> None:
    if _muted.get() or not has_app_context():
        return
    if isinstance(event.obj, Nomination):
        _nomination(event)
        if event.transition.name not in ("create", "submit"):
            stand_changed(event.obj)
    elif isinstance(event.obj, SlotSwap):
        _swap(event)
    elif isinstance(event.obj, Slot) and event.transition.name in (
        "publish",
        "cancel",
        "restore",
        "reopen_nominations",
    ):
        _slot_roster(event.obj)
