"""Login attempts are rate-limited per client address."""

import pytest

from tests.conftest import login
from tests.factories import make_world


@pytest.fixture
def app_config(app_config):
    return {**app_config, "LOGIN_RATE_LIMIT": "3 per minute"}


def test_login_attempts_are_rate_limited(client, db):
    make_world()
    responses = [login(client, "admin@example.com", "bad-password") for _ in range(4)]
    assert [r.status_code for r in responses] == [401, 401, 401, 429]
    assert "Demasiados intentos" in responses[3].get_data(as_text=True)
    # Even the right password waits out the limit.
    assert login(client, "admin@example.com").status_code == 429
