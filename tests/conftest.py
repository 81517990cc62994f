"""Fixtures: an app and a fresh database per test, on SQLite and (when configured) PostgreSQL."""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from flask import has_app_context
from flask.testing import FlaskClient
from hypothesis import settings
from sqlalchemy import create_engine, event, text

# The suite runs at one fixed instant, never at the machine's: VITRINA_TEST_NOW picks it
# ("2027-01-05" is noon at the mall that day; CI runs the suite on today's date and on fixed
# dates). The default is the day after a nomination deadline of the demo program, a day on
# which a clock-blind demo used to fail. It reaches the app through VITRINA_FIXED_NOW (read by
# Config, so app processes the tests start get it too) and by replacing clock.wall_clock, so
# the clock stays fixed when a test sets FIXED_NOW and then clears it.
DEFAULT_TEST_NOW = "2026-12-01"
os.environ["VITRINA_FIXED_NOW"] = os.environ.get("VITRINA_TEST_NOW") or DEFAULT_TEST_NOW

from app import clock, create_app  # noqa: E402 - after the clock is set for Config
from app.config import TestConfig  # noqa: E402
from app.extensions import db as _db  # noqa: E402

TEST_NOW = clock.parse_instant(os.environ["VITRINA_FIXED_NOW"])

POSTGRES_URL = os.environ.get("VITRINA_TEST_POSTGRES_URL")
REQUIRE_ALL = os.environ.get("VITRINA_REQUIRE_ALL_TESTS") == "1"

# CI must be reproducible: the same examples every run. Local runs keep exploring new ones
# (and hypothesis' database replays any failure they find).
settings.register_profile("ci", derandomize=True, database=None)
if REQUIRE_ALL:
    settings.load_profile("ci")


def pytest_report_header(config) -> str:
    local = TEST_NOW.astimezone(clock.VENUE_TZ)
    return f"vitrina clock: {local:%Y-%m-%d %H:%M} America/Santiago (VITRINA_TEST_NOW)"


@pytest.fixture(scope="session", autouse=True)
def fixed_clock() -> Iterator[object]:
    """Every test, and every server thread a test starts, sees TEST_NOW as the system's time."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(clock, "wall_clock", lambda: TEST_NOW)
        yield TEST_NOW


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    # Tests marked `db` run once per backend; the rest use SQLite only.
    if "backend" in metafunc.fixturenames:
        if metafunc.definition.get_closest_marker("postgres_only"):
            backends = ["postgresql"]  # e.g. several app processes sharing one server
        elif metafunc.definition.get_closest_marker("db"):
            backends = ["sqlite", "postgresql"]
        else:
            backends = ["sqlite"]
        metafunc.parametrize("backend", backends, indirect=True)


@pytest.fixture
def backend(request) -> str:
    return getattr(request, "param", "sqlite")


def pg_url_with_schema(schema: str) -> str:
    base = POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://", 1)
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options=-csearch_path%3D{schema}"


def libpq_url() -> str:
    """The test server's URL as psycopg itself takes it (no SQLAlchemy driver name)."""
    return POSTGRES_URL.replace("postgresql+psycopg://", "postgresql://", 1)


def terminate_backend(pid: int) -> None:
    """The PostgreSQL server ends one connection (as a restart or a failover would)."""
    import psycopg

    with psycopg.connect(libpq_url(), autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))


def require_postgres() -> None:
    if not POSTGRES_URL:
        if REQUIRE_ALL:
            pytest.fail("VITRINA_TEST_POSTGRES_URL is required in CI")
        pytest.skip("VITRINA_TEST_POSTGRES_URL is not set")


@pytest.fixture
def database_url(backend: str, tmp_path) -> Iterator[str]:
    """A URL to an empty database: a file for SQLite, a throw-away schema for PostgreSQL."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    require_postgres()
    schema = f"t_{uuid.uuid4().hex[:16]}"
    admin = create_engine(POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://", 1))
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield pg_url_with_schema(schema)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def app_config(database_url: str) -> dict:
    return {
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": "test-secret",
        "LOGIN_RATE_LIMIT": "1000 per minute",
    }


class IsolatedClient(FlaskClient):
    """Each request runs in its own app context, as in production.

    The test body holds an app context for its own queries; without this, requests would reuse
    it and share `g` (the logged-in user) and the database session with the test and each other.
    The test's transaction is ended first so SQLite's write lock is free for the request.
    """

    def open(self, *args, **kwargs):
        if has_app_context() and _db.session.registry.has():
            _db.session.rollback()
        with self.application.app_context():
            return super().open(*args, **kwargs)


def make_app(app_config: dict, **settings):
    """An app on the test configuration with `app_config` and `settings` over it."""

    class Config(TestConfig):
        pass

    for key, value in {**app_config, **settings}.items():
        setattr(Config, key, value)
    return create_app(Config)


@pytest.fixture
def app(app_config: dict):
    application = make_app(app_config)
    application.test_client_class = IsolatedClient
    with application.app_context():
        _db.create_all()
        yield application
        _db.session.remove()
        _db.engine.dispose()


@pytest.fixture
def db(app):
    return _db


@pytest.fixture
def client(app):
    return app.test_client()


CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_from(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "no CSRF token in page"
    return match.group(1)


def without_token(page: str) -> str:
    """The page with its CSRF token blanked: Flask-WTF signs each render's token with the
    current second, so two renders of one kept page differ only there."""
    return page.replace(csrf_from(page), "TOKEN")


@contextmanager
def page_statements() -> Iterator[list[str]]:
    """The SQL a request runs inside the block, leaving out BEGIN and the pool's pings."""
    seen: list[str] = []

    def before(_conn, _cursor, statement, *_):
        if not statement.lstrip().upper().startswith(("BEGIN", "SELECT 1")):
            seen.append(statement)

    event.listen(_db.engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(_db.engine, "before_cursor_execute", before)


def login(client, email: str, password: str = "vitrina-demo"):
    page = client.get("/login")
    token = csrf_from(page.get_data(as_text=True))
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token})


def csrf_token(client, path: str = "/") -> str:
    return csrf_from(client.get(path).get_data(as_text=True))
