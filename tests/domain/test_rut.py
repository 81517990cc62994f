"""Chilean RUT parsing, check digit, formatting and the Spanish errors shown to users."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.rut import (
    MAX_BODY,
    MIN_BODY,
    InvalidRut,
    check_digit,
    format_rut,
    is_valid_rut,
    normalize_rut,
)


def _oracle_check_digit(body: int) -> str:
    # A differently-shaped formulation of modulo 11 (the well-known running-remainder one-liner),
    # so the module is checked against something other than a copy of itself.
    m, s = 0, 1
    while body:
        s = (s + body % 10 * (9 - m % 6)) % 11
        m += 1
        body //= 10
    return str(s - 1) if s else "K"


bodies = st.integers(min_value=MIN_BODY, max_value=MAX_BODY)


# Published RUTs of public bodies plus the textbook examples, checked by hand against mod 11.
KNOWN = [
    ("12.345.678-5", "12345678-5"),
    ("11.111.111-1", "11111111-1"),
    ("60.803.000-K", "60803000-K"),  # Servicio de Impuestos Internos
    ("97.030.000-7", "97030000-7"),  # BancoEstado
    ("60.910.000-1", "60910000-1"),  # Universidad de Chile
    ("1.000.005-K", "1000005-K"),
    ("10.000.004-0", "10000004-0"),
]


@pytest.mark.parametrize(("display", "stored"), KNOWN)
def test_known_ruts_normalize_and_format(display, stored):
    assert normalize_rut(display) == stored
    assert format_rut(stored) == display
    assert is_valid_rut(display)


@pytest.mark.parametrize(
    ("body", "digit"),
    [(12345678, "5"), (11111111, "1"), (60803000, "K"), (97030000, "7"), (10000004, "0")],
)
def test_check_digit_of_known_bodies(body, digit):
    assert check_digit(body) == digit
    assert check_digit(str(body)) == digit


def test_check_digit_ignores_leading_zeros_in_strings():
    assert check_digit("0012345678") == "5"


@pytest.mark.parametrize("bad", [-1, "", "12a45", "12.345", "١٢٣", " 123"])
def test_check_digit_rejects_non_digit_bodies(bad):
    with pytest.raises(ValueError):
        check_digit(bad)


@pytest.mark.parametrize("bad", [True, 12.0, None, b"123"])
def test_check_digit_rejects_other_types(bad):
    with pytest.raises(TypeError):
        check_digit(bad)


@pytest.mark.parametrize(
    "raw",
    [
        "12.345.678-5",
        "12345678-5",
        "123456785",
        " 12.345.678-5 ",
        "\t12345678-5\n",
        "012.345.678-5",
        "0012345678-5",
        "12345678\u20135",  # en dash, as pasted from a word processor
        "12345678\u20115",  # non-breaking hyphen
    ],
)
def test_normalize_accepts_common_spellings(raw):
    assert normalize_rut(raw) == "12345678-5"


@pytest.mark.parametrize("raw", ["60.803.000-k", " 60.803.000-k ", "60803000k", "60803000-K"])
def test_normalize_uppercases_k(raw):
    assert normalize_rut(raw) == "60803000-K"


def test_normalize_is_idempotent_on_known_values():
    for _, stored in KNOWN:
        assert normalize_rut(stored) == stored


def _error(raw) -> InvalidRut:
    with pytest.raises(InvalidRut) as info:
        normalize_rut(raw)
    return info.value


@pytest.mark.parametrize("raw", ["", "   ", "\n", None])
def test_empty_rut_message(raw):
    err = _error(raw)
    assert str(err) == "El RUT está vacío."
    assert err.code == "empty"


@pytest.mark.parametrize(
    "raw", ["12,345,678-5", "12 345 678-5", "RUT 12345678-5", "12345678/5", "١٢٣٤٥٦٧٨-5", "x"]
)
def test_disallowed_characters_message(raw):
    err = _error(raw)
    assert str(err) == "El RUT contiene caracteres no permitidos."
    assert err.code == "characters"


@pytest.mark.parametrize(
    "raw", ["1.2345.678-5", "12.345.678--5", "12-345678-5", "12K45678-5", "kk"]
)
def test_bad_shape_message(raw):
    err = _error(raw)
    assert str(err) == "El RUT no tiene un formato válido. Escríbalo como 12.345.678-5."
    assert err.code == "format"


@pytest.mark.parametrize("raw", ["5", "-5", "999.999-3", "123.456-0", "0.000.000-0", "00000001-9"])
def test_too_short_message(raw):
    err = _error(raw)
    assert str(err) == "El RUT es demasiado corto."
    assert err.code == "too_short"


@pytest.mark.parametrize("raw", ["100.000.000-4", "123456789012-3", "9" * 5000 + "-1"])
def test_too_long_message(raw):
    err = _error(raw)
    assert str(err) == "El RUT es demasiado largo."
    assert err.code == "too_long"


def test_wrong_check_digit_message_names_the_right_digit():
    err = _error("12.345.678-9")
    assert str(err) == "El RUT 12.345.678-9 no es válido: el dígito verificador debería ser 5."
    assert err.code == "check_digit"
    assert err.expected_check_digit == "5"


def test_wrong_check_digit_message_shows_input_in_display_form():
    # Typed without dots and with a lowercase k, shown back formatted and uppercase.
    err = _error(" 12345678k ")
    assert str(err) == "El RUT 12.345.678-K no es válido: el dígito verificador debería ser 5."


def test_wrong_check_digit_when_k_expected():
    err = _error("60.803.000-0")
    assert str(err) == "El RUT 60.803.000-0 no es válido: el dígito verificador debería ser K."
    assert err.expected_check_digit == "K"


def test_invalid_rut_is_a_value_error():
    assert issubclass(InvalidRut, ValueError)


def test_body_range_boundaries():
    assert normalize_rut(f"{MIN_BODY}-{check_digit(MIN_BODY)}") == "1000000-9"
    assert normalize_rut(f"{MAX_BODY}-{check_digit(MAX_BODY)}") == "99999999-9"
    assert not is_valid_rut(f"{MIN_BODY - 1}-{check_digit(MIN_BODY - 1)}")
    assert not is_valid_rut(f"{MAX_BODY + 1}-{check_digit(MAX_BODY + 1)}")


def test_normalize_rejects_non_strings():
    with pytest.raises(TypeError):
        normalize_rut(12345678)


def test_format_rut_rejects_invalid_input():
    with pytest.raises(InvalidRut):
        format_rut("12345678-9")


def test_format_rut_accepts_any_accepted_spelling():
    assert format_rut("123456785") == "12.345.678-5"
    assert format_rut("1000005-k") == "1.000.005-K"


@pytest.mark.parametrize("raw", [None, 12345678, b"12345678-5", ["12345678-5"], "", "12345678-9"])
def test_is_valid_rut_false_for_invalid_or_non_strings(raw):
    assert is_valid_rut(raw) is False


def test_is_valid_rut_true_returns_bool():
    assert is_valid_rut("12.345.678-5") is True


@given(bodies)
def test_check_digit_matches_independent_formulation(body):
    assert check_digit(body) == _oracle_check_digit(body)


@given(bodies)
def test_format_then_normalize_roundtrips(body):
    stored = f"{body}-{check_digit(body)}"
    assert normalize_rut(stored) == stored
    displayed = format_rut(stored)
    assert normalize_rut(displayed) == stored
    assert format_rut(displayed) == displayed
    assert normalize_rut(displayed.replace(".", "").replace("-", "").lower()) == stored


@given(bodies, st.sampled_from("0123456789K"))
def test_any_other_check_digit_is_rejected(body, digit):
    expected = check_digit(body)
    raw = f"{body}-{digit}"
    if digit == expected:
        assert is_valid_rut(raw)
        return
    assert not is_valid_rut(raw)
    err = _error(format_rut(f"{body}-{expected}")[:-1] + digit)
    assert err.code == "check_digit"
    assert err.expected_check_digit == expected


@given(bodies, st.data())
def test_any_single_digit_typo_in_body_is_caught(body, data):
    # Modulo 11 with weights 2–7 detects every single-digit substitution; this is what makes
    # the check digit worth asking for.
    digits = str(body)
    position = data.draw(st.integers(0, len(digits) - 1))
    replacement = data.draw(st.sampled_from([d for d in "0123456789" if d != digits[position]]))
    typo = digits[:position] + replacement + digits[position + 1 :]
    if typo[0] == "0":
        return  # leading zero changes the length, not a typo in the same number
    assert not is_valid_rut(f"{typo}-{check_digit(body)}")


@given(bodies)
def test_adjacent_transposition_in_body_is_caught(body):
    digits = str(body)
    for i in range(len(digits) - 1):
        if digits[i] == digits[i + 1]:
            continue
        swapped = digits[:i] + digits[i + 1] + digits[i] + digits[i + 2 :]
        if swapped[0] == "0":
            continue
        assert not is_valid_rut(f"{swapped}-{check_digit(body)}")
