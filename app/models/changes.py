"""A single counter that moves whenever schedule data changes: the cheap validator for feeds."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.types import UTCDateTime, utcnow


class DataVersion(db.Model):
    """One row (id 1). Feeds answer If-None-Match from it with one primary-key lookup instead
    of aggregating the rows they show; see app/domain/changes.py for what moves it."""

    __tablename__ = "data_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
