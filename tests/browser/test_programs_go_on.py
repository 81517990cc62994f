"""A coordinator extends the demo program by a year, then starts the next program, in a browser."""

from datetime import UTC, datetime

import pytest

from tests.browser.conftest import demo_server, screenshot
from tests.browser.test_roles_navigation import sign_in

# The demo then runs 2026–2027; 2028 and later are free.
NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with demo_server(tmp_path_factory.mktemp("programs"), fixed_now=NOW) as url:
        yield url


def test_extend_then_start_the_next_program_and_a_stale_button_says_why(server, browser, page):
    sign_in(page, server, "coordinador@example.com")
    page.goto(f"{server}/rotation/")
    page.locator(".year-switch a", has_text="2027").click()
    page.wait_for_url("**/years/2027")
    page.once("dialog", lambda dialog: dialog.accept())  # hx-confirm asks first
    page.get_by_role("button", name="Extender el programa a 2028").click()
    page.wait_for_url("**/years/2028")
    page.get_by_text(
        "Programa extendido hasta 2028: 12 semanas nuevas, ya planificadas."
    ).wait_for()
    assert page.locator(".month-card").count() == 12
    assert page.locator(".mini-cal td.in-slot").count() >= 12 * 7  # every week has its commune
    assert page.get_by_role("button", name="Extender el programa a 2029").is_visible()
    screenshot(page, "rotation-program-extended")

    # Meanwhile, in another tab, the coordinator starts the 2029 program.
    other = page.context.new_page()
    other.goto(page.url)
    other.get_by_role("link", name="Nuevo programa").click()
    other.get_by_label("Nombre").fill("Vitrina 2029")
    assert other.get_by_label("Desde el año").input_value() == "2029"
    other.get_by_role("button", name="Crear y planificar").click()
    other.wait_for_url("**/years/2029")
    other.get_by_text("Programa «Vitrina 2029» creado: 12 semanas, ya planificadas.").wait_for()
    assert "El saldo anterior incluye el de «Vitrina Provincial" in (
        other.get_by_test_id("carry-note").inner_text()
    )
    other.get_by_role("link", name="← Vitrina Provincial 2026–2027").wait_for()
    screenshot(other, "rotation-new-program")
    other.close()

    # The first tab's button is stale now: the refusal replaces it in place.
    url = page.url
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Extender el programa a 2029").click()
    page.locator("#program-extend [role=alert]").wait_for()
    assert "ya son de «Vitrina 2029» (2029)" in page.locator("#program-extend").inner_text()
    assert page.url == url
    assert [e for e in page.console_errors if "409" not in e] == []
