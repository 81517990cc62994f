"""The account page for personal API tokens: create one (its secret shown once), revoke."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import Length

from app.domain import api_tokens
from app.domain.errors import DomainError
from app.extensions import db
from app.web import actions
from app.web.access import actor, staff

bp = Blueprint("api_tokens", __name__, url_prefix="/account/tokens")


class TokenForm(FlaskForm):
    name = StringField(_l("Nombre del token"), validators=[Length(max=api_tokens.MAX_NAME)])


def _page(form: TokenForm, *, secret: str | None = None, status: int = 200):
    return render_template(
        "account/tokens.html",
        form=form,
        tokens=api_tokens.tokens_of(actor()),
        secret=secret,
    ), status


@bp.route("/", methods=["GET", "POST"])
@staff
def index():
    form = TokenForm()
    if request.method == "GET":
        return _page(form)
    if not form.validate_on_submit():
        return _page(form, status=400)

    def refused(exc: DomainError):
        form.name.errors.append(exc.message)
        return _page(form, status=exc.status)

    # Rendered, not redirected: the secret must not travel through the session's flash messages.
    return actions.run(
        lambda: api_tokens.issue(actor(), name=form.name.data or ""),
        done=lambda issued: _page(TokenForm(formdata=None), secret=issued[1], status=201),
        refused=refused,
    )


@bp.route("/<int:token_id>/revoke", methods=["POST"])
@staff
def revoke(token_id: int):
    if not FlaskForm().validate_on_submit():
        flash(_("El formulario expiró. Recargue la página e intente de nuevo."), "error")
        return redirect(url_for("api_tokens.index"))
    row = api_tokens.revoke(actor(), token_id)
    db.session.commit()
    flash(_("Se revocó el token «%(name)s»: deja de funcionar ahora.", name=row.name), "success")
    return redirect(url_for("api_tokens.index"), code=303)
