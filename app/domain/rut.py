"""Chilean RUT parsing, validation (modulo 11 check digit) and formatting."""

from __future__ import annotations

import re

# People get RUTs from about 1.000.000 up and companies sit in 50.000.000–99.999.999; anything
# outside that range is almost certainly a typo (a missing or extra digit), not a real RUT.
MIN_BODY = 1_000_000
MAX_BODY = 99_999_999

_WEIGHTS = (2, 3, 4, 5, 6, 7)

# Text pasted from Word, PDFs or WhatsApp often carries typographic dashes instead of "-".
_DASHES = str.maketrans({"\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2212": "-"})
_ALLOWED = frozenset("0123456789.-kK")
# Dots are optional, but when present they must group thousands: "1.2345.678-5" is a typo.
_SHAPE = re.compile(r"(?:[0-9]+|[0-9]{1,3}(?:\.[0-9]{3})+)-?[0-9kK]")


class InvalidRut(ValueError):
    """A RUT that cannot be accepted; ``str(exc)`` is a Spanish message fit for the user."""

    def __init__(self, message: str, *, code: str, expected_check_digit: str | None = None):
        super().__init__(message)
        self.message = message
        # Stable machine-readable reason, so callers can branch without parsing Spanish text.
        self.code = code
        self.expected_check_digit = expected_check_digit


def check_digit(body: int | str) -> str:
    """Return the check digit ("0"–"9" or "K") for a RUT body given as int or digit string."""
    if isinstance(body, bool):
        # bool is an int subclass; True would silently compute the check digit of 1.
        raise TypeError("body must be an int or a string of digits, not bool")
    if isinstance(body, int):
        if body < 0:
            raise ValueError("body must not be negative")
        digits = str(body)
    elif isinstance(body, str):
        # str.isdigit() accepts non-ASCII digits such as "١"; only 0-9 are valid here.
        if not body or not all("0" <= ch <= "9" for ch in body):
            raise ValueError(f"body must be a string of digits 0-9, got {body!r}")
        digits = body
    else:
        raise TypeError(f"body must be an int or a string of digits, not {type(body).__name__}")

    total = sum(int(d) * _WEIGHTS[i % 6] for i, d in enumerate(reversed(digits)))
    remainder = 11 - total % 11
    if remainder == 11:
        return "0"
    if remainder == 10:
        return "K"
    return str(remainder)


def _group_thousands(body: int) -> str:
    # Chile uses "." as thousands separator; format with "," and swap to stay locale-independent.
    return f"{body:,}".replace(",", ".")


def normalize_rut(raw: str) -> str:
    """Return the canonical stored form "12345678-5" or raise InvalidRut.

    Accepts "12.345.678-5", "12345678-5", "123456785" and lowercase "k", surrounded by spaces.
    """
    if raw is None:
        raise InvalidRut("El RUT está vacío.", code="empty")
    if not isinstance(raw, str):
        raise TypeError(f"raw must be a string, not {type(raw).__name__}")

    text = raw.strip().translate(_DASHES)
    if not text:
        raise InvalidRut("El RUT está vacío.", code="empty")
    if any(ch not in _ALLOWED for ch in text):
        raise InvalidRut("El RUT contiene caracteres no permitidos.", code="characters")
    if sum(ch.isdigit() or ch in "kK" for ch in text) < 2:
        # A lone digit cannot even hold a body plus check digit; say so rather than "format".
        raise InvalidRut("El RUT es demasiado corto.", code="too_short")
    if not _SHAPE.fullmatch(text):
        raise InvalidRut(
            "El RUT no tiene un formato válido. Escríbalo como 12.345.678-5.", code="format"
        )

    compact = text.replace(".", "").replace("-", "")
    # Leading zeros are not part of a RUT; stripping them before measuring also keeps int() away
    # from pathological inputs thousands of digits long.
    body_digits = compact[:-1].lstrip("0")
    given = compact[-1].upper()

    if len(body_digits) > len(str(MAX_BODY)):
        raise InvalidRut("El RUT es demasiado largo.", code="too_long")
    body = int(body_digits or "0")
    if body < MIN_BODY:
        raise InvalidRut("El RUT es demasiado corto.", code="too_short")
    if body > MAX_BODY:
        raise InvalidRut("El RUT es demasiado largo.", code="too_long")

    expected = check_digit(body)
    if given != expected:
        raise InvalidRut(
            f"El RUT {_group_thousands(body)}-{given} no es válido: "
            f"el dígito verificador debería ser {expected}.",
            code="check_digit",
            expected_check_digit=expected,
        )
    return f"{body}-{expected}"


def format_rut(normalized: str) -> str:
    """Return the display form "12.345.678-5"; accepts any input normalize_rut accepts."""
    # Re-normalizing is cheap and means a bad value can never be displayed as if it were valid.
    body, digit = normalize_rut(normalized).split("-")
    return f"{_group_thousands(int(body))}-{digit}"


def is_valid_rut(raw: object) -> bool:
    """Return True when ``raw`` is a string that normalize_rut accepts."""
    if not isinstance(raw, str):
        return False
    try:
        normalize_rut(raw)
    except InvalidRut:
        return False
    return True
