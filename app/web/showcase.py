"""The public showcase, "Esta semana en el mall": the week on now and who is there, the weeks
to come and each commune's turns. For anyone, cacheable, with OpenGraph tags for sharing."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

from flask import Blueprint, Response, current_app, make_response, render_template, request, session
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.http import is_resource_modified

from app import caches, clock
from app.domain import showcase
from app.domain import stands as stand_ops
from app.i18n import fmt_week
from app.web import front, page_cache
from app.web.access import public

bp = Blueprint("showcase", __name__)

PAGE_VERSION = "1"  # bump when the pages' layout changes, so every ETag changes with it
MAX_AGE = 60  # seconds a shared cache may serve a page before revalidating


@bp.route("/mall")
@public
def index():
    return _serve(("showcase.mall",), _render_mall)


@bp.route("/mall/communes/<slug>")
@public
def commune(slug: str):
    # The data version before the commune's row: the page is then never filed under a version
    # newer than the name and colour it shows.
    page_cache.data_version()
    found = showcase.get_commune(slug)
    return _serve(("showcase.commune", found.id), lambda: _render_commune(found))


def _render_mall() -> str:
    today = clock.today()
    show = showcase.mall_showcase(today=today)
    if show.week is None:
        description = _(
            "Semanas de emprendedores de la provincia de Melipilla en Mall Espacio Urbano "
            "Melipilla: próximas fechas y comunas anfitrionas."
        )
    else:
        description = ngettext(
            "Semana del %(week)s: %(num)d emprendimiento de %(communes)s en Mall Espacio "
            "Urbano Melipilla.",
            "Semana del %(week)s: %(num)d emprendimientos de %(communes)s en Mall Espacio "
            "Urbano Melipilla.",
            len(show.stands),
            week=fmt_week(show.week.starts_on, show.week.ends_on),
            communes=", ".join(a.commune.name for a in showcase.hosts(show.week)),
        )
    return render_template(
        "showcase/mall.html",
        show=show,
        today=today,
        hosts=showcase.hosts,
        map_width=stand_ops.MAP_WIDTH,
        map_height=stand_ops.MAP_HEIGHT,
        og=_og(_("Esta semana en el mall"), description),
    )


def _render_commune(commune) -> str:
    today = clock.today()
    show = showcase.commune_showcase(commune, today=today)
    description = _(
        "Los próximos turnos de %(commune)s en Mall Espacio Urbano Melipilla y sus emprendedores.",
        commune=commune.name,
    )
    return render_template(
        "showcase/commune.html",
        show=show,
        today=today,
        hosts=showcase.hosts,
        og=_og(_("%(commune)s en el mall", commune=commune.name), description),
    )


def _og(title: str, description: str) -> dict[str, str]:
    # The configured public address, not the request's Host header: a cached page must not
    # carry whatever host a client sent.
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    return {"title": title, "description": description, "url": base + request.path}


def _serve(page: tuple, render: Callable[[], str]) -> Response:
    """For visitors, an ETag from the data version, the venue's date and the language; 304
    without rendering when it matches, else the page as built once per data version.
    Anonymous pages hold nothing personal (base.html leaves out the CSRF token for them), so
    shared caches may keep them a minute."""
    if session.get("_flashes"):  # a one-off message: render it, cache nothing
        return make_response(render())
    if current_user.is_authenticated:
        # Their page carries their session's CSRF token, which no validator could vouch for
        # (a new session of the same user would be handed the old token by a 304): sent whole,
        # from the page cache, and stored by nobody (the app's default no-store).
        return make_response(page_cache.cached(page, render))
    etag = _etag(page)
    front.keep(page_cache.data_version(), clock.today())
    if is_resource_modified(request.environ, etag=etag):
        response = make_response(page_cache.cached(page, render))
    else:
        response = Response(status=304)
    response.set_etag(etag)
    # A visitor whose session cookie changes on this request (Flask-Login marks a leftover
    # session of /login as not fresh) must not have that Set-Cookie stored by a shared cache.
    if session.modified:
        response.headers["Cache-Control"] = "private, no-cache"
    else:
        response.headers["Cache-Control"] = f"public, max-age={MAX_AGE}"
    response.vary.add("Accept-Language")  # anonymous visitors' language comes from it
    return response


def _etag(page: tuple) -> str:
    # Computed once per page, day, data version and language, not once per visit.
    key = (
        PAGE_VERSION,
        page,
        clock.today().isoformat(),
        page_cache.data_version(),
        str(get_locale()),
    )
    return caches.PAGE_ETAGS.get_or_build(
        key, lambda: hashlib.sha256(json.dumps(list(key)).encode()).hexdigest()[:32]
    )
