"""Writing audit events in the caller's transaction."""

from collections.abc import Callable
from typing import Any

from app.extensions import db
from app.models import AuditEvent, User

# Called with each event as it is recorded: changes that are not state transitions (a re-plan
# giving a week to another commune, a week moved) reach the notifications this way.
_listeners: list[Callable[[AuditEvent, Any], None]] = []


def on_record(listener: Callable[[AuditEvent, Any], None]) -> Callable[[AuditEvent, Any], None]:
    _listeners.append(listener)
    return listener


def record(
    action: str,
    obj: Any,
    *,
    actor: User | None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str = "",
    slot_id: int | None = None,
    commune_id: int | None = None,
    entrepreneur_id: int | None = None,
) -> AuditEvent:
    event = AuditEvent(
        action=action,
        object_type=type(obj).__tablename__,
        object_id=getattr(obj, "id", None),
        actor_id=actor.id if actor is not None else None,
        before=before,
        after=after,
        reason=reason,
        slot_id=slot_id,
        commune_id=commune_id,
        entrepreneur_id=entrepreneur_id,
    )
    db.session.add(event)
    for listener in _listeners:
        listener(event, obj)
    return event
