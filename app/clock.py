"""Today and now in the venue's time zone; one place so tests (and the demo) can set the time.

Nothing else in the app reads the system clock: a rule that depends on the date asks here, so
a test can run the app on any day and a test suite never depends on the day it runs.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

VENUE_TZ = ZoneInfo("America/Santiago")


def wall_clock() -> datetime:
    """The system's time. The test suite replaces this function with a fixed instant."""
    return datetime.now(UTC)


def now_utc() -> datetime:
    if has_app_context() and (fixed := current_app.config.get("FIXED_NOW")):
        return fixed.astimezone(UTC)
    return wall_clock()


def today() -> date:
    """The calendar date at the mall, not at the server (UTC) — they differ every evening."""
    return now_utc().astimezone(VENUE_TZ).date()


def venue_midnight(day: date) -> datetime:
    """The instant a day begins at the mall (00:00 America/Santiago), in UTC."""
    return datetime.combine(day, time(0), tzinfo=VENUE_TZ).astimezone(UTC)


@contextmanager
def frozen_at(instant: datetime) -> Iterator[None]:
    """Runs the block as if it were `instant` (the demo replays a past week's history at the
    times it would have happened). For one-off commands and tests, not for serving requests:
    it changes the application's setting for every thread."""
    config = current_app.config
    had, before = "FIXED_NOW" in config, config.get("FIXED_NOW")
    config["FIXED_NOW"] = instant
    try:
        yield
    finally:
        if had:
            config["FIXED_NOW"] = before
        else:
            config.pop("FIXED_NOW", None)


def parse_instant(text: str) -> datetime:
    """An instant from `2027-01-05` (noon at the mall that day) or an ISO date-time; a
    date-time without an offset is read as mall time."""
    text = text.strip()
    if len(text) == 10:
        return datetime.combine(date.fromisoformat(text), time(12), tzinfo=VENUE_TZ).astimezone(UTC)
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        value = value.replace(tzinfo=VENUE_TZ)
    return value.astimezone(UTC)
