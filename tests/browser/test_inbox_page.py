"""An officer finds the mall's notice in the navigation, marks it read in place and opens it."""

from __future__ import annotations

from sqlalchemy import select

from tests.browser.conftest import demo_app_server, screenshot
from tests.browser.test_roles_navigation import sign_in


def _give_melipilla_a_week(app) -> str:
    """A coordinator gives a planned week to Melipilla, as the rotation page's override does."""
    from app.domain import rotation
    from app.extensions import db
    from app.models import Commune, Slot, SlotState, User

    with app.app_context():
        coordinator = db.session.execute(
            select(User).where(User.email == "coordinador@example.com")
        ).scalar_one()
        melipilla = db.session.execute(
            select(Commune).where(Commune.name == "Melipilla")
        ).scalar_one()
        week = next(
            slot
            for slot in db.session.execute(
                select(Slot).where(Slot.state == SlotState.PLANNED).order_by(Slot.starts_on)
            ).scalars()
            if rotation.host_of(slot) not in (None, melipilla.id)
        )
        rotation.override_host(week, melipilla, by=coordinator, reason="Acuerdo con la comuna")
        db.session.commit()
        label = f"{week.starts_on.day}"
        db.session.remove()
        return label


def test_officer_reads_a_notice_from_the_navigation(tmp_path, page):
    with demo_app_server(tmp_path) as (base, app):
        day = _give_melipilla_a_week(app)
        sign_in(page, base, "melipilla@example.com")
        badge = page.locator("#inbox-count .count-badge")
        assert badge.inner_text() == "1"
        page.get_by_role("link", name="Avisos").click()
        page.wait_for_url(f"{base}/avisos/")
        notice = page.locator(".inbox-item.unread")
        assert notice.count() == 1
        assert "ahora es de su comuna" in notice.inner_text() and day in notice.inner_text()
        screenshot(page, "inbox-unread")
        # Marked read in place: the row and the navigation's count change without a reload.
        notice.get_by_role("button", name="Marcar como leído").click()
        page.locator(".inbox-item.unread").wait_for(state="detached")
        assert page.locator("#inbox-count .count-badge").count() == 0
        screenshot(page, "inbox-read")
        # The notice leads to the rotation year it is about.
        page.locator(".inbox-subject").first.click()
        page.wait_for_url(f"{base}/rotation/**")
        assert page.console_errors == []
