"""The feeds as calendar apps read them: parsed back with icalendar and with ical.js."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
from sqlalchemy import event

from app.calendars import feeds
from app.extensions import db as _db
from app.models import NominationState, SlotState
from tests.calendars.conftest import NOW, feed_token

SANTIAGO = ZoneInfo("America/Santiago")
CLOSED = {date(2026, 1, 1)}


def z(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def expected_stand_days(slot) -> list[dict]:
    """The mall's hours each open day of the week: 10–21, Sundays 11–20, closed on 1 January."""
    days = []
    day = slot.starts_on
    while day <= slot.ends_on:
        if day not in CLOSED:
            opens, closes = (time(11), time(20)) if day.weekday() == 6 else (time(10), time(21))
            days.append(
                {
                    "start": z(datetime.combine(day, opens, SANTIAGO)),
                    "end": z(datetime.combine(day, closes, SANTIAGO)),
                }
            )
        day += timedelta(days=1)
    return days


def fetch(client, url: str, **headers):
    response = client.get(url, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    return response


def events_by_uid(data: bytes) -> dict[str, icalendar.Event]:
    cal = icalendar.Calendar.from_ical(data)
    return {str(e["UID"]): e for e in cal.walk("VEVENT") if "RECURRENCE-ID" not in e}


def by_uid(parsed: dict) -> dict[str, dict]:
    return {e["uid"]: e for e in parsed["events"]}


# --- timed events across the year and the clock changes --------------------------------------


@pytest.mark.db
def test_stand_hours_land_on_the_right_utc_instants_all_year(client, province, icaljs, backend):
    token = feed_token(entrepreneur=province["ana"])
    data = fetch(client, f"/calendar/private/{token}.ics").data
    parsed = by_uid(icaljs(data))
    slots = province["slots"]
    assert len(slots) == 24
    for slot in slots:
        nomination, _ = province["nominations"][("ana", slot.id)]
        event = parsed[f"stand-{nomination.id}@vitrina.espaciourbano-melipilla"]
        assert event["status"] == "CONFIRMED"
        assert event["tzid"] == "America/Santiago"
        assert event["occurrences"] == expected_stand_days(slot), slot

    occurrences = {o["start"]: o["end"] for e in parsed.values() for o in e["occurrences"]}
    # Written out by hand: the weeks of the changes, summer (UTC−3) and winter (UTC−4) time.
    assert occurrences["2026-04-04T13:00:00Z"] == "2026-04-05T00:00:00Z"  # Sat 4 Apr, −03
    assert occurrences["2026-04-05T15:00:00Z"] == "2026-04-06T00:00:00Z"  # Sun 5 Apr 11–20, −04
    assert "2026-04-06T14:00:00Z" in occurrences  # Mon 6 Apr, 10:00 −04
    assert occurrences["2026-09-05T14:00:00Z"] == "2026-09-06T01:00:00Z"  # Sat 5 Sep, −04
    assert occurrences["2026-09-06T14:00:00Z"] == "2026-09-06T23:00:00Z"  # Sun 6 Sep 11–20, −03
    assert "2026-09-07T13:00:00Z" in occurrences  # Mon 7 Sep, 10:00 −03
    assert "2027-04-03T13:00:00Z" in occurrences and "2027-04-05T14:00:00Z" in occurrences
    assert "2027-09-04T14:00:00Z" in occurrences and "2027-09-06T13:00:00Z" in occurrences
    assert "2026-07-02T14:00:00Z" in occurrences  # winter
    assert "2026-01-02T13:00:00Z" in occurrences  # summer; 1 January is closed
    assert not any(start.startswith("2026-01-01") for start in occurrences)


@pytest.mark.db
def test_stand_event_is_one_daily_series_in_santiago_time(client, province, backend):
    token = feed_token(entrepreneur=province["ana"])
    data = fetch(client, f"/calendar/private/{token}.ics").data
    cal = icalendar.Calendar.from_ical(data)
    assert [tz["TZID"] for tz in cal.walk("VTIMEZONE")] == ["America/Santiago"]
    january = province["slots"][0]  # Thu 1 – Wed 7 January 2026, 1 January closed
    nomination, _ = province["nominations"][("ana", january.id)]
    uid = f"stand-{nomination.id}@vitrina.espaciourbano-melipilla"
    components = [e for e in cal.walk("VEVENT") if str(e["UID"]) == uid]
    master = next(e for e in components if "RECURRENCE-ID" not in e)
    assert master.decoded("DTSTART") == datetime(2026, 1, 2, 10, tzinfo=SANTIAGO)
    assert master["DTSTART"].params["TZID"] == "America/Santiago"
    assert master["RRULE"] == {"FREQ": ["DAILY"], "COUNT": [6]}
    # Sunday 4 January opens 11–20: an override of that one occurrence.
    (sunday,) = [e for e in components if "RECURRENCE-ID" in e]
    assert sunday.decoded("RECURRENCE-ID") == datetime(2026, 1, 4, 10, tzinfo=SANTIAGO)
    assert sunday.decoded("DTSTART") == datetime(2026, 1, 4, 11, tzinfo=SANTIAGO)
    assert sunday["SEQUENCE"] == master["SEQUENCE"]

    april = next(s for s in province["slots"] if s.month == 4 and s.year == 2026)
    nomination, _ = province["nominations"][("ana", april.id)]
    uid = f"stand-{nomination.id}@vitrina.espaciourbano-melipilla"
    master = next(
        e for e in cal.walk("VEVENT") if str(e["UID"]) == uid and "RECURRENCE-ID" not in e
    )
    assert "EXDATE" not in master
    start = master.decoded("DTSTART")
    # Python's own expansion agrees with ical.js: wall-clock 10:00, offset −03 then −04.
    fifth = datetime.combine(start.date() + timedelta(days=4), start.time(), SANTIAGO)
    assert z(start) == "2026-04-02T13:00:00Z" and z(fifth) == "2026-04-06T14:00:00Z"


# --- all-day weeks -------------------------------------------------------------------------


@pytest.mark.db
def test_weeks_are_all_day_with_the_exclusive_end_date(client, province, icaljs, backend):
    data = fetch(client, "/calendar/mall.ics").data
    parsed = by_uid(icaljs(data))
    ours = events_by_uid(data)
    for slot in province["slots"]:
        uid = f"week-{slot.id}@vitrina.espaciourbano-melipilla"
        assert parsed[uid]["all_day"] is True
        assert parsed[uid]["occurrences"] == [
            {"start": slot.starts_on.isoformat(), "end": (slot.ends_on + timedelta(1)).isoformat()}
        ]
        assert ours[uid].decoded("DTSTART") == slot.starts_on
        assert ours[uid].decoded("DTEND") == slot.ends_on + timedelta(days=1)
        assert ours[uid]["DTSTART"].params.get("VALUE") == "DATE"
        assert parsed[uid]["url"] == f"http://127.0.0.1:5000/calendar/weeks/{slot.id}"
    # The mall feed has no timed events, so no VTIMEZONE is needed.
    assert icalendar.Calendar.from_ical(data).walk("VTIMEZONE") == []


# --- the bytes -----------------------------------------------------------------------------


@pytest.mark.db
def test_feed_bytes_follow_the_rfcs(client, province, backend):
    token = feed_token(user=province["users"]["coordinator"])
    for url in (
        "/calendar/mall.ics",
        "/calendar/communes/melipilla.ics",
        f"/calendar/private/{token}.ics",
        f"/calendar/slots/{province['slots'][0].id}.ics",
    ):
        data = fetch(client, url).data
        text = data.decode("utf-8")
        lines = text.split("\r\n")
        assert lines[0] == "BEGIN:VCALENDAR" and lines[-2:] == ["END:VCALENDAR", ""]
        assert "\n" not in text.replace("\r\n", ""), "bare LF"
        assert all(len(line.encode()) <= 75 for line in lines), "unfolded line"
        unfolded = text.replace("\r\n ", "")
        head = unfolded.split("BEGIN:V", 2)[1]  # the calendar's own properties
        assert "\r\nMETHOD" not in head
        assert "\r\nREFRESH-INTERVAL;VALUE=DURATION:PT1H\r\n" in head
        assert "\r\nX-PUBLISHED-TTL:PT1H\r\n" in head
        assert "\r\nX-WR-TIMEZONE:America/Santiago\r\n" in head
        for prop in ("NAME:Vitrina", "X-WR-CALNAME:Vitrina", "X-WR-CALDESC:", "DESCRIPTION:"):
            assert f"\r\n{prop}" in head, prop
        assert "\r\nCOLOR:" in head and "\r\nX-APPLE-CALENDAR-COLOR:#" in head
        assert "\r\nURL;VALUE=URI:http://127.0.0.1:5000/calendar/\r\n" in head
        assert f"\r\nSOURCE;VALUE=URI:http://127.0.0.1:5000{url}\r\n" in head
        cal = icalendar.Calendar.from_ical(data)
        for vevent in cal.walk("VEVENT"):
            for prop in ("UID", "DTSTAMP", "LAST-MODIFIED", "SEQUENCE", "STATUS", "URL"):
                assert prop in vevent, (url, prop)
            assert vevent["DTSTAMP"].to_ical() == vevent["LAST-MODIFIED"].to_ical()


@pytest.mark.db
def test_color_is_a_css_name_and_the_apple_colour_the_hex(client, province, backend):
    data = fetch(client, "/calendar/communes/melipilla.ics").data
    cal = icalendar.Calendar.from_ical(data)
    assert str(cal["X-APPLE-CALENDAR-COLOR"]) == "#1f6feb"
    assert str(cal["COLOR"]) == "royalblue"


# --- stable UIDs, identical bytes, 304s ---------------------------------------------------


@pytest.mark.db
def test_two_fetches_give_the_same_uids_and_bytes(client, province, icaljs, backend):
    token = feed_token(user=province["users"]["coordinator"])
    url = f"/calendar/private/{token}.ics"
    first, second = fetch(client, url), fetch(client, url)
    assert first.data == second.data
    assert first.headers["ETag"] == second.headers["ETag"]
    uids = [e["uid"] for e in icaljs(first.data)["events"]]
    assert len(uids) == len(set(uids)) == 24 + 24 + (24 + 24 + 3)  # weeks, deadlines, stands


@pytest.mark.db
def test_revalidation_answers_304_without_building(client, province, monkeypatch, backend):
    first = fetch(client, "/calendar/mall.ics")
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert first.headers["Cache-Control"] == "public, max-age=900"

    def no_build(feed):
        raise AssertionError("a 304 must not build the calendar")

    monkeypatch.setattr(feeds, "build", no_build)
    statements = []
    engine = _db.engine

    def count(*args):
        statements.append(args[2])

    event.listen(engine, "before_cursor_execute", count)
    try:
        by_etag = client.get("/calendar/mall.ics", headers={"If-None-Match": etag})
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert by_etag.status_code == 304 and by_etag.data == b""
    assert by_etag.headers["ETag"] == etag
    assert by_etag.headers["Cache-Control"] == "public, max-age=900"
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 1
    by_date = client.get("/calendar/mall.ics", headers={"If-Modified-Since": modified})
    assert by_date.status_code == 304
    stale = client.get("/calendar/mall.ics", headers={"If-None-Match": '"something-else"'})
    assert stale.status_code != 304  # builds: here, the patched build raises → 500


@pytest.mark.db
def test_head_sends_the_headers_without_a_body(client, province, backend):
    get = fetch(client, "/calendar/communes/alhue.ics")
    head = client.head("/calendar/communes/alhue.ics")
    assert head.status_code == 200 and head.data == b""
    assert head.headers["ETag"] == get.headers["ETag"]
    assert head.headers["Content-Length"] == str(len(get.data))
    assert (
        client.head(
            "/calendar/communes/alhue.ics", headers={"If-None-Match": get.headers["ETag"]}
        ).status_code
        == 304
    )


@pytest.mark.db
def test_private_feeds_are_private_to_caches(client, province, backend):
    token = feed_token(entrepreneur=province["ana"])
    response = fetch(client, f"/calendar/private/{token}.ics")
    assert response.headers["Cache-Control"] == "private, max-age=900"


# --- changes: SEQUENCE, cancellations, the grace period -----------------------------------


@pytest.mark.db
def test_moving_a_week_raises_its_sequence_and_changes_the_etag(
    app, client, province, icaljs, backend
):
    slot = province["slots"][5]
    uid = f"week-{slot.id}@vitrina.espaciourbano-melipilla"
    before = fetch(client, "/calendar/mall.ics")
    old = by_uid(icaljs(before.data))[uid]
    # What the rotation domain does when a week moves.
    slot.starts_on += timedelta(days=7)
    slot.ends_on += timedelta(days=7)
    slot.sequence += 1
    slot.updated_at = NOW
    _db.session.commit()
    after = fetch(client, "/calendar/mall.ics", **{"If-None-Match": before.headers["ETag"]})
    assert after.headers["ETag"] != before.headers["ETag"]
    new = by_uid(icaljs(after.data))[uid]
    assert new["sequence"] > old["sequence"]
    assert new["occurrences"][0]["start"] == slot.starts_on.isoformat()


@pytest.mark.db
def test_a_cancelled_week_stays_as_cancelled_then_leaves(app, client, province, icaljs, backend):
    slot = province["slots"][6]
    week_uid = f"week-{slot.id}@vitrina.espaciourbano-melipilla"
    nomination, _ = province["nominations"][("ana", slot.id)]
    stand_uid = f"stand-{nomination.id}@vitrina.espaciourbano-melipilla"
    token = feed_token(user=province["users"]["coordinator"])
    url = f"/calendar/private/{token}.ics"
    before = by_uid(icaljs(fetch(client, url).data))

    slot.state = SlotState.CANCELLED  # even without a SEQUENCE bump by the domain
    slot.updated_at = NOW
    _db.session.commit()
    after = by_uid(icaljs(fetch(client, url).data))
    for uid in (week_uid, stand_uid, f"deadline-{slot.id}@vitrina.espaciourbano-melipilla"):
        assert after[uid]["status"] == "CANCELLED", uid
        assert after[uid]["sequence"] > before[uid]["sequence"], uid
        assert after[uid]["summary"].startswith("Cancelad"), uid
    mall = events_by_uid(fetch(client, "/calendar/mall.ics").data)
    assert mall[week_uid]["STATUS"] == "CANCELLED"

    app.config["FIXED_NOW"] = NOW + timedelta(days=29)
    assert week_uid in by_uid(icaljs(fetch(client, url).data))
    app.config["FIXED_NOW"] = NOW + timedelta(days=31)
    later = by_uid(icaljs(fetch(client, url).data))
    assert week_uid not in later and stand_uid not in later
    assert len(later) == len(before) - 3 - 1  # week, deadline, Ana's and Beto's stands


@pytest.mark.db
def test_a_released_stand_is_cancelled_then_reassigned_with_rising_sequence(
    app, client, province, icaljs, backend
):
    slot = province["slots"][2]
    nomination, assignment = province["nominations"][("ana", slot.id)]
    uid = f"stand-{nomination.id}@vitrina.espaciourbano-melipilla"
    token = feed_token(entrepreneur=province["ana"])
    url = f"/calendar/private/{token}.ics"
    live = by_uid(icaljs(fetch(client, url).data))[uid]
    assert live["status"] == "CONFIRMED" and "stand E-01" in live["location"]

    assignment.released_at = NOW
    _db.session.commit()
    released = by_uid(icaljs(fetch(client, url).data))[uid]
    assert released["status"] == "CANCELLED"
    assert released["sequence"] > live["sequence"]
    assert released["occurrences"] == live["occurrences"]

    from app.models import StandAssignment

    _db.session.add(
        StandAssignment(
            slot=slot, stand=province["stands"]["E-07"], nomination=nomination, assigned_at=NOW
        )
    )
    _db.session.commit()
    moved = by_uid(icaljs(fetch(client, url).data))[uid]
    assert moved["status"] == "CONFIRMED" and "stand E-07" in moved["location"]
    assert moved["sequence"] > released["sequence"]

    nomination.state = NominationState.WITHDRAWN
    nomination.sequence += 1
    nomination.updated_at = NOW + timedelta(hours=1)
    _db.session.commit()
    withdrawn = by_uid(icaljs(fetch(client, url).data))[uid]
    assert withdrawn["status"] == "CANCELLED"
    assert withdrawn["sequence"] > moved["sequence"]

    app.config["FIXED_NOW"] = NOW + timedelta(days=31)
    assert uid not in by_uid(icaljs(fetch(client, url).data))


@pytest.mark.db
def test_a_withdrawn_nomination_is_cancelled_in_the_public_commune_feed(
    client, province, icaljs, backend
):
    slot = province["slots"][1]
    nomination, _ = province["nominations"][("carla", slot.id)]
    uid = f"stand-{nomination.id}@vitrina.espaciourbano-melipilla"
    before = by_uid(icaljs(fetch(client, "/calendar/communes/alhue.ics").data))[uid]
    nomination.state = NominationState.CANCELLED
    nomination.updated_at = NOW
    _db.session.commit()
    after = by_uid(icaljs(fetch(client, "/calendar/communes/alhue.ics").data))[uid]
    assert (before["status"], after["status"]) == ("CONFIRMED", "CANCELLED")
    assert after["sequence"] > before["sequence"]


# --- who sees what --------------------------------------------------------------------------


@pytest.mark.db
def test_public_feeds_show_only_entrepreneurs_who_agreed(client, province, icaljs, backend):
    mall = fetch(client, "/calendar/mall.ics").data.decode()
    commune = icaljs(fetch(client, "/calendar/communes/melipilla.ics").data)
    unfolded = mall.replace("\r\n ", "")
    assert "Quesos Ana" in unfolded and "Cerámica Carla" in unfolded
    assert "Miel Beto" not in unfolded
    summaries = [e["summary"] for e in commune["events"]]
    assert any("Quesos Ana" in s for s in summaries)
    assert not any("Miel Beto" in s or "Cerámica Carla" in s for s in summaries)
    token = feed_token(user=province["users"]["officer"])
    private = icaljs(fetch(client, f"/calendar/private/{token}.ics").data)
    assert any("Miel Beto" in e["summary"] for e in private["events"])


@pytest.mark.db
def test_officer_feed_has_their_commune_weeks_and_deadlines(client, province, icaljs, backend):
    melipilla = province["communes"][0]
    token = feed_token(user=province["users"]["officer"])
    parsed = icaljs(fetch(client, f"/calendar/private/{token}.ics").data)
    events = by_uid(parsed)
    hosted = [
        s for s in province["slots"] if any(a.commune_id == melipilla.id for a in s.allocations)
    ]
    assert hosted and len(hosted) < len(province["slots"])
    weeks = {u for u in events if u.startswith("week-")}
    assert weeks == {f"week-{s.id}@vitrina.espaciourbano-melipilla" for s in hosted}
    for slot in hosted:
        deadline = events[f"deadline-{slot.id}@vitrina.espaciourbano-melipilla"]
        (occurrence,) = deadline["occurrences"]
        assert occurrence["end"] == z(slot.nominations_deadline)
        local = slot.nominations_deadline.astimezone(SANTIAGO)
        assert (local.hour, local.minute) == (23, 59)
    stands = [e for u, e in events.items() if u.startswith("stand-")]
    assert len(stands) == 48  # Ana and Beto, every week; not Carla of Alhué
    assert parsed["name"] == "Vitrina · Melipilla (privado)"


@pytest.mark.db
def test_roster_needs_a_published_week_and_an_approved_nomination(
    app, client, province, icaljs, backend
):
    token = feed_token(entrepreneur=province["ana"])
    url = f"/calendar/private/{token}.ics"
    slots = province["slots"]
    slots[10].state = SlotState.NOMINATIONS_CLOSED  # unpublished again
    slots[10].updated_at = NOW
    nomination, _ = province["nominations"][("ana", slots[11].id)]
    nomination.state = NominationState.SUBMITTED  # no longer approved
    nomination.updated_at = NOW
    _db.session.commit()
    uids = [
        f"stand-{province['nominations'][('ana', s.id)][0].id}@vitrina.espaciourbano-melipilla"
        for s in slots[10:12]
    ]
    events = by_uid(icaljs(fetch(client, url).data))
    # A week that is not published shows no stands (even ones assigned before publication);
    # a nomination that stops being approved was in the feed: it says so, then leaves.
    assert len(events) == 23 and uids[0] not in events
    assert events[uids[1]]["status"] == "CANCELLED"
    app.config["FIXED_NOW"] = NOW + timedelta(days=31)
    events = by_uid(icaljs(fetch(client, url).data))
    assert len(events) == 22 and not set(uids) & set(events)


@pytest.mark.db
def test_the_window_keeps_twelve_months_back(app, client, province, icaljs, backend):
    app.config["FIXED_NOW"] = datetime(2027, 3, 1, 15, tzinfo=UTC)
    parsed = icaljs(fetch(client, "/calendar/mall.ics").data)
    weeks = sorted(
        (e["occurrences"][0]["start"], e["occurrences"][0]["end"]) for e in parsed["events"]
    )
    assert weeks[0] == ("2026-02-26", "2026-03-05")  # still running twelve months ago
    assert weeks[-1][0].startswith("2027-12") and len(weeks) == 24 - 2


# --- cost ----------------------------------------------------------------------------------


def _count_selects(fn) -> int:
    statements = []

    def count(*args):
        statements.append(args[2])

    event.listen(_db.engine, "before_cursor_execute", count)
    try:
        fn()
    finally:
        event.remove(_db.engine, "before_cursor_execute", count)
    return len([s for s in statements if s.lstrip().upper().startswith("SELECT")])


@pytest.mark.db
def test_a_feed_build_takes_a_fixed_number_of_queries(app, province, backend):
    coordinator = province["users"]["coordinator"]
    with app.test_request_context():
        feed = feeds.staff_feed(coordinator, "/calendar/private/x.ics")
        many = _count_selects(lambda: feeds.build(feed))
        _db.session.expire_all()
        for slot in province["slots"][12:]:
            slot.state = SlotState.CANCELLED
            slot.updated_at = NOW - timedelta(days=60)
        _db.session.commit()
        fewer = _count_selects(lambda: feeds.build(feed))
        version = _count_selects(lambda: feeds.version(feed))
    assert many == fewer == 6  # slots, hosts, stands, venue, hours, closures
    assert version == 1
