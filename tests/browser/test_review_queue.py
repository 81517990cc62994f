"""A coordinator goes from the home page to the week waiting for review and decides in place."""

import re
from datetime import datetime

import pytest

from app import clock
from tests.browser.conftest import demo_server, open_menu, open_page, screenshot
from tests.browser.test_roles_navigation import sign_in

# A day on which a week waits for the mall's review (its deadline passed on 30 November, it is
# published on 7 December): the demo has such a week only a few days a month.
UNDER_REVIEW = datetime(2026, 12, 3, 12, tzinfo=clock.VENUE_TZ)


@pytest.fixture
def live_server(tmp_path):
    # Each run decides the same nominations: a fresh demo every time.
    with demo_server(tmp_path, fixed_now=UNDER_REVIEW) as url:
        yield url


@pytest.mark.parametrize("width", [1280, 390])
def test_coordinator_approves_and_rejects_from_the_queue_without_leaving_it(
    live_server, browser, width
):
    suffix = "desktop" if width > 600 else "phone"
    page = open_page(browser, width)
    sign_in(page, live_server, "coordinador@example.com")

    # The home page says how many wait and leads there.
    card = page.locator("article.week-card").filter(has_text="por revisar").first
    waiting = int(re.search(r"(\d+) nominaci", card.inner_text()).group(1))
    card.get_by_role("button", name="Revisar").click()  # a link styled as a button
    page.wait_for_url(re.compile(r".*/review/slots/\d+$"))
    screenshot(page, f"review-queue-{suffix}")
    free = int(page.get_by_test_id("count-free").inner_text())
    page.evaluate("document.body.dataset.marker = 'same-page'")

    submitted = page.locator("tr.state-row-submitted")
    assert submitted.count() == waiting
    first_id = submitted.first.get_attribute("id")
    submitted.first.get_by_role("button", name="Aprobar").click()
    approved = page.locator(f"#{first_id}")
    approved.locator(".nstate-approved").wait_for()
    assert re.search(r"[A-Z]-?\d+", approved.locator("td").nth(5).inner_text())  # its stand
    page.get_by_test_id("count-free").filter(has_text=str(free - 1)).wait_for()

    # Rejecting asks for the reason the commune will read; without one nothing is sent.
    second = page.locator("tr.state-row-submitted").first
    second_id = second.get_attribute("id")
    # A double click sends nothing: no button slides under the pointer as the form opens.
    reject = second.locator("details.reason-action", has_text="Rechazar")
    reject.locator("summary").dblclick()
    page.wait_for_load_state("networkidle")
    assert page.locator(f"#{second_id} .nstate-submitted").count() == 1
    if not reject.evaluate("details => details.open"):
        reject.locator("summary").click()
    form = reject.locator("form")
    form.get_by_role("button", name="Rechazar").click()
    assert page.locator(f"#{second_id} .nstate-submitted").count() == 1
    form.get_by_role("textbox", name="Motivo").fill("Sin resolución sanitaria vigente")
    form.get_by_role("button", name="Rechazar").click()
    rejected = page.locator(f"#{second_id}")
    rejected.locator(".nstate-rejected").wait_for()
    assert "Sin resolución sanitaria vigente" in rejected.inner_text()
    assert page.evaluate("document.body.dataset.marker") == "same-page"  # no reload
    screenshot(page, f"review-decided-{suffix}")

    # Back home, the count follows.
    open_menu(page)
    page.get_by_role("link", name="Inicio").click()
    card = page.locator("article.week-card").filter(has_text="por revisar").first
    assert f"{waiting - 2} nominaci" in card.inner_text()
    assert page.console_errors == []
    page.context.close()
