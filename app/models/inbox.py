"""Staff's in-app notices: what the e-mail said, kept where they work, until they read it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.types import UTCDateTime, utcnow


class InboxItem(db.Model):
    __tablename__ = "inbox_item"
    # The navigation counts a user's unread notices on every page: one index answers it.
    __table_args__ = (Index("ix_inbox_user_unread", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    # The same key as the e-mail it goes with: one change never leaves two notices.
    key: Mapped[str] = mapped_column(String(200), unique=True)
    subject: Mapped[str] = mapped_column(String(300))
    sentence: Mapped[str] = mapped_column(Text, default="")
    # A path inside the app (not the e-mail's absolute link): the inbox is read in the app.
    link: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
