"""Each commune's registry of entrepreneurs and the product categories admins keep."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.communes import Commune
from app.models.types import UTCDateTime, utcnow


class Category(db.Model):
    __tablename__ = "category"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    # Food categories need a sanitary resolution and its expiry before a nomination.
    requires_food_permit: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Entrepreneur(db.Model):
    __tablename__ = "entrepreneur"
    __table_args__ = (
        CheckConstraint(
            "sanitary_expiry IS NULL OR sanitary_resolution IS NOT NULL",
            name="expiry_needs_resolution",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("commune.id"), index=True)
    business_name: Mapped[str] = mapped_column(String(160))
    owner_name: Mapped[str] = mapped_column(String(160))
    # Normalised "12345678-5"; unique across the province: one entrepreneur, one commune.
    rut: Mapped[str] = mapped_column(String(12), unique=True)
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(16))  # normalised "+56912345678"
    category_id: Mapped[int] = mapped_column(ForeignKey("category.id"), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    website: Mapped[str | None] = mapped_column(String(300))
    needs_power: Mapped[bool] = mapped_column(Boolean, default=False)
    needs_table: Mapped[bool] = mapped_column(Boolean, default=False)
    needs_food_handling: Mapped[bool] = mapped_column(Boolean, default=False)
    sanitary_resolution: Mapped[str | None] = mapped_column(String(60))
    sanitary_expiry: Mapped[date | None] = mapped_column(Date)
    public_consent: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    commune: Mapped[Commune] = relationship()
    category: Mapped[Category] = relationship()

    def __repr__(self) -> str:
        return f"<Entrepreneur {self.id}>"
