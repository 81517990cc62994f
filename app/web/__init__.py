"""Blueprints and the one place where errors become HTTP responses."""

from __future__ import annotations

import functools
import logging

from flask import Flask, flash, g, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import HTTPException

from app.domain.errors import DomainError
from app.extensions import csrf, db, login_manager
from app.web.access import open_with_temporary_password
from app.web.htmx import is_htmx

log = logging.getLogger(__name__)

_TITLES = {
    400: _l("Solicitud no válida"),
    403: _l("Acceso denegado"),
    404: _l("No encontrado"),
    405: _l("Método no permitido"),
    409: _l("Conflicto"),
    413: _l("Envío demasiado grande"),
    429: _l("Demasiados intentos"),
    500: _l("Error interno"),
    503: _l("Servicio no disponible"),
}

# Routes that take a file: their bodies may reach MAX_UPLOAD_LENGTH instead of MAX_CONTENT_LENGTH.
UPLOAD_ENDPOINTS = frozenset({"registry.import_upload"})
# The database cannot be reached or stopped answering (server down, connection dropped, pool
# exhausted): nothing the user did, and worth trying again shortly.
UNAVAILABLE = (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError)
# A value the database cannot hold (a number beyond its column, an impossible date) that got
# past the parsing of some form: the request is at fault, not the server.
OUT_OF_RANGE = (sa_exc.DataError, OverflowError)


def _rollback_quietly() -> None:
    """Ends the request's transaction, whatever state it is in: an error page must not fail
    on a connection that died or a transaction PostgreSQL already aborted."""
    try:
        db.session.rollback()  # never a half-written change
    except sa_exc.SQLAlchemyError:
        log.warning("rollback failed while answering an error", exc_info=True)
        try:
            db.session().invalidate()  # the connection is discarded, not returned to the pool
        except sa_exc.SQLAlchemyError:
            log.warning("could not discard the connection", exc_info=True)


def _user_for_error_page() -> None:
    """Loads who is asking, for the page's header (the rollback expired what was loaded); when
    that needs a database that is gone, the page is shown as to a visitor instead of failing a
    second time."""
    try:
        user = current_user._get_current_object()
        if user.is_authenticated:
            user.name  # noqa: B018 - reloads the row now, where a failure can be caught
    except sa_exc.SQLAlchemyError:
        _rollback_quietly()
        g._login_user = login_manager.anonymous_user()


def _settle_for_error_page() -> None:
    _rollback_quietly()
    _user_for_error_page()


def _settled(handler):
    """An error handler that runs with the request's transaction ended and the user loaded:
    translating its message asks for the user's language, and after a failed flush or with the
    database gone, reading the user would raise again inside the handler."""

    @functools.wraps(handler)
    def settled(exc):
        _settle_for_error_page()
        return handler(exc)

    return settled


# Forms people send while signed out: a bad token there is not an expired session.
_SIGNED_OUT_FORMS = frozenset(
    {"auth.login", "auth.language", "account_links.forgot", "account_links.choose"}
)


def render_error(status: int, message: str):
    _settle_for_error_page()
    if request.path.startswith("/api/"):
        from app.web.api import problem

        return problem(status, message), status
    if request.accept_mimetypes.best == "application/json":
        return jsonify(error=message, status=status), status
    template = "errors/_message.html" if is_htmx() else "errors/error.html"
    title = str(_TITLES.get(status, "Error"))
    return render_template(template, status=status, title=title, message=message), status


def register_blueprints(app: Flask) -> None:
    from app.web import (
        account_links,
        admin,
        api,
        api_tokens,
        audit,
        auth,
        calendars,
        front,
        health,
        inbox,
        labels,
        mail,
        main,
        nominations,
        params,
        registry,
        reports,
        review,
        rotation,
        showcase,
        stands,
    )

    params.init_app(app)  # first: routes bind their converters when they are added
    labels.init_app(app)

    registry.init_app(app)

    for module in (
        auth,
        account_links,
        main,
        admin,
        health,
        rotation,
        registry,
        calendars,
        nominations,
        audit,
        stands,
        review,
        showcase,
        mail,
        inbox,
        reports,
        api,
        api_tokens,
    ):
        app.register_blueprint(module.bp)
    csrf.exempt(api.bp)  # Bearer tokens only, never the session cookie: nothing to forge
    front.init_app(app)  # visitors' public pages and feeds, kept whole, answered before Flask
    health.init_app(app)  # GET /healthz and /healthz/live are answered in front of Flask

    @app.url_value_preprocessor
    def allow_uploads(endpoint: str | None, _values) -> None:
        # Runs before every before_request hook, CSRF's among them, which reads the body: the
        # larger limit must be in place by then. Everything else keeps MAX_CONTENT_LENGTH.
        if endpoint in UPLOAD_ENDPOINTS:
            request.max_content_length = app.config["MAX_UPLOAD_LENGTH"]

    @app.before_request
    def refuse_nul_characters():
        # PostgreSQL text cannot hold a NUL character (SQLite can): one in a URL or a form
        # would reach the driver and end as a 500. No field of this app can contain one.
        # A NUL reaches a query string only written as %00 (or sent raw): a query string
        # without either is not parsed here (most requests have none at all).
        query = request.query_string
        fields = request.args.items(multi=True) if b"%00" in query or b"\x00" in query else ()
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            fields = [
                *fields,
                *request.form.items(multi=True),
                *(
                    (name, upload.filename or "")
                    for name, upload in request.files.items(multi=True)
                ),
            ]
        if "\x00" in request.path or any("\x00" in value for _, value in fields):
            return render_error(400, _("La solicitud contiene caracteres no válidos."))
        return None

    @app.before_request
    def require_new_password():
        # Checked on every request, not only at login: a temporary password (issued by an
        # administrator, who has seen it) opens nothing but the page to replace it.
        endpoint = request.endpoint
        if endpoint is None or open_with_temporary_password(endpoint, app.view_functions[endpoint]):
            return None
        user = current_user._get_current_object()  # one proxy lookup, not two
        if not user.is_authenticated or not user.must_change_password:
            return None
        if request.method == "GET" and not is_htmx():
            flash(_("Elija una contraseña nueva para continuar."), "info")
            return redirect(url_for("auth.password"))
        return render_error(403, _("Cambie su contraseña temporal antes de continuar."))

    from app.web import due, session_expiry

    due.init_app(app)
    session_expiry.init_app(app)  # after the NUL check: a bad request is refused before any write

    @app.errorhandler(DomainError)
    @_settled
    def domain_error(exc: DomainError):
        return render_error(exc.status, exc.message)

    @app.errorhandler(CSRFError)
    @_settled
    def csrf_error(exc: CSRFError):
        if not current_user.is_authenticated and request.endpoint not in _SIGNED_OUT_FORMS:
            # The session (and its token) is gone: sign in again, keeping what was typed.
            return session_expiry.expired()
        return render_error(
            400, _("El formulario expiró o no es válido. Recargue la página e intente de nuevo.")
        )

    @app.errorhandler(HTTPException)
    @_settled
    def http_error(exc: HTTPException):
        messages = {
            403: _("No tiene permiso para ver esta página."),
            404: _("La página que busca no existe."),
            405: _("Esta acción no se puede realizar de esa forma."),
            413: _("El archivo pesa más de 5 MB. Divídalo en partes más pequeñas.")
            if request.endpoint in UPLOAD_ENDPOINTS
            else _(
                "Lo que envió es demasiado grande (el máximo es %(mb)d MB).",
                mb=(request.max_content_length or 0) // (1024 * 1024),
            ),
            429: _("Demasiados intentos. Espere un momento y vuelva a intentarlo."),
        }
        status = exc.code or 500
        return render_error(status, messages.get(status, _("La solicitud no es válida.")))

    @_settled
    def database_unavailable(exc: Exception):
        log.error(
            "database unavailable on %s %s: %s",
            request.method,
            request.path,
            exc.__class__.__name__,
        )
        response, status = render_error(
            503,
            _("El servicio no está disponible en este momento. Intente de nuevo en unos minutos."),
        )
        response = app.make_response((response, status))
        response.headers["Retry-After"] = "30"
        return response

    @_settled
    def out_of_range(exc: Exception):
        # A backstop: the forms and URL converters refuse such values first (app/web/params.py).
        log.warning("value out of range on %s %s", request.method, request.path, exc_info=True)
        return render_error(400, _("Un valor de la solicitud está fuera del rango permitido."))

    for error in UNAVAILABLE:
        app.register_error_handler(error, database_unavailable)
    for error in OUT_OF_RANGE:
        app.register_error_handler(error, out_of_range)

    @app.errorhandler(Exception)
    @_settled
    def unexpected(exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.path)
        return render_error(500, _("Ocurrió un error inesperado. Intente de nuevo más tarde."))
