"""An expired session never loses what was typed.

A form sent after the session ended (the cookie expired, or the account signed out elsewhere)
leads to the sign-in page and back to the page it came from, with what was typed put back in
the form (static/js/restore-form.js) and a message saying so. An htmx action answers 401 with a
notice in the page's #session-notice, swapped there instead of into its target: the row or list
that was acted on stays as it was, and a link signs in again in another tab.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from flask import Flask, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.web.htmx import is_htmx

KEY = "restore_form"
_MAX_BYTES = 2500  # the session is a cookie (4 KB in all): longer forms get the message only
_NEVER_KEPT = ("csrf_token", "password", "new_password", "current_password", "confirm")


def _page_to_return_to() -> str:
    """The page the person was on (local paths only), else the home page."""
    from app.web.auth import safe_next

    current = request.headers.get("HX-Current-URL") or request.referrer or ""
    parts = urlsplit(current)
    if parts.netloc and parts.netloc != request.host:
        return url_for("main.home")
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return safe_next(path) or url_for("main.home")


def _typed_fields() -> dict[str, list[str]] | None:
    fields: dict[str, list[str]] = {}
    for name, value in request.form.items(multi=True):
        if any(word in name for word in _NEVER_KEPT):
            continue
        fields.setdefault(name, []).append(value)
    if not fields or len(json.dumps(fields)) > _MAX_BYTES:
        return None
    return fields


def expired():
    """The answer to a request whose session is gone."""
    back = _page_to_return_to()
    login_url = url_for("auth.login", next=back)
    if is_htmx():
        html = render_template("errors/_session_expired.html", login_url=login_url)
        return html, 401, {"HX-Retarget": "#session-notice", "HX-Reswap": "innerHTML"}
    if request.method == "GET":
        flash(_("Inicie sesión para continuar."), "info")
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    fields = _typed_fields()
    if fields:
        session[KEY] = {
            "page": urlsplit(back).path,
            "action": request.path,
            "fields": fields,
            # Who was signed in, when the old session still says (a sign-out elsewhere).
            "user": (session.get("_user_id") or "").split(":")[0] or None,
        }
        flash(
            _(
                "Su sesión expiró antes de guardar. Inicie sesión de nuevo: volverá a la "
                "página con lo que escribió, para revisarlo y enviarlo otra vez."
            ),
            "info",
        )
    else:
        flash(
            _("Su sesión expiró y no se guardó nada. Inicie sesión y vuelva a intentarlo."),
            "info",
        )
    return redirect(login_url)


def kept_across_login() -> dict | None:
    """What an expired form left, to carry over the sign-in's fresh session."""
    return session.get(KEY)


def restore_after_login(kept: dict | None, user) -> None:
    """Only for the person who typed it (or when the old session no longer said who): the
    data is only put back in the form for them to review, never sent by itself."""
    if kept and kept.get("user") in (None, str(user.id)):
        session[KEY] = kept


def init_app(app: Flask) -> None:
    @app.before_request
    def put_back_what_was_typed():
        kept = session.get(KEY)
        if (
            kept
            and request.method == "GET"
            and not is_htmx()
            and current_user.is_authenticated
            and request.path == kept.get("page")
        ):
            g.restored_form = session.pop(KEY)
            flash(
                _(
                    "Recuperamos lo que había escrito antes de que expirara la sesión: revíselo "
                    "y envíelo de nuevo."
                ),
                "info",
            )

    @app.context_processor
    def restored_form():
        return {"restored_form": g.get("restored_form")}
