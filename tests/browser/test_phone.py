"""On a 390 px phone: the page starts within the first screen behind a menu button, the review
and stands tables read without sideways scrolling, feedback shows where the finger is, and a
list reorders by more than one step."""

import re

import pytest

from tests.browser.conftest import demo_server, open_menu, open_page, screenshot
from tests.browser.test_review_queue import UNDER_REVIEW
from tests.browser.test_roles_navigation import sign_in


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    with demo_server(tmp_path_factory.mktemp("phone"), fixed_now=UNDER_REVIEW) as url:
        yield url


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_the_menu_folds_so_the_page_starts_on_the_first_screen(live_server, browser):
    page = open_page(browser, 390, 844)
    sign_in(page, live_server, "coordinador@example.com")
    heading = page.locator("main h1").first
    assert heading.bounding_box()["y"] < 200
    assert not page.get_by_role("link", name="Rotación", exact=True).is_visible()
    screenshot(page, "home-phone-menu-closed")
    open_menu(page)
    assert page.locator(".nav-toggle").get_attribute("aria-expanded") == "true"
    page.get_by_role("link", name="Rotación", exact=True).click()
    page.wait_for_url(re.compile(r".*/rotation/.*"))
    # Desktop: no button, the navigation as before.
    wide = open_page(browser, 1280)
    sign_in(wide, live_server, "coordinador@example.com")
    assert not wide.locator(".nav-toggle").is_visible()
    assert wide.get_by_role("link", name="Rotación", exact=True).is_visible()
    assert page.console_errors == [] and wide.console_errors == []


def test_review_and_stands_read_without_sideways_scrolling(live_server, browser):
    page = open_page(browser, 390, 844)
    sign_in(page, live_server, "coordinador@example.com")
    card = page.locator("article.week-card").filter(has_text="por revisar").first
    card.get_by_role("button", name="Revisar").click()
    page.wait_for_url(re.compile(r".*/review/slots/\d+$"))
    assert no_sideways_scroll(page)
    row = page.locator("tr.state-row-submitted").first
    assert row.bounding_box()["width"] <= 390
    row_id = row.get_attribute("id")
    row.get_by_role("button", name="Aprobar").click()
    message = page.locator(f"#{row_id} [data-testid=row-message]")
    message.wait_for()
    assert message.is_visible() and message.bounding_box()["y"] >= 0
    box = message.bounding_box()
    assert 0 <= box["y"] <= 844  # on screen, next to the button that was pressed
    screenshot(page, "review-phone-cards")
    page.goto(f"{live_server}/stands/")
    assert no_sideways_scroll(page)
    screenshot(page, "stands-phone-cards")
    assert page.console_errors == []


def test_an_officer_moves_someone_several_places_at_once(live_server, browser):
    page = open_page(browser, 390, 844)
    sign_in(page, live_server, "coordinador@example.com")
    page.goto(f"{live_server}/nominations/")
    row = page.locator("table.nomination-lists tbody tr").filter(has_text="borradores").first
    href = row.get_by_role("link").first.get_attribute("href")
    commune = row.locator(".chip").inner_text().strip()
    emails = {"Curacaví": "curacavi@example.com", "María Pinto": "mariapinto@example.com"}
    page.context.clear_cookies()
    sign_in(page, live_server, emails.get(commune, "curacavi@example.com"))
    page.goto(f"{live_server}{href}")
    names = page.locator("ol.is-main li.nomination strong").all_inner_texts()
    assert len(names) >= 3
    last = page.locator("ol.is-main li.nomination").nth(len(names) - 1)
    last.locator("select[name=place]").select_option("1")
    last.get_by_role("button", name="Mover").click()
    page.locator("ol.is-main li.nomination strong").first.filter(has_text=names[-1]).wait_for()
    assert page.locator("ol.is-main li.nomination strong").all_inner_texts() == [
        names[-1],
        *names[:-1],
    ]
    assert no_sideways_scroll(page)
    assert page.console_errors == []
