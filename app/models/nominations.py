"""Nominations of entrepreneurs for a slot, and the stands assigned to approved ones."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.communes import Commune
from app.models.registry import Entrepreneur
from app.models.rotation import Slot
from app.models.types import UTCDateTime, utcnow
from app.models.users import User, enum_column
from app.models.venue import Stand


class NominationState(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"
    WAITLISTED = "waitlisted"
    CONFIRMED = "confirmed"
    ATTENDED = "attended"
    NO_SHOW = "no_show"
    WITHDRAWN = "withdrawn"
    CANCELLED = "cancelled"


# The nomination's states that mean the same thing to several rules, named once, on the enum
# (assigned after the class: inside its body the members are still plain strings).
_S = NominationState
# Free the entrepreneur to be nominated again for the same week.
_S.RELEASED = frozenset({_S.WITHDRAWN, _S.CANCELLED})
# Hold (or may still get) a place: count against the entrepreneur's yearly maximum.
_S.HOLDING = frozenset({_S.DRAFT, _S.SUBMITTED, _S.APPROVED, _S.CONFIRMED, _S.WAITLISTED})
# Take one of the commune's stands for the week (the waiting list does not).
_S.QUOTA = frozenset({_S.DRAFT, _S.SUBMITTED, _S.APPROVED, _S.CONFIRMED})
# Proposed by the commune, not decided by the mall yet.
_S.PROPOSED = frozenset({_S.DRAFT, _S.SUBMITTED})
# A week the entrepreneur used (or was given and did not come to).
_S.USED_WEEK = frozenset({_S.APPROVED, _S.CONFIRMED, _S.ATTENDED, _S.NO_SHOW})
# Nothing more happens to it.
_S.FINAL = frozenset({_S.REJECTED, _S.ATTENDED, _S.NO_SHOW, _S.WITHDRAWN, _S.CANCELLED})
# On a published roster with a stand.
_S.ON_ROSTER = frozenset({_S.APPROVED, _S.CONFIRMED, _S.ATTENDED})
# The partial unique index below, in SQL: one live nomination per entrepreneur and week.
_ACTIVE_SQL = "state NOT IN ('withdrawn', 'cancelled')"


class Nomination(db.Model):
    __tablename__ = "nomination"
    __table_args__ = (
        # One live nomination per entrepreneur per slot, whatever the code above does.
        Index(
            "uq_nomination_active_entrepreneur_slot",
            "slot_id",
            "entrepreneur_id",
            unique=True,
            sqlite_where=text(_ACTIVE_SQL),
            postgresql_where=text(_ACTIVE_SQL),
        ),
        CheckConstraint("position >= 0", name="position_nonnegative"),
        Index("ix_nomination_slot_commune", "slot_id", "commune_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("slot.id", ondelete="CASCADE"))
    entrepreneur_id: Mapped[int] = mapped_column(ForeignKey("entrepreneur.id"), index=True)
    # Copied from the entrepreneur so quotas and an officer's view filter without a join.
    commune_id: Mapped[int] = mapped_column(ForeignKey("commune.id"))
    state: Mapped[NominationState] = mapped_column(
        enum_column(NominationState), default=NominationState.DRAFT
    )
    is_reserve: Mapped[bool] = mapped_column(Boolean, default=False)
    position: Mapped[int] = mapped_column(Integer, default=0)  # order within the commune's list
    reason: Mapped[str] = mapped_column(Text, default="")  # last decision's reason, shown to all
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # iCal SEQUENCE for the entrepreneur's own event.
    sequence: Mapped[int] = mapped_column(Integer, default=0)

    slot: Mapped[Slot] = relationship()
    entrepreneur: Mapped[Entrepreneur] = relationship()
    commune: Mapped[Commune] = relationship()
    created_by: Mapped[User | None] = relationship()


_LIVE_SQL = "released_at IS NULL"


class StandAssignment(db.Model):
    """A stand given to an approved nomination for the slot's week; released, never deleted."""

    __tablename__ = "stand_assignment"
    __table_args__ = (
        # The database itself refuses to double-book a stand or give one nomination two stands.
        Index(
            "uq_stand_assignment_live_stand",
            "slot_id",
            "stand_id",
            unique=True,
            sqlite_where=text(_LIVE_SQL),
            postgresql_where=text(_LIVE_SQL),
        ),
        Index(
            "uq_stand_assignment_live_nomination",
            "nomination_id",
            unique=True,
            sqlite_where=text(_LIVE_SQL),
            postgresql_where=text(_LIVE_SQL),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("slot.id", ondelete="CASCADE"), index=True)
    stand_id: Mapped[int] = mapped_column(ForeignKey("stand.id"), index=True)
    # Indexed in full (not only the live partial index): feeds count every assignment a
    # nomination ever had to compute SEQUENCE, and at scale that scan dominated.
    nomination_id: Mapped[int] = mapped_column(ForeignKey("nomination.id"), index=True)
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    release_reason: Mapped[str] = mapped_column(Text, default="")

    slot: Mapped[Slot] = relationship()
    stand: Mapped[Stand] = relationship()
    nomination: Mapped[Nomination] = relationship()
