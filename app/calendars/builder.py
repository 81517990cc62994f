"""The one iCalendar builder: turns calendar entries into the bytes every feed serves.

Event model (what subscribers see):
- a week at the mall is an all-day event, DTSTART;VALUE=DATE = first day and DTEND = the day
  after the last (iCalendar's end is exclusive);
- an entrepreneur's stand is a timed event during the mall's opening hours, written once with
  RRULE:FREQ=DAILY;COUNT=n in America/Santiago (with its VTIMEZONE), EXDATE for the days the
  mall is closed and a RECURRENCE-ID override for a day whose hours differ from the first
  day's: clients expand it in local time, so 10:00 stays 10:00 across a daylight-saving change;
- a nominations deadline is a short event that ends at the deadline, written in UTC.

Subscription feeds carry no METHOD. DTSTAMP equals LAST-MODIFIED (RFC 5545 §3.8.7.2: without
METHOD it is when the information last changed), so two fetches of unchanged data are
byte-identical.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import webcolors
from icalendar import Calendar, Event, Timezone, vCalAddress, vDuration, vText

TZID = "America/Santiago"
VENUE_TZ = ZoneInfo(TZID)
PRODID = "-//Vitrina//Semanas de emprendedores en Mall Espacio Urbano Melipilla//ES"
REFRESH = timedelta(hours=1)


@dataclass(frozen=True)
class AllDay:
    first: date
    last: date  # inclusive, as Slot.ends_on


@dataclass(frozen=True)
class DailyHours:
    """The days an event happens, each with its local opening and closing time."""

    days: tuple[tuple[date, time, time], ...]


@dataclass(frozen=True)
class Span:
    start: datetime  # timezone-aware
    end: datetime


@dataclass(frozen=True)
class Entry:
    uid: str
    sequence: int
    cancelled: bool
    modified: datetime  # UTC; DTSTAMP and LAST-MODIFIED
    summary: str
    when: AllDay | DailyHours | Span
    description: str = ""
    location: str = ""
    url: str = ""
    color: str | None = None  # "#rrggbb"
    categories: tuple[str, ...] = ()
    busy: bool = False  # weeks do not block the day; an entrepreneur's own stand does


@dataclass(frozen=True)
class Invitation:
    """An e-mailed invitation (iMIP, RFC 6047) instead of a subscription feed: METHOD REQUEST
    adds or updates the event in the attendee's calendar, CANCEL removes it."""

    method: str  # "REQUEST" or "CANCEL"
    organizer_email: str
    organizer_name: str
    attendee_email: str
    attendee_name: str


@dataclass(frozen=True)
class CalendarInfo:
    name: str
    description: str
    color: str  # "#rrggbb"
    page_url: str
    feed_url: str
    entries: list[Entry] = field(default_factory=list)


@lru_cache(maxsize=256)
def css_color_name(hex_color: str) -> str:
    """RFC 7986 COLOR takes a CSS3 colour *name*; the nearest one to the hex value."""
    r, g, b = webcolors.hex_to_rgb(hex_color)
    return min(
        webcolors.names("css3"),
        key=lambda name: sum(
            (a - c) ** 2 for a, c in zip(webcolors.name_to_rgb(name), (r, g, b), strict=True)
        ),
    )


def build_calendar(info: CalendarInfo, invitation: Invitation | None = None) -> Calendar:
    cal = Calendar()
    cal.add("version", "2.0")
    cal.add("prodid", PRODID)
    cal.add("calscale", "GREGORIAN")
    if invitation is not None:
        # An invitation is one event for one person, not a calendar to subscribe to.
        cal.add("method", invitation.method)
        _add_events(cal, info, invitation)
        return cal
    cal.add("name", info.name)
    cal.add("x-wr-calname", info.name)
    cal.add("description", info.description)
    cal.add("x-wr-caldesc", info.description)
    cal.add("color", css_color_name(info.color))
    cal.add("x-apple-calendar-color", info.color)
    cal.add("x-wr-timezone", TZID)
    # icalendar 7.3 writes REFRESH-INTERVAL without the VALUE=DURATION that RFC 7986 requires,
    # and a timedelta X-PUBLISHED-TTL as "1:00:00": both are given explicitly.
    cal.add("refresh-interval", vDuration(REFRESH), parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", vText(vDuration(REFRESH).to_ical().decode()))
    cal.add("url", info.page_url, parameters={"VALUE": "URI"})
    cal.add("source", info.feed_url, parameters={"VALUE": "URI"})
    _add_events(cal, info, None)
    return cal


def _add_events(cal: Calendar, info: CalendarInfo, invitation: Invitation | None) -> None:
    timed_days = [d for e in info.entries for d in _local_days(e.when)]
    if timed_days:
        cal.add_component(vtimezone(min(timed_days), max(timed_days)))
    for entry in info.entries:
        for component in _events(entry):
            if invitation is not None:
                component.add(
                    "organizer",
                    vCalAddress(f"mailto:{invitation.organizer_email}"),
                    parameters={"CN": invitation.organizer_name},
                )
                component.add(
                    "attendee",
                    vCalAddress(f"mailto:{invitation.attendee_email}"),
                    parameters={
                        "CN": invitation.attendee_name,
                        "ROLE": "REQ-PARTICIPANT",
                        "PARTSTAT": "ACCEPTED",
                        "RSVP": "FALSE",
                    },
                )
            cal.add_component(component)


def to_bytes(info: CalendarInfo, invitation: Invitation | None = None) -> bytes:
    return build_calendar(info, invitation).to_ical()


def vtimezone(first: date, last: date) -> Timezone:
    """America/Santiago's VTIMEZONE from zoneinfo, covering whole years around the events.

    Two fixes to what icalendar 7.3 writes, both found by reading the feed back with ical.js:
    - the onset of a forward change (the spring gap) comes out in the wall time after the
      change (01:00 for Chile's 00:00 → 01:00), but RFC 5545 reads an onset in the offset in
      force before it (TZOFFSETFROM): clients would move the change an hour late;
    - all onsets after the first are one comma-separated RDATE, and ical.js (Thunderbird's
      parser) reads only the first value of each RDATE: one property per onset instead.
    """
    tz = Timezone.from_tzid(
        TZID, first_date=date(first.year - 1, 1, 1), last_date=date(last.year + 2, 1, 1)
    )
    for sub in tz.subcomponents:
        jump = max(sub["TZOFFSETTO"].td - sub["TZOFFSETFROM"].td, timedelta(0))
        onset = sub.decoded("DTSTART") - jump
        rdates = [rd.dt - jump for rdates in _as_list(sub.get("RDATE")) for rd in rdates.dts]
        sub.pop("DTSTART")
        sub.add("DTSTART", onset)
        sub.pop("RDATE", None)
        for rdate in rdates:
            sub.add("RDATE", rdate)
    return tz


def _as_list(value):
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _local_days(when: AllDay | DailyHours | Span) -> list[date]:
    if isinstance(when, DailyHours):
        return [d for d, _, _ in when.days]
    return []


def _base(entry: Entry) -> Event:
    event = Event()
    event.add("uid", entry.uid)
    stamp = entry.modified.astimezone(UTC).replace(microsecond=0)
    event.add("dtstamp", stamp)
    event.add("last-modified", stamp)
    event.add("sequence", entry.sequence)
    event.add("status", "CANCELLED" if entry.cancelled else "CONFIRMED")
    event.add("summary", entry.summary)
    if entry.description:
        event.add("description", entry.description)
    if entry.location:
        event.add("location", entry.location)
    if entry.url:
        event.add("url", entry.url, parameters={"VALUE": "URI"})
    if entry.color:
        event.add("color", css_color_name(entry.color))
    if entry.categories:
        event.add("categories", list(entry.categories))
    event.add("transp", "OPAQUE" if entry.busy and not entry.cancelled else "TRANSPARENT")
    return event


def _local(day: date, at: time) -> datetime:
    return datetime.combine(day, at, tzinfo=VENUE_TZ)


def _events(entry: Entry) -> list[Event]:
    when = entry.when
    event = _base(entry)
    if isinstance(when, AllDay):
        event.add("dtstart", when.first)
        event.add("dtend", when.last + timedelta(days=1))
        return [event]
    if isinstance(when, Span):
        # Instants go out in UTC: 23:59 on the Saturday of the April change happens twice in
        # Santiago, and clients disagree on which one a local time means (ical.js takes the
        # second, RFC 5545 the first).
        event.add("dtstart", when.start.astimezone(UTC))
        event.add("dtend", when.end.astimezone(UTC))
        return [event]

    days = sorted(when.days)
    first_day, opens, closes = days[0]
    event.add("dtstart", _local(first_day, opens))
    event.add("dtend", _local(first_day, closes))
    if len(days) == 1:
        return [event]
    last_day = days[-1][0]
    count = (last_day - first_day).days + 1
    event.add("rrule", {"FREQ": "DAILY", "COUNT": count})
    open_days = {d for d, _, _ in days}
    closed = [
        _local(first_day + timedelta(days=i), opens)
        for i in range(count)
        if first_day + timedelta(days=i) not in open_days
    ]
    if closed:
        event.add("exdate", closed)
    # The first day sets the series' hours; other days with other hours are overridden.
    overrides = []
    for day, day_opens, day_closes in days[1:]:
        if (day_opens, day_closes) == (opens, closes):
            continue
        override = _base(entry)
        override.add("recurrence-id", _local(day, opens))
        override.add("dtstart", _local(day, day_opens))
        override.add("dtend", _local(day, day_closes))
        overrides.append(override)
    return [event, *overrides]
