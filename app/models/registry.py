"""Each commune's registry of entrepreneurs and the product categories admins keep."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.communes import Commune
from app.models.types import UTCDateTime, utcnow
from app.models.users import User, enum_column
from app.textfold import search_key


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
    # Business name, owner and e-mail folded (lowercase, no accents): what search compares,
    # alike on SQLite and PostgreSQL. Kept on every insert and ORM update (see below); bulk
    # updates set it themselves.
    search_text: Mapped[str] = mapped_column(
        Text, default=lambda ctx: _search_default(ctx), server_default=""
    )
    # Moves with every edit: a form saved over someone else's newer edit is refused (409)
    # instead of silently undoing it.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    commune: Mapped[Commune] = relationship()
    category: Mapped[Category] = relationship()

    def __repr__(self) -> str:
        return f"<Entrepreneur {self.id}>"


def entrepreneur_search_text(business_name: str | None, owner_name: str | None, email: str | None):
    return search_key(business_name, owner_name, email)


def _search_default(context) -> str:
    values = context.get_current_parameters()
    return entrepreneur_search_text(
        values.get("business_name"), values.get("owner_name"), values.get("email")
    )


@event.listens_for(Entrepreneur, "before_update")
def _keep_search_text(_mapper, _connection, target: Entrepreneur) -> None:
    target.search_text = entrepreneur_search_text(
        target.business_name, target.owner_name, target.email
    )


class ImportState(enum.StrEnum):
    CHECKING = "checking"  # rows are being validated, a chunk per request
    READY = "ready"  # every row checked; the preview can be committed if it has no errors
    COMMITTED = "committed"


class RegistryImport(db.Model):
    """An uploaded spreadsheet kept server-side while its rows are checked and previewed.

    Checking runs a chunk of rows per request (the page polls), so a file of thousands of rows
    shows progress and no request runs long; nothing reaches the registry until the commit.
    """

    __tablename__ = "registry_import"
    __table_args__ = (CheckConstraint("checked_rows <= total_rows", name="checked_within_total"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(43), unique=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("commune.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    filename: Mapped[str] = mapped_column(String(200), default="")
    encoding: Mapped[str] = mapped_column(String(20))
    delimiter: Mapped[str] = mapped_column(String(1))
    source: Mapped[str] = mapped_column(Text)  # the decoded file, parsed again per chunk
    state: Mapped[ImportState] = mapped_column(
        enum_column(ImportState), default=ImportState.CHECKING
    )
    total_rows: Mapped[int] = mapped_column(Integer, default=0)
    checked_rows: Mapped[int] = mapped_column(Integer, default=0)
    error_rows: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    committed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    commune: Mapped[Commune] = relationship()
    created_by: Mapped[User | None] = relationship()


class RegistryImportRow(db.Model):
    """One checked data row of an import: its clean values, or why it cannot be imported."""

    __tablename__ = "registry_import_row"
    __table_args__ = (
        UniqueConstraint("import_id", "line"),
        Index("ix_registry_import_row_import_rut", "import_id", "rut"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("registry_import.id", ondelete="CASCADE"))
    line: Mapped[int] = mapped_column(Integer)  # line in the file, header = 1
    rut: Mapped[str | None] = mapped_column(String(12))
    # The registry entry this row updates (same RUT, same commune); None creates a new one.
    entrepreneur_id: Mapped[int | None] = mapped_column(Integer)
    ok: Mapped[bool] = mapped_column(Boolean, default=True)
    values: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    errors: Mapped[list[str]] = mapped_column(JSON, default=list)
