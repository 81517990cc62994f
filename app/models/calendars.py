"""Secret tokens behind the private calendar feeds of staff users and entrepreneurs."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.registry import Entrepreneur
from app.models.types import UTCDateTime, utcnow
from app.models.users import User

_LIVE_SQL = "revoked_at IS NULL"


class CalendarToken(db.Model):
    """Only the SHA-256 of the token is kept: the URL is shown once, when it is created."""

    __tablename__ = "calendar_token"
    __table_args__ = (
        CheckConstraint(
            "(user_id IS NOT NULL AND entrepreneur_id IS NULL)"
            " OR (user_id IS NULL AND entrepreneur_id IS NOT NULL)",
            name="one_owner",
        ),
        # One live token per owner: regenerating revokes the previous one in the same transaction.
        Index(
            "uq_calendar_token_live_user",
            "user_id",
            unique=True,
            sqlite_where=text(_LIVE_SQL),
            postgresql_where=text(_LIVE_SQL),
        ),
        Index(
            "uq_calendar_token_live_entrepreneur",
            "entrepreneur_id",
            unique=True,
            sqlite_where=text(_LIVE_SQL),
            postgresql_where=text(_LIVE_SQL),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 hex
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    entrepreneur_id: Mapped[int | None] = mapped_column(
        ForeignKey("entrepreneur.id", ondelete="CASCADE")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User | None] = relationship()
    entrepreneur: Mapped[Entrepreneur | None] = relationship()

    @property
    def live(self) -> bool:
        return self.revoked_at is None

    def __repr__(self) -> str:
        return f"<CalendarToken {self.id}>"
