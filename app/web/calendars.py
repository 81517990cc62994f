"""Calendar feeds (.ics), the subscribe page and the private feed tokens."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, replace
from urllib.parse import quote, urlencode

import segno
from flask import Blueprint, Response, current_app, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import joinedload
from werkzeug.http import is_resource_modified

from app import caches, database
from app.calendars import feeds, tokens
from app.domain import policy, schedule, showcase
from app.domain.errors import NotFound
from app.extensions import db
from app.i18n import fmt_week
from app.models import (
    CalendarToken,
    Commune,
    Entrepreneur,
    Role,
    Slot,
    SlotState,
)
from app.web import front
from app.web.access import actor, public, roles, staff
from app.web.htmx import pick

bp = Blueprint("calendars", __name__, url_prefix="/calendar")

FEED_MAX_AGE = 900  # seconds a cache may keep a feed before revalidating (cheaply, see _serve)


def _spelled_any_way(path: str) -> str:
    """A pattern for `path` as it may reach the feed route: servers decode percent-escapes
    (`%70rivate`, `private%2F`) before routing and Werkzeug redirects doubled slashes to the
    route, while logs keep the request line as it was sent."""
    parts = []
    for char in path:
        if char == "/":
            parts.append("(?:/|%2f)+")
        else:
            parts.append(f"(?:{re.escape(char)}|%{ord(char):02x})")
    return "".join(parts)


# The token: everything up to the next path, query or field separator, escapes included.
_PRIVATE_PATH = re.compile(
    _spelled_any_way("/calendar/private/") + r"(?:%(?!2f)|[^%/\s\"?#&])+", re.IGNORECASE
)


class RedactFeedTokens(logging.Filter):
    """Keeps private feed tokens out of request logs and error reports."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = _redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_redact(a) for a in record.args)
        elif isinstance(record.args, dict):  # gunicorn's access log passes its atoms as a dict
            record.args = {k: _redact(v) for k, v in record.args.items()}
        return True


def _redact(value):
    if not isinstance(value, str):
        return value
    return _PRIVATE_PATH.sub("/calendar/private/[token]", value)


@bp.record_once
def _install_log_filter(_state) -> None:
    # A logger's filters see only the records logged on it, not its children's: each logger
    # that may write a request's path is named ("app" is Flask's app.logger).
    for name in ("werkzeug", "app", "app.web", "gunicorn.access", "gunicorn.error"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactFeedTokens) for f in logger.filters):
            logger.addFilter(RedactFeedTokens())


# --- feeds ---------------------------------------------------------------------------------


def _body(feed: feeds.Feed, etag: str) -> bytes:
    # Built feeds by ETag. The tag names the data version, the day and the feed, so a kept body
    # can never be stale: any change moves the version and misses. Most clients (Google Calendar
    # among them) poll without If-None-Match, so they are served from here.
    return caches.FEED_BODIES.get_or_build(etag, lambda: feeds.build(feed))


def _serve(feed: feeds.Feed, *, private: bool, filename: str, attachment: bool = False):
    """ETag and Last-Modified come from a cheap version query; 304 without building."""
    ver = feeds.version(feed)
    if not is_resource_modified(request.environ, etag=ver.etag, last_modified=ver.last_modified):
        response = Response(status=304)
    else:
        response = Response(_body(feed, ver.etag), content_type="text/calendar; charset=utf-8")
        disposition = "attachment" if attachment else "inline"
        response.headers["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    response.set_etag(ver.etag)
    response.last_modified = ver.last_modified
    scope = "private" if private else "public"
    response.headers["Cache-Control"] = f"{scope}, max-age={FEED_MAX_AGE}"
    if not private:  # the same for everyone: the next visitors are answered in front of Flask
        front.keep(ver.data_version, ver.today)
    return response


@bp.route("/mall.ics")
@public
def mall_ics():
    return _serve(feeds.mall_feed(), private=False, filename="vitrina-mall.ics")


@bp.route("/communes/<slug>.ics")
@public
def commune_ics(slug: str):
    commune = db.session.execute(select(Commune).where(Commune.slug == slug)).scalar_one_or_none()
    if commune is None:
        raise NotFound(_("No existe la comuna «%(slug)s».", slug=slug))
    return _serve(
        feeds.commune_feed(commune), private=False, filename=f"vitrina-{commune.slug}.ics"
    )


@bp.route("/private/<token>.ics")
@public  # the secret token in the URL is the credential: calendar apps cannot sign in
def private_ics(token: str):
    row = tokens.find_live(token)
    if row is None:
        raise NotFound(_("Este calendario privado no existe o su enlace fue revocado."))
    if row.user is not None:
        feed = feeds.staff_feed(row.user, request.path)
    else:
        feed = feeds.entrepreneur_feed(row.entrepreneur, request.path)
    # The body names its own address: a regenerated token is another feed, never the revoked
    # one's kept body or ETag.
    feed = replace(feed, key=f"{feed.key}:token:{row.id}")
    if tokens.needs_marking(row):
        _mark_used(row.id)
    return _serve(feed, private=True, filename="vitrina-privado.ics")


def _mark_used(token_id: int) -> None:
    """Notes when a private feed was last fetched: a write during a GET, in a transaction of
    its own that may wait for the write lock (on SQLite a read transaction that starts writing
    fails at once when another writer got there first). Best effort: a busy database skips
    it, and the next fetch notes it."""
    db.session.rollback()
    try:
        with database.writing():
            row = db.session.get(CalendarToken, token_id)
            if row is not None:
                tokens.mark_used(row)
            db.session.commit()
    except OperationalError:
        db.session.rollback()


@bp.route("/slots/<int:slot_id>.ics")
@public
def slot_ics(slot_id: int):
    slot = db.session.get(Slot, slot_id)
    if slot is None:
        raise NotFound(_("No existe esa semana."))
    return _serve(
        feeds.slot_feed(slot),
        private=False,
        filename=f"vitrina-{slot.year}-{slot.month:02d}.ics",
        attachment=True,
    )


# --- pages ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Subscription:
    """The ways to subscribe to one feed, for the page."""

    name: str
    description: str
    url: str
    webcal: str
    google: str
    outlook: str
    office: str
    qr: str  # data: URI of an SVG QR code of the webcal:// address


def subscription(name: str, description: str, path: str) -> Subscription:
    url = current_app.config["PUBLIC_BASE_URL"].rstrip("/") + path
    webcal = "webcal://" + url.split("://", 1)[1]
    outlook_query = urlencode({"url": url, "name": name}, quote_via=quote)
    return Subscription(
        name=name,
        description=description,
        url=url,
        webcal=webcal,
        google="https://calendar.google.com/calendar/r?cid=" + quote(webcal, safe=""),
        outlook="https://outlook.live.com/calendar/0/addfromweb?" + outlook_query,
        office="https://outlook.office.com/calendar/0/addfromweb?" + outlook_query,
        qr=segno.make(webcal, error="m").svg_data_uri(scale=4, border=2, light="#fff"),
    )


def _described(feed: feeds.Feed, page: feeds.Feed, path: str | None = None) -> Subscription:
    # The calendar keeps the feed's own name (what the .ics calls itself); the page describes
    # it in the reader's language.
    return subscription(feed.name, page.description, path or feed.feed_path)


def _public_subscriptions() -> tuple[Subscription, list[tuple[Commune, Subscription]]]:
    locale = str(get_locale())
    communes = db.session.execute(select(Commune).order_by(Commune.name)).scalars()
    return (
        _described(feeds.mall_feed(), feeds.mall_feed(locale)),
        [(c, _described(feeds.commune_feed(c), feeds.commune_feed(c, locale))) for c in communes],
    )


@bp.route("/")
@public
def index():
    mall, communes = _public_subscriptions()
    return render_template(
        "calendars/index.html",
        mall=mall,
        communes=communes,
        private=_my_private_context() if current_user.is_authenticated else None,
    )


def _my_private_context(issued: str | None = None) -> dict:
    user = actor()
    page = feeds.staff_feed(user, feed_path="", locale=str(get_locale()))
    return {
        "section_id": "private-feed",
        "title": _("Su calendario privado"),
        "explain": page.description,
        "token": tokens.live_token(user=user),
        "issued": _described(feeds.staff_feed(user, ""), page, _private_path(issued))
        if issued
        else None,
        "issue_url": url_for("calendars.issue_my_token"),
        "revoke_url": url_for("calendars.revoke_my_token"),
    }


def _private_path(token: str) -> str:
    return url_for("calendars.private_ics", token=token)


@bp.route("/my-token", methods=["POST"])
@staff
def issue_my_token():
    token = tokens.issue_token(user=actor(), by=actor())
    db.session.commit()
    context = _my_private_context(issued=token)
    return _render_private(context)


@bp.route("/my-token/revoke", methods=["POST"])
@staff
def revoke_my_token():
    tokens.revoke_token(user=actor(), by=actor())
    db.session.commit()
    return _render_private(_my_private_context())


def _render_private(context: dict, entrepreneur: Entrepreneur | None = None):
    if entrepreneur is not None:
        full = "calendars/entrepreneur_token.html"
        return render_template(
            pick(full, "calendars/_private_feed.html"), entrepreneur=entrepreneur, private=context
        )
    mall, communes = _public_subscriptions()
    return render_template(
        pick("calendars/index.html", "calendars/_private_feed.html"),
        mall=mall,
        communes=communes,
        private=context,
    )


# --- an entrepreneur's private feed, managed by staff of their commune ------------------------


def _entrepreneur_for_staff(entrepreneur_id: int) -> Entrepreneur:
    entrepreneur = db.session.execute(
        select(Entrepreneur)
        .where(Entrepreneur.id == entrepreneur_id)
        .options(joinedload(Entrepreneur.commune))
    ).scalar_one_or_none()
    user = actor()
    # An officer of another commune learns nothing, not even that the entrepreneur exists.
    if entrepreneur is None or not policy.sees_commune(user, entrepreneur.commune_id):
        raise NotFound(_("No existe ese emprendedor."))
    return entrepreneur


def _entrepreneur_context(entrepreneur: Entrepreneur, issued: str | None = None) -> dict:
    feed = feeds.entrepreneur_feed(entrepreneur, feed_path="")  # in the entrepreneur's Spanish
    return {
        "section_id": "private-feed",
        "title": _("Calendario privado de %(business)s", business=entrepreneur.business_name),
        "explain": _(
            "Sus semanas y su stand en el mall, con el horario de cada día. Genere el enlace y "
            "envíeselo al emprendedor (o muéstrele el código QR): solo se ve una vez."
        ),
        "token": tokens.live_token(entrepreneur=entrepreneur),
        "issued": _described(feed, feed, _private_path(issued)) if issued else None,
        "issue_url": url_for("calendars.issue_entrepreneur_token", entrepreneur_id=entrepreneur.id),
        "revoke_url": url_for(
            "calendars.revoke_entrepreneur_token", entrepreneur_id=entrepreneur.id
        ),
    }


_MANAGE_TOKENS = (Role.ADMIN, Role.COORDINATOR, Role.OFFICER)


@bp.route("/entrepreneurs/<int:entrepreneur_id>/token")
@roles(*_MANAGE_TOKENS)
def entrepreneur_token(entrepreneur_id: int):
    entrepreneur = _entrepreneur_for_staff(entrepreneur_id)
    return _render_private(_entrepreneur_context(entrepreneur), entrepreneur)


@bp.route("/entrepreneurs/<int:entrepreneur_id>/token", methods=["POST"])
@roles(*_MANAGE_TOKENS)
def issue_entrepreneur_token(entrepreneur_id: int):
    entrepreneur = _entrepreneur_for_staff(entrepreneur_id)
    token = tokens.issue_token(entrepreneur=entrepreneur, by=actor())
    db.session.commit()
    return _render_private(_entrepreneur_context(entrepreneur, issued=token), entrepreneur)


@bp.route("/entrepreneurs/<int:entrepreneur_id>/token/revoke", methods=["POST"])
@roles(*_MANAGE_TOKENS)
def revoke_entrepreneur_token(entrepreneur_id: int):
    entrepreneur = _entrepreneur_for_staff(entrepreneur_id)
    tokens.revoke_token(entrepreneur=entrepreneur, by=actor())
    db.session.commit()
    return _render_private(_entrepreneur_context(entrepreneur), entrepreneur)


# --- one week's public page ----------------------------------------------------------------


@bp.route("/weeks/<int:slot_id>")
@public
def week(slot_id: int):
    slot = schedule.get_week(slot_id)
    return render_template(
        "calendars/week.html",
        slot=slot,
        hosts=showcase.hosts(slot),
        roster=showcase.public_stands([slot.id]).get(slot.id, []),
        cancelled=slot.state is SlotState.CANCELLED,
        ics_url=url_for("calendars.slot_ics", slot_id=slot.id),
        share=_share_links(slot),
    )


def _share_links(slot: Slot) -> dict[str, str]:
    """Plain links that share the week's public address by e-mail or WhatsApp (no script)."""
    url = current_app.config["PUBLIC_BASE_URL"].rstrip("/") + url_for(
        "calendars.week", slot_id=slot.id
    )
    title = _("Semana de emprendedores del %(week)s", week=fmt_week(slot.starts_on, slot.ends_on))
    text = _("%(title)s en Mall Espacio Urbano Melipilla: %(url)s", title=title, url=url)
    return {
        "whatsapp": "https://wa.me/?" + urlencode({"text": text}, quote_via=quote),
        "email": "mailto:?" + urlencode({"subject": title, "body": text}, quote_via=quote),
    }
