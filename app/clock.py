"""Today and now in the venue's time zone; one place so tests can move the clock."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

VENUE_TZ = ZoneInfo("America/Santiago")


def now_utc() -> datetime:
    if has_app_context() and (fixed := current_app.config.get("FIXED_NOW")):
        return fixed.astimezone(UTC)
    return datetime.now(UTC)


def today() -> date:
    """The calendar date at the mall, not at the server (UTC) — they differ every evening."""
    return now_utc().astimezone(VENUE_TZ).date()
