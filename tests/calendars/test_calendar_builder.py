"""The builder alone: its VTIMEZONE against zoneinfo, and instants around the clock changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import icalendar

from app.calendars.builder import (
    AllDay,
    CalendarInfo,
    DailyHours,
    Entry,
    Span,
    css_color_name,
    to_bytes,
    vtimezone,
)

SANTIAGO = ZoneInfo("America/Santiago")
STAMP = datetime(2026, 1, 1, 12, tzinfo=UTC)


def _info(*entries: Entry) -> CalendarInfo:
    return CalendarInfo(
        name="Prueba",
        description="Prueba",
        color="#0f766e",
        page_url="https://vitrina.example/calendar/",
        feed_url="https://vitrina.example/calendar/x.ics",
        entries=list(entries),
    )


def test_vtimezone_onsets_are_the_real_changes_read_as_rfc_5545_says():
    tz = vtimezone(date(2026, 1, 1), date(2027, 12, 31))
    onsets = []
    for sub in tz.walk():
        if sub.name not in ("STANDARD", "DAYLIGHT"):
            continue
        before, after = sub["TZOFFSETFROM"].td, sub["TZOFFSETTO"].td
        locals_ = [sub.decoded("DTSTART")]
        for rdate in sub.get("RDATE", []) if isinstance(sub.get("RDATE"), list) else []:
            locals_ += [d.dt for d in rdate.dts]
        for local in locals_:
            if before == after:
                continue
            instant = (local - before).replace(tzinfo=UTC)  # the onset is in the offset before
            assert instant.astimezone(SANTIAGO).utcoffset() == after, local
            assert (instant - timedelta(seconds=1)).astimezone(SANTIAGO).utcoffset() == before
            onsets.append(instant)
    assert datetime(2026, 4, 5, 3, tzinfo=UTC) in onsets  # 24:00 Sat 4 Apr −03 → 23:00 −04
    assert datetime(2026, 9, 6, 4, tzinfo=UTC) in onsets  # 24:00 Sat 5 Sep −04 → 01:00 −03
    assert datetime(2027, 4, 4, 3, tzinfo=UTC) in onsets
    assert datetime(2027, 9, 5, 4, tzinfo=UTC) in onsets


def test_one_rdate_property_per_onset():
    text = vtimezone(date(2026, 1, 1), date(2027, 12, 31)).to_ical().decode()
    rdates = [line for line in text.split("\r\n") if line.startswith("RDATE")]
    assert rdates and all("," not in line for line in rdates)


def test_local_times_around_both_clock_changes(icaljs):
    # 00:00–01:00 on Sunday 6 September 2026 does not exist in Santiago: 01:30 is already −03.
    september = tuple((date(2026, 9, d), time(1, 30), time(2)) for d in (5, 6, 7))
    april = tuple((date(2026, 4, d), time(22, 30), time(22, 45)) for d in (3, 4, 5))
    deadline = datetime(2026, 4, 4, 23, 59, tzinfo=SANTIAGO)  # happens twice: the first one
    entries = [
        Entry("sep@x", 0, False, STAMP, "s", DailyHours(september)),
        Entry("apr@x", 0, False, STAMP, "a", DailyHours(april)),
        Entry("due@x", 0, False, STAMP, "d", Span(deadline - timedelta(minutes=30), deadline)),
    ]
    data = to_bytes(_info(*entries))
    parsed = {e["uid"]: e for e in icaljs(data)["events"]}
    assert [o["start"] for o in parsed["sep@x"]["occurrences"]] == [
        "2026-09-05T05:30:00Z",
        "2026-09-06T04:30:00Z",
        "2026-09-07T04:30:00Z",
    ]
    assert [o["start"] for o in parsed["apr@x"]["occurrences"]] == [
        "2026-04-04T01:30:00Z",
        "2026-04-05T01:30:00Z",
        "2026-04-06T02:30:00Z",
    ]
    assert parsed["due@x"]["occurrences"] == [
        {"start": "2026-04-05T02:29:00Z", "end": "2026-04-05T02:59:00Z"}
    ]
    assert "DTEND:20260405T025900Z\r\n" in data.decode()


def test_cancelled_series_cancels_its_overrides_too():
    days = (
        (date(2026, 4, 4), time(10), time(21)),
        (date(2026, 4, 5), time(11), time(20)),
    )
    data = to_bytes(_info(Entry("s@x", 3, True, STAMP, "Stand", DailyHours(days), busy=True)))
    events = icalendar.Calendar.from_ical(data).walk("VEVENT")
    assert len(events) == 2
    assert {str(e["STATUS"]) for e in events} == {"CANCELLED"}
    assert {e["SEQUENCE"] for e in events} == {3}
    assert {str(e["TRANSP"]) for e in events} == {"TRANSPARENT"}  # a cancelled stand frees the time


def test_all_day_end_is_exclusive():
    data = to_bytes(
        _info(Entry("w@x", 0, False, STAMP, "Semana", AllDay(date(2026, 3, 9), date(2026, 3, 15))))
    )
    text = data.decode()
    assert "DTSTART;VALUE=DATE:20260309\r\n" in text
    assert "DTEND;VALUE=DATE:20260316\r\n" in text
    assert "BEGIN:VTIMEZONE" not in text


def test_css_colour_names_for_the_commune_colours():
    assert css_color_name("#1f6feb") == "royalblue"
    assert css_color_name("#dc2626") == "crimson"
    assert css_color_name("#000000") == "black"
