"""Administration of staff accounts: invite, edit, deactivate, reset passwords."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms import EmailField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from app.domain import accounts, password_links
from app.domain.errors import DomainError
from app.extensions import db
from app.models import Commune, Role, User
from app.web.access import actor, roles
from app.web.labels import ROLE_LABELS

bp = Blueprint("admin", __name__, url_prefix="/admin")

LOCALE_CHOICES = [SelectChoice("es", "Español"), SelectChoice("en", "English")]


class UserForm(FlaskForm):
    email = EmailField(_l("Correo electrónico"), validators=[DataRequired(), Length(max=254)])
    name = StringField(_l("Nombre"), validators=[DataRequired(), Length(max=120)])
    role = SelectField(
        _l("Rol"), choices=[SelectChoice(r.value, label) for r, label in ROLE_LABELS.items()]
    )
    commune = SelectField(_l("Comuna (solo encargados comunales)"), coerce=int, default=0)
    locale = SelectField(_l("Idioma"), choices=LOCALE_CHOICES, default="es")

    def set_communes(self, communes: list[Commune]) -> None:
        self.commune.choices = [SelectChoice(0, "—")] + [
            SelectChoice(c.id, c.name) for c in communes
        ]


def _communes() -> list[Commune]:
    return list(db.session.execute(select(Commune).order_by(Commune.name)).scalars())


def _user_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


@bp.route("/users")
@roles(Role.ADMIN)
def users():
    query = select(User).options(selectinload(User.commune)).order_by(User.role, User.email)
    return render_template(
        "admin/users.html",
        users=db.session.execute(query).scalars().all(),
        role_labels=ROLE_LABELS,
    )


@bp.route("/users/new", methods=["GET", "POST"])
@roles(Role.ADMIN)
def new_user():
    communes = _communes()
    form = UserForm()
    form.set_communes(communes)
    status = 200
    if form.validate_on_submit():
        commune = db.session.get(Commune, form.commune.data) if form.commune.data else None
        try:
            user, _unused = accounts.create_user(
                email=form.email.data,
                name=form.name.data,
                role=Role(form.role.data),
                commune=commune,
                password=None,
                locale=form.locale.data,
                by=actor(),
            )
            # Nobody reads a password out: the new user chooses one from an e-mailed link.
            password_links.spend_current_password(user)
            password_links.send_link(user, "invite", by=actor())
        except DomainError as exc:
            db.session.rollback()
            getattr(form, exc.field or "email").errors.append(exc.message)
            status = exc.status
        else:
            db.session.commit()
            flash(
                _(
                    "Se creó la cuenta de %(name)s y se envió una invitación a %(email)s para "
                    "elegir su contraseña (vence en 7 días).",
                    name=user.name,
                    email=user.email,
                ),
                "success",
            )
            return redirect(url_for("admin.users"), code=303)
    elif request.method == "POST":
        status = 400
    return render_template("admin/user_form.html", form=form, user=None), status


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@roles(Role.ADMIN)
def edit_user(user_id: int):
    user = _user_or_404(user_id)
    form = UserForm(obj=None if request.method == "POST" else user)
    form.set_communes(_communes())
    if request.method == "GET":
        form.role.data = user.role.value
        form.commune.data = user.commune_id or 0
    status = 200
    if form.validate_on_submit():
        commune = db.session.get(Commune, form.commune.data) if form.commune.data else None
        try:
            accounts.update_user(
                user,
                name=form.name.data,
                role=Role(form.role.data),
                commune=commune,
                locale=form.locale.data,
                by=actor(),
            )
        except DomainError as exc:
            db.session.rollback()
            form.role.errors.append(exc.message)
            status = exc.status
        else:
            db.session.commit()
            flash(_("Usuario actualizado."), "success")
            return redirect(url_for("admin.users"))
    elif request.method == "POST":
        status = 400
    return render_template("admin/user_form.html", form=form, user=user), status


def _confirm(user: User, *, title: str, explanation: str, action: str, button: str):
    """A second step before an action that locks someone out: nothing changes until the
    administrator confirms on this page."""
    return render_template(
        "admin/confirm.html",
        user=user,
        title=title,
        explanation=explanation,
        action=action,
        button=button,
    )


@bp.route("/users/<int:user_id>/deactivate", methods=["POST"])
@roles(Role.ADMIN)
def deactivate_user(user_id: int):
    user = _user_or_404(user_id)
    if request.form.get("confirmed") != "1":
        return _confirm(
            user,
            title=_("¿Desactivar a %(name)s?", name=user.name),
            explanation=_(
                "%(name)s no podrá entrar a Vitrina y sus sesiones abiertas se cerrarán. "
                "Puede reactivarlo después.",
                name=user.name,
            ),
            action=url_for("admin.deactivate_user", user_id=user.id),
            button=_("Sí, desactivar"),
        )
    accounts.set_active(user, False, by=actor())
    db.session.commit()
    flash(
        _("Se desactivó a %(name)s; sus sesiones abiertas se cerraron.", name=user.name), "success"
    )
    return redirect(url_for("admin.users"))


@bp.route("/users/<int:user_id>/activate", methods=["POST"])
@roles(Role.ADMIN)
def activate_user(user_id: int):
    user = _user_or_404(user_id)
    accounts.set_active(user, True, by=actor())
    db.session.commit()
    flash(_("Se reactivó a %(name)s.", name=user.name), "success")
    return redirect(url_for("admin.users"))


@bp.route("/users/<int:user_id>/reset-password", methods=["POST"])
@roles(Role.ADMIN)
def reset_password(user_id: int):
    user = _user_or_404(user_id)
    if request.form.get("confirmed") != "1":
        return _confirm(
            user,
            title=_("¿Restablecer la contraseña de %(name)s?", name=user.name),
            explanation=_(
                "Su contraseña actual dejará de servir y sus sesiones se cerrarán; le llegará a "
                "%(email)s un enlace para elegir una nueva.",
                email=user.email,
            ),
            action=url_for("admin.reset_password", user_id=user.id),
            button=_("Sí, restablecer"),
        )
    accounts.reset_password(user, by=actor())  # the old password and sessions stop working
    password_links.spend_current_password(user)
    password_links.send_link(user, "reset", by=actor())
    db.session.commit()
    flash(
        _(
            "La contraseña de %(name)s dejó de servir y sus sesiones se cerraron; se envió a "
            "%(email)s un enlace para elegir una nueva (vence en una hora).",
            name=user.name,
            email=user.email,
        ),
        "success",
    )
    return redirect(url_for("admin.users"), code=303)
