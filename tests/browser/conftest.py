"""A live Vitrina server with demo data, and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from app import create_app
from app.config import TestConfig
from app.extensions import db

CHROMIUM = os.environ.get("VITRINA_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


def pytest_collection_modifyitems(items):
    for item in items:
        if "browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@contextmanager
def demo_server(directory: Path, fixed_now: datetime | None = None) -> Iterator[str]:
    """A threaded server on a free port with the demo loaded; its clock fixed when given
    (else the suite's fixed clock)."""
    with demo_app_server(directory, fixed_now) as (url, _app):
        yield url


@contextmanager
def demo_app_server(directory: Path, fixed_now: datetime | None = None) -> Iterator[tuple]:
    """demo_server, and its app: a test may move the server's clock (app.config["FIXED_NOW"])."""

    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{directory / 'live.db'}"
        SECRET_KEY = "browser-test-secret"
        LOGIN_RATE_LIMIT = "1000 per minute"
        FIXED_NOW = fixed_now

    app = create_app(Config)
    with app.app_context():
        db.create_all()
        from app.demo.loader import load_demo

        load_demo()
        db.session.commit()
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", app
    finally:
        server.shutdown()


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    with demo_server(tmp_path_factory.mktemp("live")) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    if not (Path(CHROMIUM).exists() or shutil.which("chromium")):
        if os.environ.get("VITRINA_REQUIRE_ALL_TESTS") == "1":
            pytest.fail(f"Chromium not found at {CHROMIUM}; CI requires the browser tests")
        pytest.skip("Chromium is not installed (Debian package 'chromium')")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield instance
        instance.close()


def open_page(browser, width: int = 1280, height: int = 900):
    """A page in a fresh Spanish (Chile) context that records console errors and uncaught
    exceptions in `page.console_errors` (no CSP violations, no broken scripts)."""
    context = browser.new_context(locale="es-CL", viewport={"width": width, "height": height})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.console_errors = errors
    return page


@pytest.fixture
def page(browser):
    page = open_page(browser)
    yield page
    page.context.close()


def screenshot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def open_menu(page) -> None:
    """On a phone the navigation folds behind the menu button: open it (no-op on desktop)."""
    button = page.locator(".site-header .nav-toggle")
    if button.is_visible() and button.get_attribute("aria-expanded") != "true":
        button.click()
