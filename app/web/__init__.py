"""Blueprints and the one place where errors become HTTP responses."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from app.domain.errors import DomainError
from app.extensions import db
from app.web.htmx import is_htmx

log = logging.getLogger(__name__)

_TITLES = {
    400: _l("Solicitud no válida"),
    403: _l("Acceso denegado"),
    404: _l("No encontrado"),
    405: _l("Método no permitido"),
    409: _l("Conflicto"),
    429: _l("Demasiados intentos"),
    500: _l("Error interno"),
}


def render_error(status: int, message: str):
    db.session.rollback()  # never a half-written change
    if request.accept_mimetypes.best == "application/json" or request.path.startswith("/api/"):
        return jsonify(error=message, status=status), status
    template = "errors/_message.html" if is_htmx() else "errors/error.html"
    title = str(_TITLES.get(status, "Error"))
    return render_template(template, status=status, title=title, message=message), status


def register_blueprints(app: Flask) -> None:
    from app.web import (
        account_links,
        admin,
        audit,
        auth,
        calendars,
        health,
        labels,
        mail,
        main,
        nominations,
        registry,
        review,
        rotation,
        showcase,
        stands,
    )

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
    ):
        app.register_blueprint(module.bp)

    @app.before_request
    def refuse_nul_characters():
        # PostgreSQL text cannot hold a NUL character (SQLite can): one in a URL or a form
        # would reach the driver and end as a 500. No field of this app can contain one.
        fields = request.args.items(multi=True)
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            fields = [*fields, *request.form.items(multi=True)]
        if "\x00" in request.path or any("\x00" in value for _, value in fields):
            return render_error(400, _("La solicitud contiene caracteres no válidos."))
        return None

    from app.web import due

    due.init_app(app)  # after the NUL check: a bad request is refused before any write

    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError):
        return render_error(exc.status, exc.message)

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        return render_error(
            400, _("El formulario expiró o no es válido. Recargue la página e intente de nuevo.")
        )

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        messages = {
            403: _("No tiene permiso para ver esta página."),
            404: _("La página que busca no existe."),
            405: _("Esta acción no se puede realizar de esa forma."),
            429: _("Demasiados intentos. Espere un momento y vuelva a intentarlo."),
        }
        status = exc.code or 500
        return render_error(status, messages.get(status, _("La solicitud no es válida.")))

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.path)
        return render_error(500, _("Ocurrió un error inesperado. Intente de nuevo más tarde."))
