"""The API tokens page in a real browser: a token shown once, working, then revoked."""

import json
import urllib.error
import urllib.request

from tests.browser.conftest import screenshot
from tests.browser.test_roles_navigation import sign_in


def _me(live_server: str, secret: str) -> int:
    request = urllib.request.Request(  # noqa: S310 - our own test server
        f"{live_server}/api/v1/me", headers={"Authorization": f"Bearer {secret}"}
    )
    try:
        with urllib.request.urlopen(request) as response:  # noqa: S310 - our own test server
            assert json.load(response)["commune"]["slug"] == "curacavi"
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_an_officer_creates_a_token_uses_it_and_revokes_it(live_server, page):
    sign_in(page, live_server, "curacavi@example.com")
    page.goto(f"{live_server}/account/password")
    page.get_by_role("link", name="Tokens de la API").click()
    page.get_by_label("Nombre del token").fill("Sitio web comunal")
    page.get_by_role("button", name="Crear token").click()
    secret = page.get_by_test_id("new-token").get_by_label("Token").input_value()
    assert secret.startswith("vit_")
    screenshot(page, "api-token-created")
    assert _me(live_server, secret) == 200

    page.goto(f"{live_server}/account/tokens/")
    assert secret not in page.content()  # shown once
    assert page.get_by_test_id("token-row").filter(has_text="Sitio web comunal").is_visible()
    page.get_by_role("button", name="Revocar").click()
    page.get_by_text("deja de funcionar ahora").wait_for()
    assert _me(live_server, secret) == 401
    assert page.console_errors == []


def test_the_api_reference_page_reads_without_scripts_from_elsewhere(live_server, page):
    page.goto(f"{live_server}/api/v1/docs")
    assert page.get_by_role("heading", name="Vitrina API").is_visible()
    page.locator("summary", has_text="/api/v1/weeks/{week_id}/roster").click()
    assert page.get_by_text("application/problem+json").first.is_visible()
    screenshot(page, "api-reference")
    assert page.console_errors == []
