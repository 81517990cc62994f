"""The communes of the province that share the mall weeks."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import CheckConstraint, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db


class Commune(db.Model):
    __tablename__ = "commune"
    __table_args__ = (
        CheckConstraint("weight > 0", name="weight_positive"),
        CheckConstraint("length(color) = 7", name="color_hex"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    ine_code: Mapped[str] = mapped_column(String(5), unique=True)
    color: Mapped[str] = mapped_column(String(7))  # "#1f77b4": calendars and the year grid
    # Share of the rotation; equal by default, configurable (e.g. by registered entrepreneurs).
    weight: Mapped[Decimal] = mapped_column(Numeric(6, 2), default=Decimal("1"))

    def __repr__(self) -> str:
        return f"<Commune {self.slug}>"
