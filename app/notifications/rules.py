"""Who is told what: one listener on every state change (app/domain/transitions.py) queues the
messages in the same transaction, so a change and its notifications commit or roll back
together."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime

from flask import has_app_context
from sqlalchemy import event, select
from sqlalchemy.orm import Session, selectinload

from app import clock
from app.domain import audit
from app.domain.transitions import TransitionEvent, on_transition
from app.extensions import db
from app.models import (
    AuditEvent,
    Commune,
    Nomination,
    OutboxMessage,
    Role,
    Slot,
    SlotSwap,
    StandAssignment,
    User,
)
from app.notifications import inbox, outbox


@dataclass(frozen=True)
class _Mute:
    inbox_from: datetime | None  # from this instant on, notices still reach the inbox


_muted: ContextVar[_Mute | None] = ContextVar("vitrina_notifications_muted", default=None)


@contextmanager
def muted(*, inbox_from: datetime | None = None) -> Iterator[None]:
    """No e-mail for the changes made inside (the demo replaying last year's history). With
    `inbox_from`, what happens (by the clock) from then on still reaches the staff's inbox, so
    the demo's people find their recent notices."""
    token = _muted.set(_Mute(inbox_from))
    try:
        yield
    finally:
        _muted.reset(token)


def _silent() -> bool:
    """Nothing at all is told now: muted, and not (yet) in the inbox's window."""
    mute = _muted.get()
    return mute is not None and (mute.inbox_from is None or clock.now_utc() < mute.inbox_from)


# The mall's decisions an officer hears about.
DECISIONS = frozenset({"approve", "promote", "reject", "waitlist", "cancel"})


def officers(commune_id: int | None) -> list[User]:
    """A commune's active officers: who hears about its lists, weeks and swaps."""
    return list(
        db.session.execute(
            select(User)
            .where(User.active, User.role == Role.OFFICER, User.commune_id == commune_id)
            .order_by(User.id)
        ).scalars()
    )


def coordinators() -> list[User]:
    return list(
        db.session.execute(
            select(User).where(User.active, User.role == Role.COORDINATOR).order_by(User.id)
        ).scalars()
    )


def tell(users: list[User], key: str, template: str, context: dict, **mail) -> int:
    """Tells each user by e-mail and in their inbox, in their language; `key` names the
    change, so telling it again does nothing. Returns how many were told."""
    if _silent():
        return 0
    inbox_only = _muted.get() is not None  # muted, but in the inbox's window
    told = 0
    for user in users:
        user_key = f"{key}:to:{user.id}"
        if outbox.is_queued(user_key) or (inbox_only and inbox.has(user_key)):
            continue
        locale = user.locale or "es"
        rendered = outbox.render(template, {**context, "user": user}, locale)
        if not inbox_only:
            outbox.enqueue(
                key=user_key, recipient=user.email, locale=locale, rendered=rendered, **mail
            )
        inbox.add(
            user,
            key=user_key,
            subject=rendered.subject,
            sentence=rendered.sentence,
            link=context.get("link", ""),
        )
        told += 1
    return told


def _nomination(event: TransitionEvent) -> None:
    nomination: Nomination = event.obj
    name = event.transition.name
    slot = nomination.slot
    link = outbox.absolute_url(
        "nominations.show", slot_id=slot.id, commune_id=nomination.commune_id
    )
    if name in DECISIONS:
        tell(
            officers(nomination.commune_id),
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
        tell(
            coordinators(),
            f"list:{slot.id}:{nomination.commune_id}:{event.at:%Y%m%dT%H%M%S}",
            "list_submitted",
            {"slot": slot, "commune": nomination.commune, "link": review},
        )


def _swap(event: TransitionEvent) -> None:
    swap: SlotSwap = event.obj
    name = event.transition.name
    if name == "request":
        told = officers(swap.to_commune_id)
    elif name == "accept":
        told = coordinators()
    else:  # approve, reject, withdraw: both communes learn how it ended
        told = officers(swap.from_commune_id) + officers(swap.to_commune_id)
    link = outbox.absolute_url(
        "rotation.year", program_id=swap.slot_a.program_id, year=swap.slot_a.year
    )
    tell(
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
    if not touched or _muted.get() is not None or not has_app_context():
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


# --- communes: their weeks moved, given or taken by a re-plan ----------------------------
#
# A re-plan or a coordinator's override is not a state change: it reaches here as audit events
# (app/domain/audit.py). A re-plan touches many weeks in one transaction, so the changes are
# gathered per week and told at commit, one message per commune listing its weeks.

_WEEKS = "vitrina_week_changes"
WEEK_CHANGES = frozenset({"slot.plan", "slot.override", "slot.move", "slot.cancel", "slot.restore"})


@audit.on_record
def _week_changed(event: AuditEvent, obj) -> None:
    if event.action not in WEEK_CHANGES or not isinstance(obj, Slot) or _silent():
        return
    changes = db.session.info.setdefault(_WEEKS, {"slots": {}, "events": []})
    changes["events"].append(event)  # the first one's id names the message
    note = changes["slots"].setdefault(obj.id, {})
    if event.action in ("slot.cancel", "slot.restore"):
        note["state"] = event.action.removeprefix("slot.")
        return
    before = event.before or {}
    if "quotas" in before:
        # The first state before this transaction's changes, against the last after them.
        note.setdefault("quotas", {int(k): v for k, v in before["quotas"].items() if v > 0})
    if "starts_on" in before:
        note.setdefault("dates", (before["starts_on"], before["ends_on"]))


def _week_lines(slot: Slot, note: dict) -> dict[int, dict]:
    """What changed in this week for each commune: gained, lost, stands changed, moved,
    cancelled or restored."""
    after = {a.commune_id: a.stands for a in slot.allocations if a.stands > 0}
    if "state" in note:
        return {cid: {"slot": slot, "kind": note["state"], "after": n} for cid, n in after.items()}
    before = note.get("quotas", after)
    old = note.get("dates")
    moved = old is not None and old != (slot.starts_on.isoformat(), slot.ends_on.isoformat())
    lines = {}
    for commune_id in sorted(set(before) | set(after)):
        b, a = before.get(commune_id, 0), after.get(commune_id, 0)
        if not b and a:
            kind = "gained"
        elif b and not a:
            kind = "lost"
        elif a != b:
            kind = "stands"
        elif moved:
            kind = "moved"
        else:
            continue
        lines[commune_id] = {
            "slot": slot,
            "kind": kind,
            "before": b,
            "after": a,
            "old": (date.fromisoformat(old[0]), date.fromisoformat(old[1])) if moved else None,
        }
    return lines


@event.listens_for(Session, "before_commit")
def _tell_week_changes(session: Session) -> None:
    changes = session.info.pop(_WEEKS, None)
    if not changes or _silent() or not has_app_context():
        return
    session.flush()
    notes = changes["slots"]
    first_event = min(e.id for e in changes["events"])
    today = clock.today()
    slots = session.execute(
        select(Slot)
        .where(Slot.id.in_(sorted(notes)))
        .options(selectinload(Slot.allocations))
        .order_by(Slot.starts_on)
    ).scalars()
    per_commune: dict[int, list[dict]] = {}
    for slot in slots:
        if slot.ends_on < today:
            continue  # history: nobody plans around it any more
        for commune_id, line in _week_lines(slot, notes[slot.id]).items():
            per_commune.setdefault(commune_id, []).append(line)
    for commune_id, lines in per_commune.items():
        first = lines[0]["slot"]
        tell(
            officers(commune_id),
            f"weeks:{commune_id}:{first_event}",
            "weeks_changed",
            {
                "commune": session.get(Commune, commune_id),
                "changes": lines,
                "link": outbox.absolute_url(
                    "rotation.year", program_id=first.program_id, year=first.year
                ),
            },
        )


@event.listens_for(Session, "after_soft_rollback")
def _forget_week_changes(session: Session, _previous) -> None:
    session.info.pop(_WEEKS, None)


@on_transition
def notify(event: TransitionEvent) -> None:
    if _silent() or not has_app_context():
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
