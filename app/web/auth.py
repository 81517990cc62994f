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
from flask_wtf.csrf import CSRFError
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, EqualTo, Length

from app.domain import accounts
from app.domain.errors import Invalid
from app.extensions import csrf, db, limiter
from app.i18n import LANG_COOKIE, LOCALES
from app.web import session_expiry
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
    kept = session_expiry.kept_across_login()  # a form sent as the old session expired
    session.clear()
    g.pop("csrf_token", None)  # Flask-WTF's copy of this request's token
    login_user(user)
    session_expiry.restore_after_login(kept, user)


@bp.route("/login", methods=["GET", "POST"])
@public
@limiter.limit(_login_limit, methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = accounts.authenticate(form.email.data, form.password.data)
        except accounts.AccountInactive as exc:
            form.password.errors.append(exc.message)
            return render_template("auth/login.html", form=form), 403
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


def _sent_from_another_site() -> bool:
    """Where the browser says this form was submitted from: Sec-Fetch-Site in current browsers,
    Origin in older ones (both are set by the browser, never by a page's script). A request
    with neither does not come from a browser's cross-site form."""
    site = request.headers.get("Sec-Fetch-Site")
    if site:
        return site not in ("same-origin", "none")  # "none": typed or bookmarked
    origin = request.headers.get("Origin")
    if not origin:
        return False
    ours = {request.host, urlsplit(current_app.config["PUBLIC_BASE_URL"]).netloc}
    return urlsplit(origin).netloc not in ours


@bp.route("/language/<lang>", methods=["POST"])
@public
@csrf.exempt
def language(lang: str):
    # A state change like any other, so a POST protected against cross-site requests. A
    # signed-in user's form carries the session's CSRF token. Visitors' pages carry none on
    # purpose: a token needs a session cookie, and a shared cache could no longer keep the
    # public pages (app/web/page_cache.py); for them the browser's own word on where the form
    # came from stands in for the token.
    if current_app.config.get("WTF_CSRF_ENABLED", True):
        if current_user.is_authenticated:
            csrf.protect()
        elif _sent_from_another_site():
            raise CSRFError("The form was sent from another site.")
    if lang not in LOCALES:
        return redirect(url_for("main.home"))
    if current_user.is_authenticated:
        current_user.locale = lang
        db.session.commit()
    response = redirect(safe_next(request.form.get("next")) or url_for("main.home"))
    response.set_cookie(LANG_COOKIE, lang, max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
    return response
