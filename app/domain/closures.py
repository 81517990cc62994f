"""Days that matter for a week at the mall: Chilean national holidays and mall closures."""

from __future__ import annotations

from datetime import date
from functools import lru_cache

import holidays
from sqlalchemy import select

from app.extensions import db
from app.models import VenueClosure


@lru_cache(maxsize=16)
def _national(year: int) -> dict[date, str]:
    # The package knows national holidays only; election days and which holidays close retail
    # live in the venue_closure table that people edit.
    return dict(holidays.country_holidays("CL", years=year, language="es"))


def national_holidays(start: date, end: date) -> dict[date, str]:
    found: dict[date, str] = {}
    for year in range(start.year, end.year + 1):
        found.update({d: n for d, n in _national(year).items() if start <= d <= end})
    return found


def venue_closures(venue_id: int, start: date, end: date) -> dict[date, str]:
    rows = db.session.execute(
        select(VenueClosure.day, VenueClosure.reason).where(
            VenueClosure.venue_id == venue_id, VenueClosure.day.between(start, end)
        )
    )
    return {day: reason for day, reason in rows}
