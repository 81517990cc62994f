"""The subscribe page, the private links people generate and revoke, and one week's page."""

from __future__ import annotations

import hashlib
import logging
import re
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from sqlalchemy import select

from app.calendars import tokens
from app.extensions import db as _db
from app.models import CalendarToken, SlotState
from app.web.calendars import RedactFeedTokens
from tests.calendars.conftest import feed_token
from tests.conftest import csrf_token, login

PRIVATE_URL = re.compile(r"http://127\.0\.0\.1:5000/calendar/private/([A-Za-z0-9_-]+)\.ics")


def test_anyone_finds_the_public_feeds_with_every_way_to_subscribe(client, province):
    html = client.get("/calendar/").get_data(as_text=True)
    assert "Cómo suscribirse" in html and "Calendarios públicos" in html
    base = "127.0.0.1:5000/calendar/"
    for path in ("mall.ics", "communes/melipilla.ics", "communes/san-pedro.ics"):
        assert f'value="http://{base}{path}"' in html
        assert f'href="webcal://{base}{path}"' in html
    google = re.search(r'href="(https://calendar\.google\.com/[^"]+)"', html).group(1)
    assert unquote(parse_qs(urlsplit(google.replace("&amp;", "&")).query)["cid"][0]) == (
        f"webcal://{base}mall.ics"
    )
    outlook = re.search(r'href="(https://outlook\.live\.com/[^"]+)"', html).group(1)
    query = parse_qs(urlsplit(outlook.replace("&amp;", "&")).query)
    assert query["url"] == [f"http://{base}mall.ics"]
    assert query["name"] == ["Vitrina · Mall Espacio Urbano Melipilla"]
    assert html.count('src="data:image/svg+xml') == 6  # a QR code per feed
    assert "Su calendario privado" not in html  # anonymous: no private feed
    assert " style=" not in html and "<script>" not in html  # the CSP allows neither


def test_a_staff_user_gets_a_private_link_once_and_it_works(client, province):
    login(client, "melipilla@example.com")
    page = client.get("/calendar/").get_data(as_text=True)
    assert "Su calendario privado" in page and "Todavía no hay un enlace privado." in page
    issued = client.post(
        "/calendar/my-token", data={"csrf_token": csrf_token(client, "/calendar/")}
    )
    html = issued.get_data(as_text=True)
    token = PRIVATE_URL.search(html).group(1)
    assert len(token) >= 43  # 256 bits, URL-safe base64
    assert "no se volverá a mostrar" in html
    row = _db.session.execute(select(CalendarToken)).scalar_one()
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in repr(row.__dict__)
    feed = client.get(f"/calendar/private/{token}.ics")
    assert feed.status_code == 200 and b"Melipilla (privado)" in feed.data
    again = client.get("/calendar/").get_data(as_text=True)
    assert token not in again and "Hay un enlace privado activo" in again
    assert "Último uso" in again


def test_regenerating_and_revoking_end_the_old_link(client, province):
    login(client, "coordinador@example.com")
    token = csrf_token(client, "/calendar/")
    first = PRIVATE_URL.search(
        client.post("/calendar/my-token", data={"csrf_token": token}).get_data(as_text=True)
    ).group(1)
    second = PRIVATE_URL.search(
        client.post("/calendar/my-token", data={"csrf_token": token}).get_data(as_text=True)
    ).group(1)
    assert first != second
    gone = client.get(f"/calendar/private/{first}.ics")
    assert gone.status_code == 404
    assert "revocado" in gone.get_data(as_text=True)
    assert client.get(f"/calendar/private/{second}.ics").status_code == 200
    client.post("/calendar/my-token/revoke", data={"csrf_token": token})
    assert client.get(f"/calendar/private/{second}.ics").status_code == 404


def test_htmx_swaps_only_the_private_section(client, province):
    login(client, "viewer@example.com")
    response = client.post(
        "/calendar/my-token",
        data={"csrf_token": csrf_token(client, "/calendar/")},
        headers={"HX-Request": "true", "HX-Request-Type": "partial"},
    )
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<section id="private-feed"')
    assert "<html" not in html and PRIVATE_URL.search(html)


@pytest.mark.db
def test_a_deactivated_users_link_stops_working(client, province, backend):
    user = province["users"]["officer"]
    token = feed_token(user=user)
    assert client.get(f"/calendar/private/{token}.ics").status_code == 200
    user.active = False
    _db.session.commit()
    assert client.get(f"/calendar/private/{token}.ics").status_code == 404


@pytest.mark.db
def test_one_live_token_per_owner_in_the_database(province, backend):
    from sqlalchemy.exc import IntegrityError

    feed_token(entrepreneur=province["ana"])
    _db.session.add(CalendarToken(token_hash="0" * 64, entrepreneur_id=province["ana"].id))
    with pytest.raises(IntegrityError):
        _db.session.commit()
    _db.session.rollback()
    _db.session.add(
        CalendarToken(
            token_hash="1" * 64,
            entrepreneur_id=province["ana"].id,
            user_id=province["users"]["viewer"].id,
        )
    )
    with pytest.raises(IntegrityError):
        _db.session.commit()


def test_officer_gives_an_entrepreneur_of_their_commune_a_link(client, province):
    ana = province["ana"]
    login(client, "melipilla@example.com")
    page = client.get(f"/calendar/entrepreneurs/{ana.id}/token")
    assert page.status_code == 200 and "Quesos Ana" in page.get_data(as_text=True)
    html = client.post(
        f"/calendar/entrepreneurs/{ana.id}/token",
        data={"csrf_token": csrf_token(client, f"/calendar/entrepreneurs/{ana.id}/token")},
    ).get_data(as_text=True)
    token = PRIVATE_URL.search(html).group(1)
    feed = client.get(f"/calendar/private/{token}.ics")
    assert feed.status_code == 200
    assert b"Quesos Ana" in feed.data and b"Miel Beto" not in feed.data
    assert tokens.live_token(entrepreneur=ana) is not None


def test_officer_of_another_commune_cannot_see_or_touch_the_link(client, province):
    ana = province["ana"]
    login(client, "alhue@example.com")
    assert client.get(f"/calendar/entrepreneurs/{ana.id}/token").status_code == 404
    token = csrf_token(client, "/calendar/")
    response = client.post(f"/calendar/entrepreneurs/{ana.id}/token", data={"csrf_token": token})
    assert response.status_code == 404
    assert "No existe ese emprendedor." in response.get_data(as_text=True)
    assert tokens.live_token(entrepreneur=ana) is None


def test_unknown_feeds_are_404_in_spanish(client, province):
    for url, message in (
        ("/calendar/communes/valparaiso.ics", "No existe la comuna «valparaiso»."),
        ("/calendar/private/nada.ics", "Este calendario privado no existe"),
        ("/calendar/slots/99999.ics", "No existe esa semana."),
        ("/calendar/weeks/99999", "No existe esa semana."),
    ):
        response = client.get(url, headers={"Accept-Language": "es-CL"})
        assert response.status_code == 404, url
        assert message in response.get_data(as_text=True), url


def test_a_weeks_page_lists_its_public_stands_and_offers_the_ics(client, province):
    slot = province["slots"][0]
    html = client.get(f"/calendar/weeks/{slot.id}").get_data(as_text=True)
    assert f'href="/calendar/slots/{slot.id}.ics"' in html and "Descargar .ics" in html
    assert "Quesos Ana" in html and "Cerámica Carla" in html and "Miel Beto" not in html
    download = client.get(f"/calendar/slots/{slot.id}.ics")
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert b"week-" in download.data and b"stand-" not in download.data
    slot.state = SlotState.CANCELLED
    _db.session.commit()
    assert "Esta semana fue cancelada." in client.get(f"/calendar/weeks/{slot.id}").get_data(
        as_text=True
    )


def test_tokens_are_kept_out_of_the_logs():
    record = logging.LogRecord(
        "werkzeug",
        logging.INFO,
        __file__,
        1,
        '%s "%s" %s',
        ("127.0.0.1", "GET /calendar/private/AbC_123-xyz.ics HTTP/1.1", 200),
        None,
    )
    RedactFeedTokens().filter(record)
    assert "AbC_123" not in record.getMessage()
    assert "/calendar/private/[token]" in record.getMessage()


def test_tokens_are_kept_out_of_gunicorn_access_logs():
    record = logging.LogRecord("gunicorn.access", logging.INFO, __file__, 1, "%(r)s", None, None)
    record.args = {"r": "GET /calendar/private/AbC_123-xyz.ics HTTP/1.1", "s": 200}
    RedactFeedTokens().filter(record)
    assert "AbC_123" not in record.getMessage()


def test_the_calendars_page_describes_each_feed_in_the_readers_language(client, province):
    login(client, "melipilla@example.com")
    client.post("/language/en", data={"csrf_token": csrf_token(client), "next": "/calendar/"})
    html = client.get("/calendar/").get_data(as_text=True)
    assert "Weeks of Melipilla" in html and "Semanas de Melipilla" not in html  # the private one
    assert "Semanas de emprendedores" not in html  # the mall's
    # The feeds themselves keep one language: a client's ETag must not depend on who asks.
    feed = client.get("/calendar/mall.ics").get_data(as_text=True)
    assert "X-WR-CALDESC:Semanas de emprendedores" in feed.replace("\r\n ", "")
    # A link made now names the calendar as the feed does, in every calendar app alike.
    token = csrf_token(client, "/calendar/")
    issued = client.post("/calendar/my-token", data={"csrf_token": token}).get_data(as_text=True)
    outlook = re.search(r'href="(https://outlook\.live\.com/[^"]+)"', issued).group(1)
    name = parse_qs(urlsplit(outlook.replace("&amp;", "&")).query)["name"]
    assert name == ["Vitrina · Melipilla (privado)"]
