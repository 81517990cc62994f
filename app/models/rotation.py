"""Programs (seasons of the rotation), their monthly slots and each slot's commune quotas."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    DDL,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
    text,
)
from sqlalchemy.dialects.postgresql import ExcludeConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.communes import Commune
from app.models.types import UTCDateTime, utcnow
from app.models.users import enum_column
from app.models.venue import Venue


class AllocationMode(enum.StrEnum):
    HOST = "host"  # each slot goes to one commune, in turns
    SHARED = "shared"  # each slot's stands are split among communes by rotating quotas


class WeekRule(enum.StrEnum):
    NTH_FULL_WEEK = "nth_full_week"  # the Nth week that lies wholly inside the month
    LAST_FULL_WEEK = "last_full_week"
    WEEK_OF_NTH_WEEKDAY = "week_of_nth_weekday"  # the week containing e.g. the 2nd Saturday


class SlotState(enum.StrEnum):
    PLANNED = "planned"
    NOMINATIONS_OPEN = "nominations_open"
    NOMINATIONS_CLOSED = "nominations_closed"
    PUBLISHED = "published"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


# The week's states that mean the same thing to several rules, named once, on the enum
# (assigned after the class: inside its body the members are still plain strings).
# A week's roster is public from publication on; before that the list can still change.
SlotState.ROSTER_PUBLIC = frozenset(
    {SlotState.PUBLISHED, SlotState.IN_PROGRESS, SlotState.COMPLETED}
)
# Published and not over: stands can still be moved or cancelled, people promoted.
SlotState.PUBLISHED_AND_OPEN = frozenset({SlotState.PUBLISHED, SlotState.IN_PROGRESS})
# Still open to planning: a re-plan, an override or a new date may change it.
SlotState.REPLANNABLE = frozenset({SlotState.PLANNED, SlotState.NOMINATIONS_OPEN})
# The week is over, held or cancelled: nothing more happens to its stands.
SlotState.OVER = frozenset({SlotState.COMPLETED, SlotState.CANCELLED})
# Only weeks still planned can change hands by a swap.
SlotState.SWAPPABLE = frozenset({SlotState.PLANNED})


class Program(db.Model):
    __tablename__ = "program"
    __table_args__ = (
        CheckConstraint("ends_on > starts_on", name="ends_after_starts"),
        CheckConstraint("week_start_weekday BETWEEN 0 AND 6", name="week_start_range"),
        CheckConstraint("week_length_days BETWEEN 1 AND 7", name="week_length_range"),
        CheckConstraint("week_rule_n BETWEEN 1 AND 5", name="week_rule_n_range"),
        CheckConstraint("max_weeks_per_entrepreneur_year >= 1", name="max_weeks_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    venue_id: Mapped[int] = mapped_column(ForeignKey("venue.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    mode: Mapped[AllocationMode] = mapped_column(enum_column(AllocationMode))
    week_rule: Mapped[WeekRule] = mapped_column(enum_column(WeekRule, 30))
    week_rule_n: Mapped[int] = mapped_column(Integer, default=2)
    week_rule_weekday: Mapped[int] = mapped_column(Integer, default=0)
    week_start_weekday: Mapped[int] = mapped_column(Integer, default=0)  # 0 = Monday
    week_length_days: Mapped[int] = mapped_column(Integer, default=7)
    nominations_close_days: Mapped[int] = mapped_column(Integer, default=14)
    max_weeks_per_entrepreneur_year: Mapped[int] = mapped_column(Integer, default=2)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    venue: Mapped[Venue] = relationship()
    slots: Mapped[list[Slot]] = relationship(
        back_populates="program", order_by="Slot.starts_on", cascade="all, delete-orphan"
    )


SLOT_DATES_CONSTRAINT = "ex_slot_program_dates_overlap"


class Slot(db.Model):
    """One week of one month at the venue."""

    __tablename__ = "slot"
    __table_args__ = (
        UniqueConstraint("program_id", "year", "month"),
        CheckConstraint("month BETWEEN 1 AND 12", name="month_range"),
        CheckConstraint("ends_on >= starts_on", name="ends_after_starts"),
        CheckConstraint("capacity >= 0", name="capacity_nonnegative"),
        CheckConstraint("sequence >= 0", name="sequence_nonnegative"),
        # Two live weeks of one program never share a day, whatever the code above does.
        # PostgreSQL only (SQLite has no exclusion constraints); the rule itself lives in the
        # domain, which also checks the venue's other programs.
        ExcludeConstraint(
            ("program_id", "="),
            (text("daterange(starts_on, ends_on, '[]')"), "&&"),
            name=SLOT_DATES_CONSTRAINT,
            using="gist",
            where=text("state <> 'cancelled'"),
            # Realigning a year moves weeks one by one: it defers the check to its last one.
            deferrable=True,
            initially="IMMEDIATE",
        ).ddl_if(dialect="postgresql"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("program.id", ondelete="CASCADE"))
    year: Mapped[int] = mapped_column(Integer)
    month: Mapped[int] = mapped_column(Integer)
    starts_on: Mapped[date] = mapped_column(Date, index=True)
    ends_on: Mapped[date] = mapped_column(Date)  # inclusive; iCal's exclusive end is +1 day
    state: Mapped[SlotState] = mapped_column(enum_column(SlotState), default=SlotState.PLANNED)
    capacity: Mapped[int] = mapped_column(Integer, default=0)  # stands offered this week
    nominations_deadline: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set when a person moved this month's week by hand: regeneration leaves it alone.
    manual_dates: Mapped[bool] = mapped_column(Boolean, default=False)
    notes: Mapped[str] = mapped_column(Text, default="")
    # iCal SEQUENCE: bumped whenever the week's dates or status change.
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    program: Mapped[Program] = relationship(back_populates="slots")
    allocations: Mapped[list[SlotAllocation]] = relationship(
        back_populates="slot", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Slot {self.year}-{self.month:02d}>"


# `=` on an integer inside a GiST index needs btree_gist (a trusted extension). It goes in
# `public` so that every schema sees it and dropping one schema never takes it away.
event.listen(
    db.metadata,
    "before_create",
    DDL("CREATE EXTENSION IF NOT EXISTS btree_gist WITH SCHEMA public").execute_if(
        dialect="postgresql"
    ),
)


class SlotAllocation(db.Model):
    """How many stands of a slot a commune gets (the host takes them all in host mode)."""

    __tablename__ = "slot_allocation"
    __table_args__ = (
        UniqueConstraint("slot_id", "commune_id"),
        CheckConstraint("stands >= 0", name="stands_nonnegative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("slot.id", ondelete="CASCADE"), index=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("commune.id"), index=True)
    stands: Mapped[int] = mapped_column(Integer)
    is_host: Mapped[bool] = mapped_column(Boolean, default=False)

    slot: Mapped[Slot] = relationship(back_populates="allocations")
    commune: Mapped[Commune] = relationship()


class Blackout(db.Model):
    """A month of a program in which the mall offers no week (works, a season of its own)."""

    __tablename__ = "rotation_blackout"
    __table_args__ = (
        UniqueConstraint("program_id", "year", "month"),
        CheckConstraint("month BETWEEN 1 AND 12", name="month_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("program.id", ondelete="CASCADE"))
    year: Mapped[int] = mapped_column(Integer)
    month: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(200), default="")


class CommuneUnavailability(db.Model):
    """A month in which a commune cannot take a turn (local festival, elections, staff away)."""

    __tablename__ = "commune_unavailability"
    __table_args__ = (
        UniqueConstraint("program_id", "commune_id", "year", "month"),
        CheckConstraint("month BETWEEN 1 AND 12", name="month_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("program.id", ondelete="CASCADE"))
    commune_id: Mapped[int] = mapped_column(ForeignKey("commune.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    month: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(200), default="")

    commune: Mapped[Commune] = relationship()


class SwapState(enum.StrEnum):
    REQUESTED = "requested"  # by the commune giving its turn
    ACCEPTED = "accepted"  # by the other commune; waits for a coordinator
    APPROVED = "approved"  # by a coordinator: the hosts were exchanged
    REJECTED = "rejected"
    CANCELLED = "cancelled"


# A swap still waiting for a commune or the mall.
SwapState.OPEN = frozenset({SwapState.REQUESTED, SwapState.ACCEPTED})


class SlotSwap(db.Model):
    """Two communes exchanging their turns (host mode), with both sides and a coordinator."""

    __tablename__ = "slot_swap"
    __table_args__ = (
        CheckConstraint("slot_a_id <> slot_b_id", name="distinct_slots"),
        CheckConstraint("from_commune_id <> to_commune_id", name="distinct_communes"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slot_a_id: Mapped[int] = mapped_column(ForeignKey("slot.id", ondelete="CASCADE"), index=True)
    slot_b_id: Mapped[int] = mapped_column(ForeignKey("slot.id", ondelete="CASCADE"), index=True)
    from_commune_id: Mapped[int] = mapped_column(ForeignKey("commune.id"))  # hosts slot A
    to_commune_id: Mapped[int] = mapped_column(ForeignKey("commune.id"))  # hosts slot B
    state: Mapped[SwapState] = mapped_column(enum_column(SwapState), default=SwapState.REQUESTED)
    reason: Mapped[str] = mapped_column(Text, default="")
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    slot_a: Mapped[Slot] = relationship(foreign_keys=[slot_a_id])
    slot_b: Mapped[Slot] = relationship(foreign_keys=[slot_b_id])
    from_commune: Mapped[Commune] = relationship(foreign_keys=[from_commune_id])
    to_commune: Mapped[Commune] = relationship(foreign_keys=[to_commune_id])
