"""The program's week rule picks the right week of each month."""

from datetime import date

import pytest

from app.domain.weeks import full_week_starts, week_for
from app.models import WeekRule


def test_second_full_monday_week_of_december_2026():
    # 1 Dec 2026 is a Tuesday: the first full Monday–Sunday week starts on the 7th.
    assert week_for(WeekRule.NTH_FULL_WEEK, 2026, 12, n=2) == (
        date(2026, 12, 14),
        date(2026, 12, 20),
    )


def test_last_full_week_of_march_2027():
    # 31 Mar 2027 is a Wednesday: the last full Monday week is 22–28 March.
    assert week_for(WeekRule.LAST_FULL_WEEK, 2027, 3) == (date(2027, 3, 22), date(2027, 3, 28))


def test_week_containing_second_saturday():
    # Second Saturday of May 2027 is the 8th; its Monday-start week is 3–9 May.
    assert week_for(WeekRule.WEEK_OF_NTH_WEEKDAY, 2027, 5, n=2, weekday=5) == (
        date(2027, 5, 3),
        date(2027, 5, 9),
    )


def test_fifth_full_week_falls_back_to_the_last_one():
    assert len(full_week_starts(2027, 2, 0)) == 4  # Feb 2027 starts on a Monday
    assert week_for(WeekRule.NTH_FULL_WEEK, 2027, 2, n=5) == (date(2027, 2, 22), date(2027, 2, 28))


def test_thursday_to_sunday_weeks():
    start, end = week_for(WeekRule.NTH_FULL_WEEK, 2027, 1, n=1, week_start=3, length=4)
    assert (start, end) == (date(2027, 1, 7), date(2027, 1, 10))
    assert start.weekday() == 3 and end.weekday() == 6


@pytest.mark.parametrize("month", range(1, 13))
def test_every_month_gets_a_week_inside_it(month):
    start, end = week_for(WeekRule.NTH_FULL_WEEK, 2027, month, n=4)
    assert start.month == month == end.month
    assert (end - start).days == 6
