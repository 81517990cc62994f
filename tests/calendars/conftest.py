"""A province with a week every month of 2026 and 2027 (each holding the first Sunday, so the
April and September weeks straddle Chile's clock changes), stands assigned, and ical.js."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from app.calendars import tokens
from app.domain import rotation
from app.extensions import db as _db
from app.models import (
    AllocationMode,
    Entrepreneur,
    Nomination,
    NominationState,
    Program,
    Slot,
    SlotState,
    StandAssignment,
    VenueClosure,
    WeekRule,
)
from tests.factories import make_category, make_entrepreneur, make_world

ROOT = Path(__file__).resolve().parents[2]
DUMP = Path(__file__).with_name("icaljs_dump.mjs")
NOW = datetime(2026, 3, 1, 15, 0, tzinfo=UTC)
BASE = NOW - timedelta(days=10)  # when every row of the fixture was last changed


@pytest.fixture(scope="session")
def icaljs():
    """Runs tests/calendars/icaljs_dump.mjs (ical.js, as in Thunderbird) on feed bytes."""
    node = shutil.which("node")
    if node is None or not (ROOT / "node_modules" / "ical.js").is_dir():
        if os.environ.get("VITRINA_REQUIRE_ALL_TESTS") == "1":
            pytest.fail("node and node_modules/ical.js are required (make test runs npm ci)")
        pytest.skip("node or node_modules/ical.js missing: run `make test` (npm ci)")

    def parse(data: bytes) -> dict:
        done = subprocess.run(
            [node, str(DUMP)], input=data, capture_output=True, cwd=ROOT, timeout=60, check=False
        )
        assert done.returncode == 0, done.stderr.decode()
        return json.loads(done.stdout)

    return parse


def nominate(slot: Slot, entrepreneur: Entrepreneur, stand, state=NominationState.APPROVED):
    nomination = Nomination(
        slot=slot, entrepreneur=entrepreneur, commune_id=entrepreneur.commune_id, state=state
    )
    _db.session.add(nomination)
    _db.session.flush()
    assignment = StandAssignment(slot=slot, stand=stand, nomination=nomination)
    _db.session.add(assignment)
    _db.session.flush()
    return nomination, assignment


def freeze_timestamps(at: datetime = BASE) -> None:
    """Change times are real time by default; pin them so the clock can be moved in tests."""
    _db.session.execute(update(Slot).values(updated_at=at))
    _db.session.execute(update(Nomination).values(updated_at=at, created_at=at))
    _db.session.execute(update(Entrepreneur).values(updated_at=at))
    _db.session.execute(update(StandAssignment).values(assigned_at=at))
    _db.session.commit()


@pytest.fixture
def province(app, db):
    app.config["FIXED_NOW"] = NOW
    world = make_world()
    venue = world["venue"]
    sunday = next(h for h in venue.hours if h.weekday == 6)
    sunday.opens, sunday.closes = time(11), time(20)
    db.session.add(VenueClosure(venue_id=venue.id, day=date(2026, 1, 1), reason="Año Nuevo"))
    program = Program(
        venue=venue,
        name="Vitrina 2026–2027",
        starts_on=date(2026, 1, 1),
        ends_on=date(2027, 12, 31),
        mode=AllocationMode.HOST,
        week_rule=WeekRule.WEEK_OF_NTH_WEEKDAY,
        week_rule_n=1,
        week_rule_weekday=6,  # the week holding the month's first Sunday...
        week_start_weekday=3,  # ...from Thursday to Wednesday
    )
    db.session.add(program)
    db.session.flush()
    slots = []
    for year in (2026, 2027):
        slots += rotation.generate_slots(program, year, by=None).created
    communes = world["communes"]
    for i, slot in enumerate(slots):
        host = communes[i % len(communes)]
        rotation.set_allocations(slot, {host.id: 10}, host_id=host.id, by=None)
        slot.state = SlotState.PUBLISHED
    category = make_category()
    melipilla, alhue = communes[0], communes[1]
    ana = make_entrepreneur(
        melipilla, category, "12345678-5", business_name="Quesos Ana", public_consent=True
    )
    beto = make_entrepreneur(
        melipilla, category, "11111111-1", business_name="Miel Beto", public_consent=False
    )
    carla = make_entrepreneur(
        alhue, category, "22222222-2", business_name="Cerámica Carla", public_consent=True
    )
    stands = {s.code: s for s in venue.stands}
    nominations = {}
    for slot in slots:
        nominations[("ana", slot.id)] = nominate(slot, ana, stands["E-01"])
        nominations[("beto", slot.id)] = nominate(slot, beto, stands["E-02"])
    for slot in slots[:3]:
        nominations[("carla", slot.id)] = nominate(slot, carla, stands["E-03"])
    db.session.commit()
    freeze_timestamps()
    return {
        **world,
        "program": program,
        "slots": sorted(slots, key=lambda s: s.starts_on),
        "ana": ana,
        "beto": beto,
        "carla": carla,
        "stands": stands,
        "nominations": nominations,
        "category": category,
    }


def feed_token(**owner) -> str:
    token = tokens.issue_token(**owner, by=None)
    _db.session.commit()
    return token
