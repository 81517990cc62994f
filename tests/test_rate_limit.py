"""Login attempts are rate-limited per client address, password changes per account; with
Redis the limits hold across processes."""

import pytest

from app import create_app
from app.config import TestConfig
from tests.conftest import REQUIRE_ALL, IsolatedClient, csrf_token, login
from tests.factories import PASSWORD, make_world


@pytest.fixture
def app_config(app_config):
    return {**app_config, "LOGIN_RATE_LIMIT": "3 per minute", "PASSWORD_RATE_LIMIT": "3 per minute"}


def test_login_attempts_are_rate_limited(client, db):
    make_world()
    responses = [login(client, "admin@example.com", "bad-password") for _ in range(4)]
    assert [r.status_code for r in responses] == [401, 401, 401, 429]
    assert "Demasiados intentos" in responses[3].get_data(as_text=True)
    # Even the right password waits out the limit.
    assert login(client, "admin@example.com").status_code == 429


def _change_password(client, current: str):
    return client.post(
        "/account/password",
        data={
            "current": current,
            "new": "una-clave-nueva-1",
            "confirm": "una-clave-nueva-1",
            "csrf_token": csrf_token(client, "/account/password"),
        },
    )


def test_password_changes_are_rate_limited_per_account(app, db):
    make_world()
    client, other_address = app.test_client(), app.test_client()
    login(client, "viewer@example.com")
    login(other_address, "viewer@example.com")
    statuses = [_change_password(client, "mala-clave-1").status_code for _ in range(3)]
    assert statuses == [400, 400, 400]
    # A fourth guess of the current password, even from another address, waits.
    other_address.environ_base["REMOTE_ADDR"] = "10.0.0.9"
    response = _change_password(other_address, PASSWORD)
    assert response.status_code == 429
    assert "Demasiados intentos" in response.get_data(as_text=True)
    # Another account is not held up.
    coordinator = app.test_client()
    login(coordinator, "coordinador@example.com")
    assert _change_password(coordinator, PASSWORD).status_code == 302


# --- several processes share one limit through Redis -------------------------------------------

REDIS_URL = "redis://127.0.0.1:6379/15"


@pytest.fixture
def redis_db():
    """Database 15 of the local Redis, emptied before and after."""
    import redis

    connection = redis.Redis.from_url(REDIS_URL)
    try:
        connection.ping()
    except redis.ConnectionError:
        if REQUIRE_ALL:
            pytest.fail("Redis is required in CI (127.0.0.1:6379)")
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    connection.flushdb()
    yield connection
    connection.flushdb()
    connection.close()


def _instance(app_config: dict, storage: str):
    """Another app process, as gunicorn runs one per worker: its own limiter storage."""

    class Worker(TestConfig):
        RATELIMIT_STORAGE_URI = storage

    for key, value in app_config.items():
        setattr(Worker, key, value)
    instance = create_app(Worker)
    instance.test_client_class = IsolatedClient
    return instance


@pytest.mark.parametrize(
    ("storage", "shared"), [(REDIS_URL, True), ("memory://", False)], ids=["redis", "memory"]
)
def test_the_login_limit_is_shared_by_all_processes_only_through_redis(
    app, db, app_config, redis_db, storage, shared
):
    make_world()
    first = _instance(app_config, storage)
    attempts = [login(first.test_client(), "admin@example.com", "mala").status_code]
    attempts.append(login(first.test_client(), "admin@example.com", "mala").status_code)
    second = _instance(app_config, storage)  # starts its own storage, as a new worker does
    attempts += [login(second.test_client(), "admin@example.com", "mala").status_code]
    attempts += [login(second.test_client(), "admin@example.com", "mala").status_code]
    if shared:
        assert attempts == [401, 401, 401, 429]
        assert redis_db.keys("*")  # the counts live in Redis, where every worker reads them
    else:
        # Each process counts alone: with N workers an attacker gets N times the limit.
        assert attempts == [401, 401, 401, 401]
