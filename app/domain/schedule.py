"""Read-side queries about the weeks at the mall, scoped to what a user may see."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.domain import policy
from app.extensions import db
from app.models import Slot, SlotAllocation, SlotState, User


def upcoming_slots(user: User, *, today: date, limit: int = 6) -> list[Slot]:
    """The next weeks (including the current one); an officer sees their commune's turns."""
    query = (
        select(Slot)
        .where(Slot.ends_on >= today, Slot.state != SlotState.CANCELLED)
        .options(selectinload(Slot.allocations).selectinload(SlotAllocation.commune))
        .order_by(Slot.starts_on)
        .limit(limit)
    )
    if (own := policy.commune_scope(user)) is not None:
        query = query.where(
            Slot.id.in_(
                select(SlotAllocation.slot_id).where(
                    SlotAllocation.commune_id == own, SlotAllocation.stands > 0
                )
            )
        )
    return list(db.session.execute(query).scalars())


def current_slot(*, today: date) -> Slot | None:
    query = (
        select(Slot)
        .where(Slot.starts_on <= today, Slot.ends_on >= today, Slot.state != SlotState.CANCELLED)
        .options(selectinload(Slot.allocations).selectinload(SlotAllocation.commune))
        .order_by(Slot.starts_on)
        .limit(1)
    )
    return db.session.execute(query).scalar_one_or_none()
