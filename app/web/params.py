"""Reading ids, numbers and dates from a request: bad input is a 400 (or a 404), never a 500."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from flask import request
from flask_babel import gettext as _
from werkzeug.routing import IntegerConverter

from app.domain.errors import Invalid

# Every id column is INTEGER: PostgreSQL refuses a larger value in a query on one
# ("integer out of range", a 500), and SQLite cannot even bind one above 2**63 - 1.
MAX_ID = 2**31 - 1
# Dates people type: far enough either side for any real week, and far enough from date.max
# that adding a week's length or a year to one cannot overflow.
MIN_DATE = date(1900, 1, 1)
MAX_DATE = date(2999, 12, 31)


class IdConverter(IntegerConverter):
    """`<int:...>` in routes: only ASCII digits, and only numbers an id column can hold. Any
    other number names nothing, so it matches no route (404)."""

    regex = r"[0-9]+"

    def __init__(self, url_map, **options) -> None:
        ceiling = options.pop("max", None)
        super().__init__(
            url_map, **options, max=MAX_ID if ceiling is None else min(ceiling, MAX_ID)
        )


def init_app(app) -> None:
    # Before any blueprint: a rule binds its converters when it is added.
    app.url_map.converters["int"] = IdConverter


def parse_id(raw: str | None) -> int | None:
    """An id typed or sent in a form: None when blank; Invalid when it cannot be one."""
    text = (raw or "").strip()
    if not text:
        return None
    # str.isdigit() accepts "²" and "١", which int() then refuses or reads; only 0-9 here.
    if not (text.isascii() and text.isdigit()) or len(text) > 10 or int(text) > MAX_ID:
        raise Invalid(_("La solicitud no es válida. Recargue la página e intente de nuevo."))
    return int(text)


def form_id(name: str) -> int | None:
    return parse_id(request.form.get(name))


def form_ids(name: str) -> list[int]:
    return [i for raw in request.form.getlist(name) if (i := parse_id(raw)) is not None]


def arg_id(name: str) -> int | None:
    """An id in the query string (a filter): anything that cannot be one is no filter."""
    try:
        return parse_id(request.args.get(name))
    except Invalid:
        return None


def filter_id(value: object) -> int:
    """A search filter's id (a SelectField's coerce): anything that cannot be one is 0, "all"."""
    if isinstance(value, int):
        return value
    try:
        return parse_id(str(value)) or 0
    except Invalid:
        return 0


def arg_page(name: str = "page") -> int:
    """A page number from the query string; anything odd is the first page."""
    raw = request.args.get(name, "")
    if raw.isascii() and raw.isdigit() and 0 < len(raw) < 6:
        return max(int(raw), 1)
    return 1


def parse_decimal(raw: str | None, *, message: str) -> Decimal:
    """A finite number typed with a comma or a point ("1,5", "2.25"); Invalid otherwise.
    NaN and infinities parse as Decimals and then break every comparison made with them."""
    text = (raw or "").replace(",", ".").strip()
    try:
        value = Decimal(text)
    except InvalidOperation as exc:
        raise Invalid(message) from exc
    if not value.is_finite():
        raise Invalid(message)
    return value


def parse_date(raw: str | None, *, field: str | None = None) -> date:
    """An ISO date (2027-03-08) from a date input; Invalid when it is not one or lies outside
    the years a week can be in."""
    text = (raw or "").strip()
    try:
        value = date.fromisoformat(text)
    except ValueError as exc:
        raise Invalid(_("La fecha «%(d)s» no es válida.", d=text), field=field) from exc
    if not MIN_DATE <= value <= MAX_DATE:
        raise Invalid(_("La fecha «%(d)s» no es válida.", d=text), field=field)
    return value
