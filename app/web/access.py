"""Who may use which route: every view declares it, and the access-matrix test reads it."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort
from flask_login import current_user, login_required

from app.models import Role

EVERYONE = frozenset({"anonymous", *(r.value for r in Role)})
STAFF = frozenset(r.value for r in Role)


# What a user whose password is temporary may still use: the page to change it, signing out,
# and what visitors see. The home page is @public only to send visitors on to the showcase;
# a signed-in user's home is the staff dashboard, so it is not among them.
_OPEN_WITH_TEMPORARY_PASSWORD = frozenset({"auth.password", "auth.logout", "static"})


def open_with_temporary_password(endpoint: str, view: Callable | None) -> bool:
    if endpoint in _OPEN_WITH_TEMPORARY_PASSWORD:
        return True
    return endpoint != "main.home" and getattr(view, "access", None) == EVERYONE


def public(view: Callable) -> Callable:
    view.access = EVERYONE  # type: ignore[attr-defined]
    return view


def roles(*allowed: Role) -> Callable[[Callable], Callable]:
    """Logged-in users whose role is listed; others get 403, anonymous users the login page."""
    names = frozenset(r.value for r in allowed)

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any):
            if current_user.role.value not in names:
                abort(403)
            return view(*args, **kwargs)

        wrapped.access = names  # type: ignore[attr-defined]
        return wrapped

    return decorator


def staff(view: Callable) -> Callable:
    return roles(*Role)(view)


def actor():
    """The signed-in User itself (not the proxy): domain functions take models."""
    return current_user._get_current_object()
