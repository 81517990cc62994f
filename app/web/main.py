"""The home page (the public showcase for visitors), and small assets generated from data."""

from __future__ import annotations

from flask import Blueprint, Response, redirect, render_template, url_for
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select

from app import clock
from app.domain import audit_log, nominations, policy, schedule
from app.extensions import db
from app.models import Commune, NominationState
from app.web import audit_format, page_cache
from app.web.access import public

bp = Blueprint("main", __name__)


@bp.route("/")
@public
def home():
    if not current_user.is_authenticated:
        return redirect(url_for("showcase.index"))

    def render() -> str:
        today = clock.today()
        upcoming = schedule.upcoming_slots(current_user, today=today)
        ids = [s.id for s in upcoming]
        if current_user.is_officer:
            # How far the commune's lists have got: nominated, not sent yet, given a stand.
            progress = nominations.commune_progress(ids, current_user.commune_id)
            pending = {}
        else:
            progress = {}
            pending = nominations.count_by_slot(ids, (NominationState.SUBMITTED,))
        return render_template(
            "main/home.html",
            today=today,
            current=schedule.current_slot(today=today),
            upcoming=upcoming,
            progress=progress,
            no_progress=nominations.Progress(),
            pending=pending,
            decides=policy.runs_the_mall(current_user),
            news=audit_log.since_visit(current_user, current_user.previous_login_at),
            news_labels=NEWS_LABELS,
            sentence=audit_format.sentence,
        )

    # Everything on it is schedule data, the date and who is looking (and since when: what
    # changed since the previous sign-in): the page cache's key.
    return page_cache.cached(("main.home", current_user.previous_login_at), render)


# "3 aprobadas": each kind of change counted on the home page.
NEWS_LABELS = {
    "nomination.approve": lambda n: ngettext("%(num)d aprobada", "%(num)d aprobadas", n),
    "nomination.promote": lambda n: ngettext(
        "%(num)d aprobada desde la lista de espera", "%(num)d aprobadas desde la lista de espera", n
    ),
    "nomination.reject": lambda n: ngettext("%(num)d rechazada", "%(num)d rechazadas", n),
    "nomination.waitlist": lambda n: ngettext("%(num)d en espera", "%(num)d en espera", n),
    "nomination.confirm": lambda n: ngettext("%(num)d confirmada", "%(num)d confirmadas", n),
    "nomination.cancel": lambda n: ngettext("%(num)d cancelada", "%(num)d canceladas", n),
    "nomination.submit": lambda n: ngettext(
        "%(num)d nominación enviada a revisión", "%(num)d nominaciones enviadas a revisión", n
    ),
    "nomination.withdraw": lambda n: ngettext(
        "%(num)d retirada por su comuna", "%(num)d retiradas por su comuna", n
    ),
    "swap.request": lambda n: ngettext(
        "%(num)d solicitud de intercambio", "%(num)d solicitudes de intercambio", n
    ),
    "swap.accept": lambda n: ngettext(
        "%(num)d intercambio aceptado por la otra comuna",
        "%(num)d intercambios aceptados por la otra comuna",
        n,
    ),
}


@bp.route("/assets/communes.css")
@public
def communes_css():
    # Commune colours come from the database; a stylesheet keeps the CSP free of inline styles.
    communes = db.session.execute(select(Commune).order_by(Commune.id)).scalars()
    css = "\n".join(
        f".c-{c.slug}{{--commune:{c.color};}}" for c in communes if _is_hex_colour(c.color)
    )
    response = Response(css + "\n", mimetype="text/css")
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


def _is_hex_colour(value: str) -> bool:
    return (
        len(value) == 7
        and value[0] == "#"
        and all(c in "0123456789abcdefABCDEF" for c in value[1:])
    )
