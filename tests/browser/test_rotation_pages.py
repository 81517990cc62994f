"""The rotation in a real browser: the year at a glance, and a week changed in place by htmx."""

from tests.browser.conftest import screenshot
from tests.browser.test_roles_navigation import sign_in


def test_officer_sees_the_year_coloured_by_commune(live_server, page):
    sign_in(page, live_server, "curacavi@example.com")
    page.get_by_role("link", name="Rotación", exact=True).click()
    page.wait_for_selector(".year-grid")
    assert page.locator(".month-card").count() == 12
    assert page.locator(".mini-cal td.in-slot.c-curacavi").count() >= 7  # at least one week
    assert page.get_by_role("heading", name="¿Es justo?").is_visible()
    assert page.get_by_role("link", name="Replanificar…").count() == 0
    screenshot(page, "rotation-year-officer")
    assert page.console_errors == []


def test_coordinator_opens_nominations_without_a_page_reload(live_server, page):
    sign_in(page, live_server, "coordinador@example.com")
    page.goto(f"{live_server}/rotation/")
    page.locator(".year-switch a").nth(1).click()  # next year: its weeks are still planned
    page.wait_for_selector(".month-card:has(.state-planned)")
    page.locator(".month-card:has(.state-planned) .month-link").nth(2).click()
    page.wait_for_selector("#slot-panel")
    marker = page.evaluate("() => (window.__stay = Math.random())")
    page.get_by_role("button", name="Abrir nominaciones").click()
    page.get_by_text("Estado actualizado.").wait_for()
    assert page.get_by_test_id("slot-state").inner_text() == "Nominaciones abiertas"
    assert page.evaluate("() => window.__stay") == marker  # same document: swapped in place
    screenshot(page, "rotation-slot-coordinator")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "rotation-slot-coordinator-phone")
    assert page.console_errors == []
