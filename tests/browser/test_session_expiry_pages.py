"""A session that ends while a page is open never loses what was typed (desktop and phone)."""

import re

import pytest

from tests.browser.conftest import demo_server, open_page, screenshot
from tests.browser.test_review_queue import UNDER_REVIEW
from tests.browser.test_roles_navigation import sign_in


@pytest.fixture
def live_server(tmp_path):
    with demo_server(tmp_path, fixed_now=UNDER_REVIEW) as url:
        yield url


def test_a_typed_form_survives_the_session_ending(live_server, browser):
    page = open_page(browser, 390, 844)
    sign_in(page, live_server, "melipilla@example.com")
    page.goto(f"{live_server}/registry/new")
    page.get_by_label("Nombre del negocio").fill("Tejidos Ñandú")
    page.get_by_label("Descripción").fill("Chalecos de lana de oveja, teñidos a mano.")
    page.context.clear_cookies()  # the session expired while the person typed
    page.get_by_role("button", name=re.compile("Guardar|Registrar")).first.click()
    page.wait_for_url(re.compile(r".*/login\?next=/registry/new"))
    page.get_by_text("Su sesión expiró antes de guardar").wait_for()
    page.get_by_label("Correo electrónico").fill("melipilla@example.com")
    page.get_by_label("Contraseña").fill("vitrina-demo")
    page.get_by_role("button", name="Entrar").click()
    page.wait_for_url(f"{live_server}/registry/new")
    page.get_by_text("Recuperamos lo que había escrito").wait_for()
    assert page.get_by_label("Nombre del negocio").input_value() == "Tejidos Ñandú"
    assert page.get_by_label("Descripción").input_value().startswith("Chalecos de lana")
    screenshot(page, "session-expired-form-restored-phone")
    assert page.console_errors == []


def test_an_expired_session_never_empties_a_review_row(live_server, browser):
    page = open_page(browser, 1280)
    sign_in(page, live_server, "coordinador@example.com")
    card = page.locator("article.week-card").filter(has_text="por revisar").first
    card.get_by_role("button", name="Revisar").click()
    page.wait_for_url(re.compile(r".*/review/slots/\d+$"))
    rows = page.locator("tr.review-row").count()
    row = page.locator("tr.state-row-submitted").first
    row_id = row.get_attribute("id")
    page.context.clear_cookies()
    row.get_by_role("button", name="Aprobar").click()
    page.locator("#session-notice").get_by_text("Su sesión expiró").wait_for()
    assert page.locator("tr.review-row").count() == rows
    assert page.locator(f"#{row_id} .nstate-submitted").count() == 1
    link = page.locator("#session-notice a")
    assert "/login?next=/review/slots/" in link.get_attribute("href")
