"""The public showcase on a phone: a visitor lands on this week's stands and opens the week."""

import re
from datetime import UTC, datetime

import pytest

from tests.browser.conftest import demo_server, screenshot

# Inside the demo's March 2027 week (the second full week of the month): it is in progress.
DURING_A_WEEK = datetime(2027, 3, 10, 15, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def week_server(tmp_path_factory):
    with demo_server(tmp_path_factory.mktemp("showcase"), fixed_now=DURING_A_WEEK) as url:
        yield url


def test_a_visitor_on_a_phone_sees_the_stands_and_opens_the_week(week_server, browser):
    context = browser.new_context(locale="es-CL", viewport={"width": 390, "height": 844})
    page = context.new_page()
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{week_server}/")  # visitors are sent from the home page to the showcase
    page.wait_for_url(f"{week_server}/mall")
    assert page.get_by_role("heading", name="Esta semana en el mall", level=1).is_visible()
    assert page.get_by_text("Ahora en el mall").is_visible()
    card = page.get_by_test_id("stand-card").first
    assert card.is_visible()
    assert re.fullmatch(r"E-\d\d", card.locator(".stand-code").inner_text())
    business = card.get_by_role("heading").inner_text()
    # Phone width: the cards stack, nothing scrolls sideways.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    box = card.bounding_box()
    assert box["width"] > 300
    screenshot(page, "showcase-phone")
    page.get_by_role("link", name="Ver la semana y descargar al calendario").click()
    page.wait_for_url(re.compile(r".*/calendar/weeks/\d+$"))
    assert page.get_by_role("heading", name=re.compile("^Semana del ")).is_visible()
    assert page.get_by_role("cell", name=business, exact=True).is_visible()
    context.close()
    assert errors == []
