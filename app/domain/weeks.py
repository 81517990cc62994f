"""Which week of a month a program's rule picks: pure date arithmetic, no database."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

from app.models.rotation import WeekRule


def _first_on_or_after(day: date, weekday: int) -> date:
    return day + timedelta(days=(weekday - day.weekday()) % 7)


def full_week_starts(year: int, month: int, week_start: int) -> list[date]:
    """Start dates of the 7-day weeks (starting on week_start) that lie wholly in the month."""
    last = date(year, month, calendar.monthrange(year, month)[1])
    start = _first_on_or_after(date(year, month, 1), week_start)
    starts = []
    while start + timedelta(days=6) <= last:
        starts.append(start)
        start += timedelta(days=7)
    return starts


def week_for(
    rule: WeekRule,
    year: int,
    month: int,
    *,
    n: int = 2,
    weekday: int = 0,
    week_start: int = 0,
    length: int = 7,
) -> tuple[date, date]:
    """(first day, last day inclusive) of the month's week under the rule.

    "Nth full week" falls back to the last full week in months that have fewer than N
    (a month has four or five full weeks, so N = 5 — and N = 4 in a few months — may not exist):
    a rule that silently skipped a month would break the agreement of one week every month.
    """
    if rule is WeekRule.WEEK_OF_NTH_WEEKDAY:
        first = _first_on_or_after(date(year, month, 1), weekday)
        target = first + timedelta(days=7 * (n - 1))
        if target.month != month:  # no 5th such weekday: use the last one
            target -= timedelta(days=7)
        start = target - timedelta(days=(target.weekday() - week_start) % 7)
    else:
        starts = full_week_starts(year, month, week_start)
        start = starts[-1] if rule is WeekRule.LAST_FULL_WEEK else starts[min(n, len(starts)) - 1]
    return start, start + timedelta(days=length - 1)
