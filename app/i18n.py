"""Language and dates: Spanish (Chile) first, English second; dates shown in the venue's zone."""

from __future__ import annotations

from datetime import date, datetime

from babel import Locale
from babel.dates import format_date, format_datetime
from flask import Flask, current_app, has_request_context, request
from flask_babel import get_locale
from flask_login import current_user
from werkzeug.datastructures import LanguageAccept

from app.extensions import babel

LOCALES = {"es": "es_CL", "en": "en"}
LANG_COOKIE = "vitrina_lang"
# Parsed once: Flask-Babel parses whatever the selector returns on every request, unless it is
# already a Locale.
_PARSED = {code: Locale.parse(name) for code, name in LOCALES.items()}


def select_locale() -> Locale:
    if not has_request_context():  # CLI, background jobs: the default language
        return _PARSED["es"]
    user = current_user._get_current_object()
    if user is not None and user.is_authenticated and user.locale in LOCALES:
        return _PARSED[user.locale]
    return _PARSED[visitor_language(request.cookies.get(LANG_COOKIE), request.accept_languages)]


def visitor_language(chosen: str | None, accepted: LanguageAccept) -> str:
    """A visitor's language: the one they chose (a cookie), else the best their browser
    accepts, else Spanish."""
    if chosen in LOCALES:
        return chosen
    return accepted.best_match(list(LOCALES), default="es")


def current_lang() -> str:
    return str(get_locale() or "es_CL").split("_")[0]


def fmt_date(value: date | None, fmt: str = "long") -> str:
    if value is None:
        return ""
    return format_date(value, format=fmt, locale=str(get_locale()))


def fmt_datetime(value: datetime | None, fmt: str = "medium") -> str:
    if value is None:
        return ""
    tz = current_app.config["VENUE_TIMEZONE"]
    return format_datetime(value, format=fmt, tzinfo=tz, locale=str(get_locale()))


_DAYTIME = {  # (weekday, short) → pattern, per language
    "es": {
        (False, False): "d 'de' MMMM, HH:mm",
        (True, False): "EEEE d 'de' MMMM, HH:mm",
        (False, True): "d MMM, HH:mm",
        (True, True): "EEE d MMM, HH:mm",
    },
    "en": {
        (False, False): "MMMM d, HH:mm",
        (True, False): "EEEE, MMMM d, HH:mm",
        (False, True): "MMM d, HH:mm",
        (True, True): "EEE, MMM d, HH:mm",
    },
}


def fmt_daytime(value: datetime | None, weekday: bool = False, short: bool = False) -> str:
    """A deadline's day and time in the venue's zone: 'lunes 28 de diciembre, 23:59' /
    'Monday, December 28, 23:59' (short: '28 dic, 23:59' / 'Dec 28, 23:59'). Spanish puts
    words between the fields, so one pattern cannot serve both languages."""
    if value is None:
        return ""
    patterns = _DAYTIME["es" if current_lang() == "es" else "en"]
    return fmt_datetime(value, patterns[(weekday, short)])


def fmt_week(start: date, end: date) -> str:
    """'9 al 15 de marzo de 2027' / 'March 9 – 15, 2027', compactly."""
    locale = str(get_locale())
    if current_lang() == "es":
        end_text = format_date(end, "d 'de' MMMM 'de' y", locale=locale)
        if start.month == end.month:
            return f"{start.day} al {end_text}"
        start_text = format_date(start, "d 'de' MMMM", locale=locale)
        return f"{start_text} al {end_text}"
    if start.month == end.month:
        return f"{format_date(start, 'MMMM d', locale=locale)} – {end.day}, {end.year}"
    start_text = format_date(start, "MMM d", locale=locale)
    return f"{start_text} – {format_date(end, 'MMM d, y', locale=locale)}"


def month_name(month: int, *, width: str = "wide") -> str:
    from babel.dates import get_month_names

    return get_month_names(width, context="stand-alone", locale=str(get_locale()))[month]


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale, default_timezone="America/Santiago")
    app.jinja_env.filters["fdate"] = fmt_date
    app.jinja_env.filters["fdatetime"] = fmt_datetime
    app.jinja_env.filters["fdaytime"] = fmt_daytime
    app.jinja_env.globals["fmt_week"] = fmt_week
    app.jinja_env.globals["month_name"] = month_name
    app.jinja_env.globals["current_lang"] = current_lang
