"""Errors on the database's side: the error page itself never fails, and a database that is
gone gets a 503 ("Servicio no disponible"), not a 500."""

from __future__ import annotations

import pytest
from flask import has_request_context
from sqlalchemy import event, text

from app import create_app
from app.config import TestConfig
from app.domain import rotation
from app.domain.errors import Conflict
from app.extensions import db as _db
from app.models import Commune
from tests.conftest import login
from tests.factories import make_program, make_world


@pytest.fixture
def world(db):
    world = make_world()
    program = make_program(world["venue"], year=2027)
    rotation.plan_year(program, 2027, by=None, apply=True)
    db.session.commit()
    return {**world, "program": program, "slot": program.slots[5]}


def _signed_in(app, email: str):
    client = app.test_client()
    assert login(client, email).status_code == 302
    return client


@pytest.mark.db
def test_an_error_after_a_failed_flush_still_gets_its_page(app, world, backend):
    """A flush that fails leaves the session unusable until it is rolled back, and the error
    handler translates its message for the signed-in user, whose row is then read again."""

    @app.route("/_test/duplicate")
    def duplicate():
        first = _db.session.get(Commune, world["communes"][0].id)
        _db.session.add(Commune(name="Otra", slug=first.slug, ine_code="99999", color="#000000"))
        _db.session.flush()
        return "unreachable"

    @app.route("/_test/duplicate-then-refused")
    def duplicate_then_refused():
        try:
            duplicate()
        except Exception as exc:
            raise Conflict("Ya no") from exc

    client = _signed_in(app, "coordinador@example.com")
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = client.get("/_test/duplicate")
    assert response.status_code == 500
    assert "Ocurrió un error inesperado" in response.get_data(as_text=True)
    assert "Cerrar sesión" in response.get_data(as_text=True)  # still signed in
    response = client.get("/_test/duplicate-then-refused")
    assert response.status_code == 409 and "Ya no" in response.get_data(as_text=True)
    assert client.get("/").status_code == 200


@pytest.mark.db
def test_an_error_page_survives_a_rollback_that_fails(app, world, backend, monkeypatch):
    from sqlalchemy.exc import OperationalError

    client = _signed_in(app, "coordinador@example.com")
    real_rollback = type(_db.session()).rollback
    calls = []

    def failing_rollback(session):
        real_rollback(session)
        if has_request_context() and not calls:  # the error page's, not the test's own
            calls.append(1)
            raise OperationalError("ROLLBACK", {}, Exception("server closed the connection"))

    monkeypatch.setattr(type(_db.session()), "rollback", failing_rollback)
    response = client.get("/rotation/slots/999999")
    assert response.status_code == 404
    assert "La página que busca no existe." in response.get_data(as_text=True)
    assert calls


@pytest.mark.postgres_only
def test_a_connection_killed_mid_request_is_a_503_not_a_crash(app, world, backend):
    @app.route("/_test/killed")
    def killed():
        _db.session.execute(text("SELECT pg_terminate_backend(pg_backend_pid())"))
        return "unreachable"

    @app.route("/_test/failed-transaction")
    def failed_transaction():
        try:
            _db.session.execute(text("SELECT 1 / 0"))
        except Exception:  # noqa: S110 - the transaction is left aborted on purpose
            pass
        raise Conflict("Ya no")

    client = _signed_in(app, "coordinador@example.com")
    response = client.get("/_test/killed")
    assert response.status_code == 503
    assert "Servicio no disponible" in response.get_data(as_text=True)
    response = client.get("/_test/failed-transaction")
    assert response.status_code == 409
    assert "Ya no" in response.get_data(as_text=True)
    assert client.get("/").status_code == 200  # and the next request is served as usual


def _unreachable_url(backend: str, tmp_path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'no-such-dir' / 'vitrina.db'}"
    return "postgresql+psycopg://postgres@127.0.0.1:9/vitrina?connect_timeout=2"


@pytest.mark.db
def test_with_the_database_down_pages_answer_503(app, world, backend, tmp_path, database_url):
    signed_in = _signed_in(app, "coordinador@example.com")
    session_cookie = signed_in.get_cookie("session").value

    class Down(TestConfig):
        SECRET_KEY = "test-secret"
        SQLALCHEMY_DATABASE_URI = _unreachable_url(backend, tmp_path)

    down = create_app(Down)
    visitor, coordinator = down.test_client(), down.test_client()
    coordinator.set_cookie("session", session_cookie)
    for client, paths in (
        (visitor, ["/mall", "/calendar/mall.ics", "/calendar/weeks/1"]),
        (coordinator, ["/", "/rotation/", "/mall", "/registry/"]),
    ):
        for path in paths:
            response = client.get(path)
            assert response.status_code == 503, path
            assert "Servicio no disponible" in response.get_data(as_text=True)
            assert response.headers["Retry-After"]
        response = client.get("/mall", headers={"Accept": "application/json"})
        assert response.status_code == 503 and response.json["status"] == 503
    with down.app_context():
        _db.engine.dispose()


@pytest.mark.db
def test_a_database_that_stops_answering_mid_session_is_a_503(app, world, backend):
    client = _signed_in(app, "coordinador@example.com")
    slot_id = world["slot"].id
    assert client.get(f"/rotation/slots/{slot_id}").status_code == 200

    def refuse(*_args, **_kwargs):
        raise _db.engine.dialect.loaded_dbapi.OperationalError("connection refused")

    _db.engine.dispose()
    event.listen(_db.engine, "do_connect", refuse)
    try:
        response = client.get(f"/rotation/slots/{slot_id}")
        assert response.status_code == 503
        assert "Servicio no disponible" in response.get_data(as_text=True)
    finally:
        event.remove(_db.engine, "do_connect", refuse)
