"""Each role signs in through a real browser and sees its own navigation."""

import pytest

from tests.browser.conftest import screenshot

NAV = {
    "admin@example.com": (["Inicio", "Usuarios"], []),
    "coordinador@example.com": (["Inicio"], ["Usuarios"]),
    "viewer@example.com": (["Inicio"], ["Usuarios"]),
    "curacavi@example.com": (["Inicio"], ["Usuarios"]),
}


def sign_in(page, base: str, email: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("Correo electrónico").fill(email)
    page.get_by_label("Contraseña").fill("vitrina-demo")
    page.get_by_role("button", name="Entrar").click()
    page.wait_for_url(f"{base}/")


@pytest.mark.parametrize("email", list(NAV))
def test_role_sees_its_navigation(live_server, page, email):
    sign_in(page, live_server, email)
    nav = page.locator("ul.main-nav")
    shown, hidden = NAV[email]
    for label in shown:
        assert nav.get_by_role("link", name=label, exact=True).count() == 1, label
    for label in hidden:
        assert nav.get_by_role("link", name=label, exact=True).count() == 0, label
    assert page.get_by_role("heading", name="Esta semana en el mall").is_visible()
    screenshot(page, f"home-{email.split('@')[0]}")
    assert page.console_errors == []  # no CSP violations, no broken scripts


def test_officer_sees_only_their_communes_turns(live_server, page):
    sign_in(page, live_server, "curacavi@example.com")
    assert page.get_by_role("heading", name="Nuestros próximos turnos").is_visible()
    chips = page.locator(".week-list .chip").all_inner_texts()
    assert chips and all(text.startswith("Curacaví") for text in chips)


def test_wrong_password_shows_spanish_message(live_server, page):
    page.goto(f"{live_server}/login")
    page.get_by_label("Correo electrónico").fill("admin@example.com")
    page.get_by_label("Contraseña").fill("no-es-la-clave")
    page.get_by_role("button", name="Entrar").click()
    assert page.get_by_text("Correo o contraseña incorrectos.").is_visible()
    screenshot(page, "login-error")


def test_sign_out_from_the_menu(live_server, page):
    sign_in(page, live_server, "admin@example.com")
    page.get_by_role("button", name="Cerrar sesión").click()
    page.wait_for_url(f"{live_server}/login")
    assert page.get_by_text("Sesión cerrada.").is_visible()


def test_admin_invites_a_user_through_the_form_on_a_phone(live_server, browser):
    context = browser.new_context(locale="es-CL", viewport={"width": 390, "height": 844})
    page = context.new_page()
    sign_in(page, live_server, "admin@example.com")
    page.goto(f"{live_server}/admin/users/new")
    page.get_by_label("Correo electrónico").fill("nuevo.viewer@example.com")
    page.get_by_label("Nombre").fill("Nuevo Observador")
    page.get_by_label("Rol").select_option("viewer")
    page.get_by_role("button", name="Guardar").click()
    page.wait_for_url(f"{live_server}/admin/users")
    # No password on the screen: the new user chooses one from the e-mailed invitation.
    assert page.get_by_text("se envió una invitación a nuevo.viewer@example.com").is_visible()
    screenshot(page, "admin-user-created-phone")
    page.goto(f"{live_server}/admin/users")
    screenshot(page, "admin-users-phone")
    context.close()


def test_the_language_switch_works_for_visitors_and_staff(live_server, page):
    page.goto(f"{live_server}/mall")
    page.get_by_role("button", name="English").click()
    page.wait_for_url(f"{live_server}/mall")
    assert page.get_by_role("button", name="Español").is_visible()
    assert page.locator("html").get_attribute("lang") == "en"
    page.get_by_role("button", name="Español").click()
    assert page.get_by_role("button", name="English").is_visible()
    sign_in(page, live_server, "viewer@example.com")
    page.get_by_role("button", name="English").click()
    page.wait_for_url(f"{live_server}/")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("button", name="Sign out").is_visible()
    page.get_by_role("button", name="Español").click()  # back: the demo is shared by the module
    assert page.get_by_role("button", name="Cerrar sesión").is_visible()
    assert page.console_errors == []


def test_the_language_switch_works_without_javascript(live_server, browser):
    context = browser.new_context(locale="es-CL", java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(f"{live_server}/calendar/")
        page.get_by_role("button", name="English").click()
        page.wait_for_url(f"{live_server}/calendar/")
        assert page.locator("html").get_attribute("lang") == "en"
    finally:
        context.close()
