"""The health check reports the database."""

import pytest


@pytest.mark.db
def test_healthz_reports_ok(client, backend):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok"}


def test_healthz_is_503_when_database_is_unreachable(tmp_path):
    from app import create_app
    from app.config import TestConfig

    class Broken(TestConfig):
        SQLALCHEMY_DATABASE_URI = "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1"

    app = create_app(Broken)
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json == {"status": "error", "database": "unreachable"}


@pytest.mark.postgres_only
def test_a_pooled_connection_killed_while_idle_is_replaced_before_a_request_sees_it(
    app_config, backend
):
    import psycopg
    from sqlalchemy import text

    from app import create_app
    from app.config import TestConfig
    from app.extensions import db
    from tests.conftest import POSTGRES_URL

    class Config(TestConfig):
        DB_PING_AFTER_IDLE = 0  # any time in the pool counts as idle

    for key, value in app_config.items():
        setattr(Config, key, value)
    app = create_app(Config)
    with app.app_context():
        with db.engine.connect() as conn:
            pid = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
        # The server ends that connection while it sits in the pool (a restart, a failover).
        libpq_url = POSTGRES_URL.replace("postgresql+psycopg://", "postgresql://", 1)
        with psycopg.connect(libpq_url, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
    response = app.test_client().get("/healthz")
    assert response.status_code == 200 and response.json["database"] == "ok"
    with app.app_context():
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT pg_backend_pid()")).scalar_one() != pid
        db.engine.dispose()
