"""Signing in and out, and changing one's own password."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, EqualTo, Length

from app.domain import accounts
from app.domain.errors import Invalid
from app.extensions import csrf, db, limiter
from app.i18n import LANG_COOKIE, LOCALES
from app.web.access import actor, public, staff

bp = Blueprint("auth", __name__)


class LoginForm(FlaskForm):
    email = EmailField(_l("Correo electrónico"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Contraseña"), validators=[DataRequired(), Length(max=256)])


class PasswordForm(FlaskForm):
    current = PasswordField(_l("Contraseña actual"), validators=[DataRequired()])
    new = PasswordField(
        _l("Nueva contraseña"),
        validators=[DataRequired(), Length(min=accounts.MIN_PASSWORD_LENGTH, max=256)],
    )
    confirm = PasswordField(
        _l("Repita la nueva contraseña"),
        validators=[DataRequired(), EqualTo("new", message=_l("Las contraseñas no coinciden."))],
    )


def safe_next(target: str | None) -> str | None:
    """Only a local path: '/x' yes; '//evil', 'https://evil', '/\\evil' no."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(c) < 32 for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _password_limit() -> str:
    return current_app.config["PASSWORD_RATE_LIMIT"]


def _who_changes_password() -> str:
    # Per account, wherever the attempts come from: a stolen session guessing the current
    # password gets as few tries from many addresses as from one.
    if current_user.is_authenticated:
        return f"user:{current_user.id}"
    return get_remote_address()


def _start_session(user) -> None:
    """Signs the user in on a fresh session: nothing set before login (by whoever prepared
    this browser) carries over, and the CSRF token is a new one."""
    session.clear()
    g.pop("csrf_token", None)  # Flask-WTF's copy of this request's token
    login_user(user)


@bp.route("/login", methods=["GET", "POST"])
@public
@limiter.limit(_login_limit, methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        user = accounts.authenticate(form.email.data, form.password.data)
        if user is not None:
            db.session.commit()
            _start_session(user)
            if user.must_change_password:
                flash(_("Elija una contraseña nueva para continuar."), "info")
                return redirect(url_for("auth.password"))
            return redirect(safe_next(request.args.get("next")) or url_for("main.home"))
        form.password.errors.append(_("Correo o contraseña incorrectos."))
        status = 401
    elif request.method == "POST":
        status = 400
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
@staff
def logout():
    accounts.logout_everywhere(actor())
    db.session.commit()
    logout_user()
    flash(_("Sesión cerrada."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@staff
@limiter.limit(_password_limit, methods=["POST"], key_func=_who_changes_password)
def password():
    form = PasswordForm()
    status = 200
    if form.validate_on_submit():
        try:
            accounts.change_password(actor(), current=form.current.data, new=form.new.data)
        except Invalid as exc:
            getattr(form, exc.field or "new").errors.append(exc.message)
            status = 400
        else:
            db.session.commit()
            login_user(actor())  # the session version changed: renew this session's cookie
            flash(_("Contraseña actualizada."), "success")
            return redirect(url_for("main.home"))
    elif request.method == "POST":
        status = 400
    return render_template("auth/password.html", form=form), status


@bp.route("/language/<lang>", methods=["POST"])
@public
@csrf.exempt
def language(lang: str):
    # Anonymous pages carry no CSRF token, so a shared cache may keep them; for a visitor the
    # switch only sets a cookie. A signed-in user's stored preference changes: that needs it.
    if current_user.is_authenticated and current_app.config.get("WTF_CSRF_ENABLED", True):
        csrf.protect()
    if lang not in LOCALES:
        return redirect(url_for("main.home"))
    if current_user.is_authenticated:
        current_user.locale = lang
        db.session.commit()
    response = redirect(safe_next(request.form.get("next")) or url_for("main.home"))
    response.set_cookie(LANG_COOKIE, lang, max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
    return response
