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


def _app_whose_pooled_connection_died(app_config: dict, ping_after_idle: float):
    """An app with one connection in its pool, which the server has ended while it sat there
    (a restart, a failover), and that connection's server process id."""
    from sqlalchemy import text

    from app.extensions import db
    from tests.conftest import make_app, terminate_backend

    app = make_app(app_config, DB_PING_AFTER_IDLE=ping_after_idle)
    with app.app_context():
        with db.engine.connect() as conn:
            pid = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
    terminate_backend(pid)
    return app, pid


@pytest.mark.postgres_only
def test_a_pooled_connection_killed_while_idle_is_replaced_before_a_request_sees_it(
    app_config, backend
):
    from sqlalchemy import text

    from app.extensions import db

    app, pid = _app_whose_pooled_connection_died(app_config, 0)  # any time idle counts
    response = app.test_client().get("/healthz")
    assert response.status_code == 200 and response.json["database"] == "ok"
    with app.app_context():
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT pg_backend_pid()")).scalar_one() != pid
        db.engine.dispose()


@pytest.mark.postgres_only
def test_a_connection_that_died_in_the_pool_fails_one_check_and_is_replaced(app_config, backend):
    """With no ping on checkout (idle for less than DB_PING_AFTER_IDLE), the check's own
    SELECT 1 meets the dead connection: 503 once, the connection discarded, then 200."""
    from app.extensions import db

    app, _ = _app_whose_pooled_connection_died(app_config, 3600)
    client = app.test_client()
    assert client.get("/healthz").status_code == 503
    assert client.get("/healthz").json == {"status": "ok", "database": "ok"}
    with app.app_context():
        db.engine.dispose()


@pytest.mark.db
def test_a_check_leaves_its_pooled_connection_as_it_found_it(app, db, backend):
    import psycopg
    from sqlalchemy import text

    from app.web.health import ping_database

    ping_database(db.engine)
    pooled = db.engine.raw_connection()
    try:
        if backend == "postgresql":
            connection = pooled.dbapi_connection
            assert connection.autocommit is False
            assert connection.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
    finally:
        pooled.close()
    # The next unit of work still runs in a transaction that rolls back whole.
    with db.engine.connect() as conn:
        conn.execute(text("CREATE TABLE ping_probe (n integer)"))
        conn.commit()
        conn.execute(text("INSERT INTO ping_probe VALUES (1)"))
        conn.rollback()
        assert conn.execute(text("SELECT count(*) FROM ping_probe")).scalar_one() == 0


@pytest.mark.postgres_only
def test_the_postgresql_ping_opens_no_transaction(backend):
    """Seen on the driver's connection itself, before any pool could roll a BEGIN back."""
    import psycopg

    from app.web.health import _ping_postgresql
    from tests.conftest import libpq_url, require_postgres

    require_postgres()
    with psycopg.connect(libpq_url()) as connection:  # transactions on, as pooled ones are
        _ping_postgresql(connection, psycopg)
        assert connection.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
        assert connection.autocommit is False
        connection.execute("SELECT 1")  # psycopg still opens its own transaction after it
        assert connection.info.transaction_status == psycopg.pq.TransactionStatus.INTRANS
