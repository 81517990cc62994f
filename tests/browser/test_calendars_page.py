"""The subscribe page in a real browser: public feeds for anyone, a private link for staff."""

import re

from tests.browser.conftest import open_menu, open_page, screenshot
from tests.browser.test_roles_navigation import sign_in


def test_anyone_sees_how_to_subscribe(live_server, page):
    page.goto(f"{live_server}/calendar/")
    assert page.get_by_role("heading", name="Calendarios", exact=True).is_visible()
    mall = page.get_by_test_id("feed-mall")
    assert (
        mall.get_by_role("button", name="Suscribirse", exact=True)
        .get_attribute("href")
        .startswith("webcal://")
    )
    assert mall.get_by_role("button", name="Agregar a Google Calendar").is_visible()
    assert mall.get_by_role("img", name=re.compile("Código QR")).is_visible()
    page.get_by_text("Cómo suscribirse").click()
    page.get_by_test_id("feed-curacavi").locator("summary").click()
    assert (
        page.get_by_test_id("url-curacavi")
        .input_value()
        .endswith("/calendar/communes/curacavi.ics")
    )
    screenshot(page, "calendars-public")
    assert page.console_errors == []


def test_officer_generates_a_private_link_on_a_phone(live_server, browser):
    page = open_page(browser, 390, 844)
    sign_in(page, live_server, "curacavi@example.com")
    open_menu(page)
    page.get_by_role("navigation").get_by_role("link", name="Calendarios").click()
    page.wait_for_url(f"{live_server}/calendar/")
    page.get_by_role("button", name="Generar enlace privado").click()
    issued = page.get_by_test_id("issued-feed")
    issued.wait_for()
    url = page.get_by_test_id("url-private-feed").input_value()
    assert re.fullmatch(r"http://127\.0\.0\.1:5000/calendar/private/[A-Za-z0-9_-]{43}\.ics", url)
    assert page.url == f"{live_server}/calendar/"  # swapped in place by htmx
    screenshot(page, "calendars-private-phone")
    feed = page.request.get(live_server + url.split("5000", 1)[1])
    assert feed.status == 200 and "Curacaví (privado)" in feed.text()
    page.context.close()
    assert page.console_errors == []


def test_desktop_private_section_after_generating(live_server, page):
    sign_in(page, live_server, "coordinador@example.com")
    page.goto(f"{live_server}/calendar/")
    page.get_by_role("button", name="Generar enlace privado").click()
    page.get_by_test_id("issued-feed").wait_for()
    screenshot(page, "calendars-private-desktop")
    page.reload()
    assert (
        page.get_by_test_id("token-status").inner_text().startswith("Hay un enlace privado activo")
    )
    assert page.console_errors == []
