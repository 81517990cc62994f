"""An administrator is asked before locking someone out; the person is told why they can't
sign in."""

import pytest

from tests.browser.conftest import demo_server, open_page
from tests.browser.test_roles_navigation import sign_in


@pytest.fixture
def live_server(tmp_path):
    with demo_server(tmp_path) as url:
        yield url


def test_deactivating_asks_first_and_the_person_is_told(live_server, browser):
    page = open_page(browser, 390, 844)
    sign_in(page, live_server, "admin@example.com")
    page.goto(f"{live_server}/admin/users")
    row = page.locator("tr").filter(has_text="viewer@example.com")
    row.get_by_role("button", name="Desactivar").click()
    page.get_by_role("heading", name="¿Desactivar a").wait_for()
    page.get_by_role("button", name="Cancelar").click()  # a link styled as a button
    page.wait_for_url(f"{live_server}/admin/users")
    assert "Activo" in page.locator("tr").filter(has_text="viewer@example.com").inner_text()

    page.locator("tr").filter(has_text="viewer@example.com").get_by_role(
        "button", name="Desactivar"
    ).click()
    page.get_by_role("button", name="Sí, desactivar").click()
    page.get_by_text("Se desactivó a").wait_for()

    other = open_page(browser, 390, 844)
    other.goto(f"{live_server}/login")
    other.get_by_label("Correo electrónico").fill("viewer@example.com")
    other.get_by_label("Contraseña").fill("vitrina-demo")
    other.get_by_role("button", name="Entrar").click()
    other.get_by_text("Su cuenta está desactivada").wait_for()
    assert page.console_errors == []  # the refused sign-in answers 403: logged, expected
