"""The deadline passes while an officer has the list open: the next click finds the week
closed, and the page says so, without anyone running a job or opening the rotation page."""

import re
from datetime import datetime, timedelta

from sqlalchemy import select

from app import clock
from app.extensions import db
from app.models import Slot, SlotState
from tests.browser.conftest import demo_app_server, open_page, screenshot
from tests.browser.test_registry_nominations import EMAIL_BY_COMMUNE
from tests.browser.test_roles_navigation import sign_in

# The January 2027 week takes nominations until 28 December 2026, 23:59.
BEFORE = datetime(2026, 12, 3, 12, tzinfo=clock.VENUE_TZ)


def test_a_list_open_at_the_deadline_closes_on_the_next_click(tmp_path, browser):
    with demo_app_server(tmp_path, fixed_now=BEFORE) as (base, app):
        with app.app_context():
            slot = db.session.execute(
                select(Slot)
                .where(Slot.state == SlotState.NOMINATIONS_OPEN)
                .order_by(Slot.starts_on)
                .limit(1)
            ).scalar_one()
            host = next(a.commune for a in slot.allocations if a.stands > 0)
            deadline, slot_id, commune = slot.nominations_deadline, slot.id, host
            db.session.remove()
        page = open_page(browser, 390)
        sign_in(page, base, EMAIL_BY_COMMUNE[commune.name])
        page.goto(f"{base}/nominations/{slot_id}/{commune.id}")
        assert page.get_by_text("Nominaciones abiertas").first.is_visible()
        nominate = page.get_by_role("button", name=re.compile("^Nominar")).first
        nominate.wait_for()

        app.config["FIXED_NOW"] = deadline + timedelta(minutes=1)
        nominate.click()
        page.get_by_text("Nominaciones cerradas").first.wait_for()
        assert page.get_by_role("button", name=re.compile("^Nominar")).count() == 0
        assert page.get_by_text(re.compile("El plazo para nominar venció")).first.is_visible()
        screenshot(page, "nominations-deadline-passed-phone")

        with app.app_context():
            assert db.session.get(Slot, slot_id).state is SlotState.NOMINATIONS_CLOSED
            db.session.remove()
        # The refused click's 409 is logged by the browser; nothing else may be.
        assert [e for e in page.console_errors if "409 (CONFLICT)" not in e] == []
        page.context.close()
