"""Writing audit events in the caller's transaction."""

from typing import Any

from app.extensions import db
from app.models import AuditEvent, User


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
    return event
