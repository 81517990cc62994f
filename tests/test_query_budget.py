"""Query budget: every page does a bounded number of SQL statements, the same at scale 1 and 3.

A page whose count grows with the data has an N+1 query; the bound keeps pages from creeping.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import event, select

from app import create_app
from app.config import TestConfig
from app.extensions import db
from app.models import Commune, Program, Slot, SlotAllocation, SlotState

# Page → the most statements it may run (login/session lookups included).
BUDGET = {
    "officer home": 8,
    "coordinator home": 8,
    "rotation year": 45,
    "week page": 16,
    "review queue": 15,
    "review queue, undecided": 15,
    "stands map": 12,
    "audit trail": 10,
    "registry list": 20,
    "nominations overview": 20,
    "mall feed": 12,
    "mall feed 304": 6,
    "commune feed": 12,
    "mall showcase": 12,
    "mall showcase 304": 2,
    "commune showcase": 8,
    "reports": 12,
    "reports, a year and a commune": 13,
    "reports, officer": 13,
    "report export": 12,
    "week roster": 7,
    "week poster": 9,
}


def build(scale: int, path) -> object:
    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{path}"
        SECRET_KEY = "budget"
        LOGIN_RATE_LIMIT = "1000 per minute"

    app = create_app(Config)
    with app.app_context():
        db.create_all()
        from app.demo.generate import generate

        generate(scale)
        db.session.commit()
    return app


@pytest.fixture(scope="module")
def apps(tmp_path_factory):
    return {s: build(s, tmp_path_factory.mktemp(f"scale{s}") / "db.sqlite") for s in (1, 3)}


def login(client, email):
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    client.post("/login", data={"email": email, "password": "vitrina-demo", "csrf_token": token})


def pages(app) -> dict[str, tuple[str, str, dict]]:
    with app.app_context():
        program = db.session.execute(select(Program)).scalar_one()
        full = (
            db.session.execute(
                select(Slot)
                .where(Slot.state == SlotState.COMPLETED)
                .order_by(Slot.starts_on.desc())
            )
            .scalars()
            .first()
        )
        undecided = db.session.execute(
            select(Slot.id).where(Slot.state == SlotState.NOMINATIONS_CLOSED)
        ).scalar_one()
        commune = db.session.execute(select(Commune).order_by(Commune.id)).scalars().first()
        year = program.ends_on.year  # a year with earlier years before it, at any scale
        host = db.session.execute(
            select(Commune)
            .join(SlotAllocation, SlotAllocation.commune_id == Commune.id)
            .where(SlotAllocation.slot_id == full.id, SlotAllocation.stands > 0)
        ).scalar_one()
    # The showcase pages on a day of the full week: its roster is on the page.
    during = datetime.combine(full.starts_on + timedelta(days=2), time(15), tzinfo=UTC)
    return {
        "officer home": ("officer", "/", {}),
        "coordinator home": ("coordinator", "/", {}),
        "rotation year": ("coordinator", f"/rotation/programs/{program.id}/years/{year}", {}),
        "week page": ("coordinator", f"/rotation/slots/{full.id}", {}),
        "review queue": ("coordinator", f"/review/slots/{full.id}", {}),
        "review queue, undecided": ("coordinator", f"/review/slots/{undecided}", {}),
        "stands map": ("coordinator", f"/stands/?slot={full.id}", {}),
        "audit trail": ("coordinator", "/audit/", {}),
        "registry list": ("officer", "/registry/", {}),
        "nominations overview": ("officer", "/nominations/", {}),
        "mall feed": (None, "/calendar/mall.ics", {}),
        "mall feed 304": (None, "/calendar/mall.ics", {"etag": True}),
        "commune feed": (None, f"/calendar/communes/{commune.slug}.ics", {}),
        "mall showcase": (None, "/mall", {"at": during}),
        "mall showcase 304": (None, "/mall", {"at": during, "etag": True}),
        "commune showcase": (None, f"/mall/communes/{host.slug}", {"at": during}),
        # Reports read every year of data: twice the years at scale 3, the same statements.
        "reports": ("viewer", "/reports/", {}),
        "reports, a year and a commune": (
            "viewer",
            f"/reports/?year={full.year}&commune={host.id}",
            {},
        ),
        "reports, officer": ("officer", "/reports/", {}),
        "report export": ("viewer", "/reports/semanas.xlsx", {}),
        "week roster": ("coordinator", f"/reports/weeks/{full.id}/roster", {}),
        "week poster": ("coordinator", f"/reports/weeks/{full.id}/poster", {}),
    }


def count(app, who: str | None, path: str, options: dict) -> int:
    client = app.test_client()
    emails = {
        "officer": None,
        "coordinator": "coordinador@example.com",
        "viewer": "viewer@example.com",
    }
    if who == "officer":
        with app.app_context():
            # A commune with a list in the week under review: pages show the same at any scale.
            reviewed = db.session.execute(
                select(Commune)
                .join(SlotAllocation, SlotAllocation.commune_id == Commune.id)
                .join(Slot, Slot.id == SlotAllocation.slot_id)
                .where(Slot.state == SlotState.NOMINATIONS_CLOSED, SlotAllocation.stands > 0)
                .order_by(Commune.id)
            ).scalars()
            emails["officer"] = f"{reviewed.first().slug}@example.com"
    if who:
        login(client, emails[who])
    if options.get("at"):
        app.config["FIXED_NOW"] = options["at"]
    try:
        return _count(app, client, path, options)
    finally:
        app.config.pop("FIXED_NOW", None)


def _count(app, client, path: str, options: dict) -> int:
    headers = {}
    if options.get("etag"):
        headers["If-None-Match"] = client.get(path).headers["ETag"]
    statements = []
    with app.app_context():
        engine = db.engine

        def before(*_):
            statements.append(1)

        event.listen(engine, "before_cursor_execute", before)
        try:
            response = client.get(path, headers=headers)
        finally:
            event.remove(engine, "before_cursor_execute", before)
    assert response.status_code == (304 if options.get("etag") else 200), (path, response.status)
    return len(statements)


@pytest.mark.parametrize("page", list(BUDGET))
def test_page_query_count_is_bounded_and_independent_of_scale(apps, page):
    counts = {}
    for scale, app in apps.items():
        who, path, options = pages(app)[page]
        counts[scale] = count(app, who, path, options)
    assert counts[1] == counts[3], f"{page}: {counts} statements grow with the data"
    assert counts[3] <= BUDGET[page], f"{page}: {counts[3]} statements, budget {BUDGET[page]}"
