"""An officer finds people with search-as-you-type and nominates one, on desktop and phone."""

import re
from urllib.parse import unquote_plus

import pytest

from app.demo.loader import OFFICER_EMAILS
from app.demo.people import COMMUNE_NAMES
from tests.browser.conftest import open_menu, open_page, screenshot
from tests.browser.test_roles_navigation import sign_in

EMAIL_BY_COMMUNE = {COMMUNE_NAMES[slug]: email for slug, email in OFFICER_EMAILS.items()}


def _open_list(browser, live_server) -> tuple[str, str]:
    """The first list taking nominations, and its officer, as the coordinator sees them."""
    context = browser.new_context(locale="es-CL")
    page = context.new_page()
    sign_in(page, live_server, "coordinador@example.com")
    page.goto(f"{live_server}/nominations/")
    row = page.locator("table.nomination-lists tbody tr").filter(has_text="Nominaciones abiertas")
    commune = row.first.locator(".chip").inner_text().strip()
    href = row.first.get_by_role("link").get_attribute("href")
    context.close()
    return EMAIL_BY_COMMUNE[commune], href


@pytest.mark.parametrize("width", [1280, 390])
def test_officer_searches_the_registry_and_nominates(live_server, browser, width):
    email, list_url = _open_list(browser, live_server)
    suffix = "desktop" if width > 600 else "phone"
    page = open_page(browser, width)
    sign_in(page, live_server, email)

    # The registry: typing narrows the list without leaving the page.
    open_menu(page)
    page.get_by_role("link", name="Emprendedores", exact=True).click()
    page.wait_for_url(re.compile(r".*/registry/$"))
    screenshot(page, f"registry-list-{suffix}")
    names = page.locator("#registry-results tbody tr strong").all_inner_texts()
    word = names[3].split()[0]
    page.evaluate("document.body.dataset.marker = 'same-page'")
    page.get_by_role("searchbox", name="Buscar").press_sequentially(word, delay=40)
    # The address carries the word percent-encoded when it has accents ("Almácigos").
    page.wait_for_url(lambda url: f"q={word}" in unquote_plus(url))
    rows = page.locator("#registry-results tbody tr strong")
    rows.first.wait_for()
    found = rows.all_inner_texts()
    texts = page.locator("#registry-results tbody tr").all_inner_texts()
    assert all(word.lower() in text.lower() for text in texts)  # name, owner or email
    assert 0 < len(found) < len(names)
    assert page.evaluate("document.body.dataset.marker") == "same-page"  # no reload
    screenshot(page, f"registry-search-{suffix}")

    # The nomination list: pick the first suggested person, who has not been to the mall yet.
    page.goto(f"{live_server}{list_url}")
    first = page.locator("#candidates li.candidate").filter(
        has=page.get_by_role("button", name=re.compile("^Nominar"))
    )
    name = first.first.locator("strong").inner_text()
    page.get_by_label("Buscar en el registro").press_sequentially(name[:6], delay=40)
    candidate = page.locator("#candidates li.candidate", has_text=name).first
    candidate.wait_for()
    candidate.get_by_role("button", name=f"Nominar: {name}").click()
    notice = page.get_by_text(f"Se agregó a «{name}» a la lista titular.")
    notice.wait_for()
    assert page.locator("ol.is-main").get_by_role("link", name=name).is_visible()
    # The confirmation is in the row just added, where the finger is on a phone.
    row = page.locator("ol.is-main li.nomination", has=page.get_by_role("link", name=name))
    assert row.get_by_test_id("row-notice").is_visible()
    screenshot(page, f"nominations-list-{suffix}")
    page.locator("ol.is-main a", has_text=name).first.click()
    page.wait_for_url(re.compile(r".*/registry/\d+$"))
    screenshot(page, f"registry-entrepreneur-{suffix}")
    assert page.console_errors == []
    page.context.close()


def test_import_page_and_nominations_index_render(live_server, page):
    sign_in(page, live_server, "coordinador@example.com")
    page.goto(f"{live_server}/nominations/")
    screenshot(page, "nominations-index-desktop")
    page.goto(f"{live_server}/registry/import")
    assert page.get_by_role("heading", name="Importar emprendedores desde CSV").is_visible()
    screenshot(page, "registry-import-desktop")
    assert page.console_errors == []
