"""Choosing a password from a link sent by e-mail: "¿Olvidó su contraseña?" and invitations."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import logout_user
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length

from app.domain import accounts, password_links
from app.domain.errors import Invalid
from app.extensions import db, limiter
from app.web.access import public

bp = Blueprint("account_links", __name__, url_prefix="/password")


class ForgotForm(FlaskForm):
    email = EmailField(_l("Correo electrónico"), validators=[DataRequired(), Length(max=254)])


class ChooseForm(FlaskForm):
    new = PasswordField(
        _l("Nueva contraseña"),
        validators=[DataRequired(), Length(min=accounts.MIN_PASSWORD_LENGTH, max=256)],
    )
    repeated = PasswordField(_l("Repita la nueva contraseña"), validators=[DataRequired()])


def _link_limit() -> str:
    return current_app.config["PASSWORD_LINK_RATE_LIMIT"]


@bp.route("/forgot", methods=["GET", "POST"])
@public
@limiter.limit(_link_limit, methods=["POST"])
def forgot():
    form = ForgotForm()
    if form.validate_on_submit():
        password_links.request_reset(form.email.data)
        db.session.commit()
        # The same answer whether or not the address has an account: nobody learns who does.
        flash(
            _(
                "Si %(email)s tiene una cuenta activa, le enviamos un enlace para elegir una "
                "contraseña nueva. Vence en una hora.",
                email=form.email.data.strip(),
            ),
            "success",
        )
        return redirect(url_for("auth.login"), code=303)
    status = 400 if request.method == "POST" else 200
    return render_template("auth/forgot.html", form=form), status


@bp.route("/set/<token>", methods=["GET", "POST"])
@public
@limiter.limit(_link_limit, methods=["POST"])
def choose(token: str):
    try:
        user, purpose = password_links.user_for(token)
    except Invalid as exc:
        return render_template("auth/link_invalid.html", message=exc.message), 400
    form = ChooseForm()
    status = 200
    if form.validate_on_submit():
        try:
            password_links.set_password(token, form.new.data, form.repeated.data)
        except Invalid as exc:
            db.session.rollback()
            getattr(form, exc.field or "new").errors.append(exc.message)
            status = 400
        else:
            db.session.commit()
            logout_user()  # whoever was signed in on this browser: the owner signs in now
            flash(_("Contraseña guardada. Ya puede entrar con ella."), "success")
            return redirect(url_for("auth.login"), code=303)
    elif request.method == "POST":
        status = 400
    return render_template("auth/choose.html", form=form, user=user, purpose=purpose), status
