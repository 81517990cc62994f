"""The board reads the reports in a browser, and the front desk prints a week's roster and its
poster: A4, without the site's menus, the poster on one page with its QR code."""

import re
from datetime import UTC, datetime

import pytest

from tests.browser.conftest import demo_server, open_page, screenshot

# Inside the demo's March 2027 week: earlier weeks are over, this one has its roster.
DURING_A_WEEK = datetime(2027, 3, 10, 15, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def week_server(tmp_path_factory):
    with demo_server(tmp_path_factory.mktemp("reports"), fixed_now=DURING_A_WEEK) as url:
        yield url


def sign_in(page, base: str, email: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("Correo electrónico").fill(email)
    page.get_by_label("Contraseña").fill("vitrina-demo")
    page.get_by_role("button", name="Entrar").click()
    page.wait_for_url(f"{base}/")


def pdf_pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf))


def test_the_board_reads_charts_and_the_front_desk_prints(week_server, browser):
    page = open_page(browser)
    sign_in(page, week_server, "viewer@example.com")
    page.get_by_role("link", name="Informes").click()
    page.wait_for_url(f"{week_server}/reports/")
    assert page.get_by_role("heading", name="Informes", level=1).is_visible()
    # The charts are images with a name, their numbers written beside the bars.
    chart = page.get_by_role("img", name="Stands asignados y ofrecidos por año")
    assert chart.is_visible()
    assert re.search(r"\d+ / \d+ \(", chart.text_content())
    screenshot(page, "reports")
    page.get_by_text(re.compile(r"^\d+ semanas$")).click()
    this_week = page.get_by_role("row").filter(has_text="En curso")
    this_week.get_by_role("link", name="Nómina").click()
    page.wait_for_url(re.compile(r".*/reports/weeks/\d+/roster$"))
    roster = page.url
    assert page.get_by_test_id("roster").is_visible()

    page.emulate_media(media="print")
    assert not page.locator(".site-header").is_visible()  # no menus on paper
    assert page.get_by_test_id("roster").is_visible()
    screenshot(page, "roster-print")
    assert pdf_pages(page.pdf(format="A4")) >= 1

    page.emulate_media(media="screen")
    page.goto(roster.replace("/roster", "/poster"))
    poster = page.get_by_test_id("poster")
    assert poster.is_visible()
    assert poster.get_by_role("img", name="Código QR a la página de la semana").is_visible()
    page.emulate_media(media="print")
    screenshot(page, "poster-print")
    assert pdf_pages(page.pdf(format="A4", print_background=True)) == 1
    page.context.close()
    assert page.console_errors == []
