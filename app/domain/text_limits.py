"""Texts fit their columns: one check before every flush, refused with the limit in words.

PostgreSQL refuses a string longer than its VARCHAR (a 500 once it reaches the driver) and
SQLite stores it whole; forms check the lengths they know of, and this catches the rest
(a reason typed into a plain form field, a value a domain function builds), on both databases.
"""

from __future__ import annotations

import functools

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Enum, String, event, inspect
from sqlalchemy.orm import Mapper, Session

from app.domain.errors import Invalid

# What a person calls the fields they can type into freely; others are named generically.
LABELS = {
    "reason": _l("El motivo"),
    "name": _l("El nombre"),
    "location": _l("La ubicación"),
    "address": _l("La dirección"),
}


@functools.cache
def _limited(mapper: Mapper) -> tuple[tuple[str, int], ...]:
    """(attribute, maximum length) of the mapper's VARCHAR columns."""
    return tuple(
        (attr.key, column.type.length)
        for attr in mapper.column_attrs
        for column in attr.columns[:1]
        if isinstance(column.type, String)
        and not isinstance(column.type, Enum)  # an Enum's values are checked by the Enum
        and column.type.length
    )


def check(obj: object) -> None:
    state = inspect(obj)
    loaded = state.dict  # what was set or loaded: reading anything else would run a query
    for key, length in _limited(state.mapper):
        value = loaded.get(key)
        if isinstance(value, str) and len(value) > length:
            label = LABELS.get(key) or _l("Uno de los textos")
            raise Invalid(
                _("%(field)s admite como máximo %(n)d caracteres.", field=label, n=length),
                field=key,
            )


@event.listens_for(Session, "before_flush")
def _check_lengths(session: Session, _context, _instances) -> None:
    for obj in (*session.new, *session.dirty):
        check(obj)
