"""The mall: its opening hours, stands, stand closures and days it is closed."""

from __future__ import annotations

from datetime import date, time

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db


class Venue(db.Model):
    __tablename__ = "venue"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    city: Mapped[str] = mapped_column(String(80))
    address: Mapped[str] = mapped_column(String(200), default="")
    timezone: Mapped[str] = mapped_column(String(64), default="America/Santiago")

    hours: Mapped[list[OpeningHours]] = relationship(
        back_populates="venue", order_by="OpeningHours.weekday", cascade="all, delete-orphan"
    )
    stands: Mapped[list[Stand]] = relationship(back_populates="venue", order_by="Stand.code")

    def __repr__(self) -> str:
        return f"<Venue {self.slug}>"


class OpeningHours(db.Model):
    """One row per weekday the mall opens (0 = Monday, as Python's date.weekday())."""

    __tablename__ = "opening_hours"
    __table_args__ = (
        UniqueConstraint("venue_id", "weekday"),
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_range"),
        CheckConstraint("opens < closes", name="opens_before_closes"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    venue_id: Mapped[int] = mapped_column(ForeignKey("venue.id", ondelete="CASCADE"))
    weekday: Mapped[int] = mapped_column(Integer)
    opens: Mapped[time] = mapped_column(Time)
    closes: Mapped[time] = mapped_column(Time)

    venue: Mapped[Venue] = relationship(back_populates="hours")


class Stand(db.Model):
    __tablename__ = "stand"
    __table_args__ = (
        UniqueConstraint("venue_id", "code"),
        CheckConstraint("area_m2 IS NULL OR area_m2 > 0", name="area_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    venue_id: Mapped[int] = mapped_column(ForeignKey("venue.id"), index=True)
    code: Mapped[str] = mapped_column(String(20))
    location: Mapped[str] = mapped_column(String(120), default="")
    area_m2: Mapped[int | None] = mapped_column(Integer)
    has_power: Mapped[bool] = mapped_column(Boolean, default=False)
    food_allowed: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Position on the stand map (SVG user units); null until a coordinator places it.
    map_x: Mapped[int | None] = mapped_column(Integer)
    map_y: Mapped[int | None] = mapped_column(Integer)

    venue: Mapped[Venue] = relationship(back_populates="stands")
    closures: Mapped[list[StandClosure]] = relationship(
        back_populates="stand", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Stand {self.code}>"


class StandClosure(db.Model):
    """A stand out of service for a period (repairs, a mall event): it takes no assignments."""

    __tablename__ = "stand_closure"
    __table_args__ = (CheckConstraint("ends_on >= starts_on", name="ends_after_starts"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    stand_id: Mapped[int] = mapped_column(ForeignKey("stand.id", ondelete="CASCADE"), index=True)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text, default="")

    stand: Mapped[Stand] = relationship(back_populates="closures")


class VenueClosure(db.Model):
    """A day the mall is closed: retail 'irrenunciable' holidays and election days.

    Seeded from the `holidays` package, then edited by people, because the package knows neither
    which holidays close retail nor election days.
    """

    __tablename__ = "venue_closure"
    __table_args__ = (UniqueConstraint("venue_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    venue_id: Mapped[int] = mapped_column(ForeignKey("venue.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(200))
