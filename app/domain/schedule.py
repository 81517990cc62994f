"""Read-side queries about the weeks at the mall, scoped to what a user may see."""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.domain import policy
from app.domain.errors import NotFound
from app.extensions import db
from app.models import Slot, SlotAllocation, SlotState, User


def get_week(slot_id: int) -> Slot:
    """One week with its communes (the public week page, its roster and poster)."""
    slot = db.session.execute(
        select(Slot)
        .where(Slot.id == slot_id)
        .options(selectinload(Slot.allocations).joinedload(SlotAllocation.commune))
    ).scalar_one_or_none()
    if slot is None:
        raise NotFound(_("No existe esa semana."))
    return slot


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
