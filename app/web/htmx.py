"""The little a view needs to know about htmx 4 requests (flask-htmx targets htmx 2)."""

from flask import request


def is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


def is_partial() -> bool:
    """An htmx request that swaps a fragment (not a boosted full-page navigation)."""
    return is_htmx() and request.headers.get("HX-Request-Type", "partial") == "partial"


def pick(full: str, fragment: str) -> str:
    return fragment if is_partial() else full
