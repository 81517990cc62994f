"""A private feed's token never reaches a log, however its address was spelled."""

from __future__ import annotations

import http.client
import logging
import threading

import pytest
from werkzeug.serving import make_server

from app.calendars import feeds, tokens
from app.extensions import db as _db
from tests.factories import make_world


@pytest.fixture
def token(db) -> str:
    world = make_world()
    secret = tokens.issue_token(user=world["users"]["coordinator"], by=None)
    db.session.commit()
    return secret


def spellings(secret: str) -> list[str]:
    """Addresses that all reach the private feed route (some through Werkzeug's redirect of
    doubled slashes): servers decode percent-escapes before routing."""
    escaped_first = f"%{ord(secret[0]):02X}{secret[1:]}"
    return [
        f"/calendar/private/{secret}.ics",
        f"//calendar/private/{secret}.ics",
        f"/calendar//private/{secret}.ics",
        f"/calendar/%70rivate/{secret}.ics",
        f"/%63alendar%2Fprivate%2f{secret}.ics",
        f"/calendar/private/{escaped_first}.ics",
        f"/calendar/private/{secret}.ics?v=1",
    ]


@pytest.fixture
def server(app):
    """The development server, whose request log is what `flask run` prints."""
    _db.session.rollback()
    httpd = make_server("127.0.0.1", 0, app)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd.server_port
    httpd.shutdown()
    thread.join()


def _get(port: int, path: str) -> tuple[int, str]:
    """Sends the path exactly as written (a test client would parse "//calendar" as a host)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", path)
    response = connection.getresponse()
    response.read()
    connection.close()
    if response.status == 308:  # Werkzeug's redirect to the route's own spelling
        return _get(port, response.getheader("Location").split("127.0.0.1:" + str(port), 1)[-1])
    return response.status, response.getheader("Content-Type", "")


def test_every_spelling_reaches_the_feed_and_the_log_never_shows_the_token(server, token, caplog):
    caplog.set_level(logging.INFO, logger="werkzeug")
    for path in spellings(token):
        status, content_type = _get(server, path)
        assert status == 200 and content_type.startswith("text/calendar"), path
    logged = caplog.text
    assert token not in logged and token[1:] not in logged
    assert logged.count("/calendar/private/[token]") >= len(spellings(token))


def test_gunicorn_access_lines_never_show_the_token(token, caplog):
    caplog.set_level(logging.INFO, logger="gunicorn.access")
    access = logging.getLogger("gunicorn.access")
    for path in spellings(token):
        # gunicorn passes its atoms as a dict: the request line as sent, the decoded path.
        access.info(
            '%(h)s "%(r)s" %(s)s "%(U)s"',
            {"h": "10.0.0.1", "r": f"GET {path} HTTP/1.1", "s": "200", "U": path},
        )
    assert token not in caplog.text and token[1:] not in caplog.text


def test_an_error_on_the_feed_logs_the_path_without_the_token(server, token, caplog, monkeypatch):
    def broken(_feed):
        raise RuntimeError("the builder failed")

    monkeypatch.setattr(feeds, "build", broken)
    for path in spellings(token):
        assert _get(server, path)[0] == 500, path
    assert "unhandled error on GET /calendar/private/[token]" in caplog.text
    assert token not in caplog.text
