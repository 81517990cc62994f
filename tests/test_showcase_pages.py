"""The public showcase pages: what a visitor sees, what nobody may see, caching and language."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from app.domain.registry import format_phone
from app.i18n import LANG_COOKIE
from tests.conftest import csrf_from, csrf_token, login
from tests.factories import SHOWCASE_BEFORE, SHOWCASE_PEOPLE, make_showcase_world

PUBLIC_PAGES = ("/mall", "/mall/communes/melipilla", "/mall/communes/alhue")


@pytest.fixture
def mall(app, db):
    return make_showcase_world(app)


def page(client, path: str = "/mall", **kw) -> str:
    response = client.get(path, **kw)
    assert response.status_code == 200, (path, response.status)
    return response.get_data(as_text=True)


def _rut_variants(rut: str) -> list[str]:
    body, dv = rut.split("-")
    dotted = f"{int(body):,}".replace(",", ".")
    return [rut, f"{dotted}-{dv}", body]


def _private_texts() -> list[str]:
    """Everything of Beto, and the owner's name, RUT, email and phone of everyone."""
    beto = SHOWCASE_PEOPLE["beto"]
    texts = [beto["business_name"], beto["description"], beto["website"].split("//")[1]]
    for person in SHOWCASE_PEOPLE.values():
        texts += [person["owner_name"], person["email"], person["phone"]]
        texts += [format_phone(person["phone"]), person["phone"].removeprefix("+56")]
        texts += _rut_variants(person["rut"])
    return texts


@pytest.mark.db
def test_a_visitor_sees_this_weeks_entrepreneurs_who_agreed_to_be_shown(client, mall, backend):
    html = page(client)
    assert "Esta semana en el mall" in html and "Ahora en el mall" in html
    assert "11 al 17 de enero de 2027" in html
    for person in ("ana", "carla"):
        spec = SHOWCASE_PEOPLE[person]
        assert spec["business_name"] in html
        assert mall["stands"][person].code in html
    assert "Quesos frescos de cabra hechos en Pomaire." in html and "Artesania" in html
    assert html.count('data-testid="stand-card"') == 2
    assert (
        '<a href="https://quesosana.cl/tienda" rel="noopener nofollow ugc" class="stand-website">'
        in html
    )
    # The host communes as chips in their colours, linking to their pages.
    assert 'class="chip c-melipilla"><a href="/mall/communes/melipilla">Melipilla</a>' in html
    assert 'class="chip c-alhue"><a href="/mall/communes/alhue">Alhué</a>' in html
    assert f'href="/calendar/weeks/{mall["slot"].id}"' in html
    assert " style=" not in html and "<script>" not in html  # the CSP allows neither


@pytest.mark.db
def test_nothing_private_reaches_a_public_page(app, client, mall, backend):
    signed_in = app.test_client()
    login(signed_in, "viewer@example.com")
    private = _private_texts()
    week_page = f"/calendar/weeks/{mall['slot'].id}"
    assert "Quesos Ana" in page(client, week_page)  # the week's own page lists its roster
    for viewer in (client, signed_in):
        for lang in ("es", "en"):
            for path in (*PUBLIC_PAGES, week_page):
                html = page(viewer, path, headers={"Accept-Language": lang})
                leaked = [text for text in private if text in html]
                assert not leaked, (path, lang, leaked)
    # Dora's stand was released: she is not at the mall, though she agreed to be shown.
    assert SHOWCASE_PEOPLE["dora"]["business_name"] not in page(client)


@pytest.mark.db
def test_a_week_before_publication_shows_no_stands(client, mall, db, backend):
    from app.models import SlotState

    mall["slot"].state = SlotState.NOMINATIONS_CLOSED
    db.session.commit()
    for when in (None, SHOWCASE_BEFORE):  # during the week, and before it: announced, no stands
        if when:
            client.application.config["FIXED_NOW"] = when
        html = page(client)
        assert "Los stands se publican cuando la semana está confirmada." in html
        assert 'data-testid="featured-week"' in html and "Esta semana no hay" not in html
        assert "Quesos Ana" not in html and 'data-testid="stand-card"' not in html


def test_before_the_week_the_page_announces_it(app, client, mall):
    app.config["FIXED_NOW"] = SHOWCASE_BEFORE
    html = page(client)
    assert "Próximamente en el mall" in html and "Ahora en el mall" not in html
    assert "Quesos Ana" in html


def test_upcoming_weeks_link_to_their_week_pages_and_to_the_calendars(client, mall):
    html = page(client)
    upcoming = html.split('id="upcoming-title"', 1)[1]
    assert f'href="/calendar/weeks/{mall["february"].id}"' in upcoming
    assert f'href="/calendar/weeks/{mall["april"].id}"' in upcoming
    assert f'href="/calendar/weeks/{mall["march"].id}"' not in upcoming  # cancelled
    assert upcoming.count('class="week-card"') == 6
    assert 'href="/calendar/"' in html and 'href="/calendar/mall.ics"' in html
    for slug in ("melipilla", "alhue", "curacavi", "maria-pinto", "san-pedro"):
        assert f'href="/mall/communes/{slug}"' in html


def test_with_no_week_ahead_the_page_says_so_in_spanish(app, client, mall):
    app.config["FIXED_NOW"] = datetime(2028, 6, 1, 15, 0, tzinfo=UTC)  # after the program
    html = page(client)
    assert "Esta semana no hay stands de emprendedores en el mall." in html
    assert "No hay semanas programadas próximamente." in html
    assert 'data-testid="stand-card"' not in html


@pytest.mark.db
def test_a_commune_page_shows_its_turns_and_its_entrepreneurs(client, mall, backend):
    html = page(client, "/mall/communes/melipilla")
    assert '<h1><span class="chip-dot"></span>Melipilla</h1>' in html
    assert "Quesos Ana" in html and "Cerámica Carla" not in html
    assert f'href="/calendar/weeks/{mall["slot"].id}"' in html
    assert f'href="/calendar/weeks/{mall["april"].id}"' in html
    assert f'href="/calendar/weeks/{mall["march"].id}"' not in html  # cancelled
    assert 'href="/calendar/communes/melipilla.ics"' in html
    alhue = page(client, "/mall/communes/alhue")
    assert "Cerámica Carla" in alhue and "Quesos Ana" not in alhue
    quiet = page(client, "/mall/communes/san-pedro")
    assert "San Pedro no tiene turnos programados en el mall por ahora." in quiet


def test_an_unknown_commune_is_a_404_in_spanish(client, mall):
    response = client.get("/mall/communes/narnia")
    assert response.status_code == 404
    assert "No existe la comuna «narnia»." in response.get_data(as_text=True)


def test_visitors_on_the_home_page_go_to_the_showcase(client, mall):
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"] == "/mall"
    login(client, "coordinador@example.com")
    home = client.get("/")
    assert home.status_code == 200 and "Hola, coordinador" in home.get_data(as_text=True)


def test_everyone_finds_the_showcase_in_the_navigation(client, mall):
    link = re.compile(r'<a href="/mall"[^>]*>Esta semana en el mall</a>')

    def header(path: str) -> str:
        return page(client, path).split("</header>", 1)[0]

    assert link.search(header("/calendar/"))
    assert 'aria-current="page">Esta semana en el mall' in header("/mall")
    login(client, "melipilla@example.com")
    assert link.search(header("/").split('class="main-nav"', 1)[1])


@pytest.mark.db
def test_public_pages_are_cached_and_revalidated_by_data_version(client, mall, db, backend):
    for path in PUBLIC_PAGES:
        first = client.get(path)
        assert first.headers["Cache-Control"] == "public, max-age=60"
        assert "Accept-Language" in first.headers["Vary"]
        etag = first.headers["ETag"]
        # Nothing tied to a session: no cookie, no CSRF token a shared cache could hand out.
        assert "Set-Cookie" not in first.headers
        assert "csrf" not in first.get_data(as_text=True).lower()
        again = client.get(path, headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.data == b""
        assert again.headers["ETag"] == etag
        assert again.headers["Cache-Control"] == "public, max-age=60"
    etag = client.get("/mall").headers["ETag"]
    mall["people"]["ana"].description = "Ahora también quesos de oveja."
    db.session.commit()
    changed = client.get("/mall", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert "Ahora también quesos de oveja." in changed.get_data(as_text=True)


def test_a_response_that_sets_a_cookie_is_never_public(client, mall):
    client.get("/login")  # leaves a session (with its CSRF token) in the visitor's cookie
    first = client.get("/mall")
    assert "Set-Cookie" in first.headers  # Flask-Login marks that session as not fresh
    assert first.headers["Cache-Control"] == "private, no-cache"
    again = client.get("/mall")
    assert "Set-Cookie" not in again.headers
    assert again.headers["Cache-Control"] == "public, max-age=60"


def test_the_etag_follows_the_language_and_the_day(app, client, mall):
    spanish = client.get("/mall").headers["ETag"]
    english = client.get("/mall", headers={"Accept-Language": "en"})
    assert english.headers["ETag"] != spanish
    assert client.get("/mall", headers={"If-None-Match": spanish}).status_code == 304
    app.config["FIXED_NOW"] = datetime(2027, 1, 14, 15, 0, tzinfo=UTC)
    assert client.get("/mall", headers={"If-None-Match": spanish}).status_code == 200


def test_signed_in_pages_are_never_stored_nor_revalidated(app, client, mall):
    anonymous = client.get("/mall").headers["ETag"]
    login(client, "viewer@example.com")
    mine = client.get("/mall")
    # Their page carries their session's CSRF token: no validator, no shared or private copy.
    assert mine.headers["Cache-Control"] == "no-store" and "ETag" not in mine.headers
    assert client.get("/mall", headers={"If-None-Match": anonymous}).status_code == 200


def test_a_query_string_never_reaches_the_page_kept_for_everyone(client, mall):
    client.get("/mall?utm=POISON")
    client.head("/mall/communes/melipilla")
    fresh = page(client, "/mall")
    assert "POISON" not in fresh and 'name="next" value="/mall"' in fresh
    commune = page(client, "/mall/communes/melipilla")
    assert 'name="next" value="/mall/communes/melipilla"' in commune


@pytest.mark.db
def test_a_nul_character_in_a_url_is_a_400_not_a_500(client, mall, backend):
    for path in ("/mall/communes/%00", "/calendar/communes/a%00b.ics", "/mall?q=%00"):
        response = client.get(path)
        assert response.status_code == 400, path
        assert "caracteres no válidos" in response.get_data(as_text=True)
    assert client.post("/language/en", data={"next": "/mall\x00"}).status_code == 400


def test_the_built_page_is_kept_apart_for_visitors_and_each_signed_in_user(app, client, mall):
    visitor = page(client)
    coordinator = app.test_client()
    login(coordinator, "coordinador@example.com")
    theirs = page(coordinator)
    assert "Cerrar sesión" in theirs and "Cerrar sesión" not in visitor
    # The kept page carries each session's own token, and it is valid for that session.
    token = csrf_from(theirs)
    switched = coordinator.post("/language/en", data={"csrf_token": token, "next": "/mall"})
    assert switched.status_code == 302
    viewer = app.test_client()
    login(viewer, "viewer@example.com")
    assert csrf_from(page(viewer)) != token
    again = app.test_client().get("/mall")  # a second visitor: the kept page, still anonymous
    assert again.get_data(as_text=True) == visitor and "Set-Cookie" not in again.headers
    assert "csrf" not in visitor.lower()


def test_a_page_with_a_flashed_message_is_not_cached(client, mall):
    client.get("/registry/")  # sends a visitor to log in, with a message for the next page
    html_response = client.get("/mall")
    assert "Inicie sesión para continuar." in html_response.get_data(as_text=True)
    assert "public" not in html_response.headers["Cache-Control"]
    assert "ETag" not in html_response.headers
    assert client.get("/mall").headers["Cache-Control"] == "public, max-age=60"


def test_english_visitors_get_the_page_in_english(client, mall):
    html = page(client, headers={"Accept-Language": "en-US,en;q=0.9"})
    assert "This week at the mall" in html and "At the mall now" in html
    assert "January 11 – 17, 2027" in html
    assert '<meta property="og:locale" content="en_US">' in html
    client.set_cookie(LANG_COOKIE, "en")
    assert "Upcoming weeks at the mall" in page(client, "/mall/communes/melipilla")


def test_a_visitor_switches_language_without_a_session(client, mall):
    response = client.post("/language/en", data={"next": "/mall"})
    assert response.status_code == 302 and response.headers["Location"] == "/mall"
    assert "This week at the mall" in page(client)


def test_a_signed_in_user_still_needs_the_token_to_switch_language(client, mall):
    login(client, "viewer@example.com")
    assert client.post("/language/en", data={"next": "/mall"}).status_code == 400
    token = csrf_token(client)
    assert client.post("/language/en", data={"next": "/mall", "csrf_token": token}).status_code == (
        302
    )
    assert "This week at the mall" in page(client)


def test_pages_carry_opengraph_tags_for_sharing(client, mall):
    html = page(client)
    tags = dict(re.findall(r'<meta property="(og:[a-z:_]+)" content="([^"]*)">', html))
    assert tags["og:type"] == "website"
    assert tags["og:title"] == "Esta semana en el mall"
    assert tags["og:url"] == "http://127.0.0.1:5000/mall"
    assert tags["og:locale"] == "es_CL"
    assert tags["og:description"].startswith("Semana del 11 al 17 de enero de 2027: 2 emprend")
    commune = page(client, "/mall/communes/alhue")
    assert '<meta property="og:url" content="http://127.0.0.1:5000/mall/communes/alhue">' in commune
    assert '<meta property="og:title" content="Alhué en el mall">' in commune


def test_a_stored_link_that_is_not_a_web_address_is_not_linked(client, mall, db):
    mall["people"]["ana"].website = "javascript:alert(1)"
    db.session.commit()
    html = page(client)
    assert "javascript:" not in html and "Quesos Ana" in html


def test_the_stands_map_marks_only_consenting_entrepreneurs(client, mall, db):
    from app.domain import stands

    assert '<figure class="stand-map">' not in page(client)  # no stand placed on the plan yet
    for i, stand in enumerate(mall["venue"].stands):
        stands.place_stand(stand, 40 + 70 * i, 60, by=mall["users"]["coordinator"])
    db.session.commit()
    html = page(client)
    figure = html.split('<figure class="stand-map">', 1)[1].split("</figure>", 1)[0]
    assert figure.count(" assigned c-") == 2
    assert "Quesos Ana (Melipilla)" in figure and "data-position-url" not in figure
