"""Bulk approve: "Elegir todas" ticks every pending nomination; nothing ticked says so; the
states are explained where they appear."""

import re

import pytest

from tests.browser.conftest import demo_server, open_page, screenshot
from tests.browser.test_review_queue import UNDER_REVIEW
from tests.browser.test_roles_navigation import sign_in


@pytest.fixture
def live_server(tmp_path):
    with demo_server(tmp_path, fixed_now=UNDER_REVIEW) as url:
        yield url


def _open_queue(page, live_server):
    sign_in(page, live_server, "coordinador@example.com")
    card = page.locator("article.week-card").filter(has_text="por revisar").first
    card.get_by_role("button", name="Revisar").click()
    page.wait_for_url(re.compile(r".*/review/slots/\d+$"))


def test_select_all_then_bulk_approve_approves_every_pending_one(live_server, browser):
    page = open_page(browser, 1280)
    _open_queue(page, live_server)
    pending = page.locator("tr.state-row-submitted").count()
    assert pending > 1
    free = int(page.get_by_test_id("count-free").inner_text())

    # Nothing ticked: the page says so instead of silently doing nothing.
    page.get_by_role("button", name="Aprobar las marcadas").click()
    page.get_by_text("No marcó ninguna nominación").wait_for()
    assert page.locator("tr.state-row-submitted").count() == pending

    page.get_by_label("Elegir todas las pendientes", exact=True).check()
    ticked = page.locator('input[name="ids"]:checked').count()
    assert ticked == page.locator('input[name="ids"]').count() >= pending
    page.get_by_role("button", name="Aprobar las marcadas").click()
    page.get_by_text(re.compile(r"Aprobados: \d+")).first.wait_for()
    screenshot(page, "review-bulk-approved")
    assert page.locator("tr.state-row-submitted").count() == max(0, pending - free)
    assert page.console_errors == []


def test_the_states_are_explained_where_they_appear(live_server, browser):
    page = open_page(browser, 390, 844)
    _open_queue(page, live_server)
    legend = page.locator("details.state-legend")
    legend.locator("summary").click()
    assert "espera la revisión del mall" in legend.inner_text()
    assert "confirmó con el emprendedor" in legend.inner_text()
    badge = page.locator("tr.state-row-submitted .nstate-submitted").first
    assert "espera la revisión" in badge.get_attribute("title")
