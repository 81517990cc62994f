"""Staff accounts: creating, authenticating, changing passwords, deactivating."""

from __future__ import annotations

import secrets

from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from sqlalchemy import func, select

from app import security
from app.domain import audit
from app.domain.errors import Conflict, Invalid, NotAllowed
from app.extensions import db
from app.models import Commune, Role, User
from app.models.types import utcnow

MIN_PASSWORD_LENGTH = 10
# Verified when the email is unknown, so a wrong email costs as long as a wrong password.
_DUMMY_HASH = security.DEFAULT_HASHER.hash("vitrina-timing-equaliser")
_hasher = security.password_hasher  # the app's setting, read by the security layer


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid(
            _("La contraseña debe tener al menos %(n)d caracteres.", n=MIN_PASSWORD_LENGTH)
        )


def normalize_email(raw: str) -> str:
    try:
        info = validate_email(raw.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise Invalid(
            _("El correo «%(email)s» no es válido.", email=raw.strip()), field="email"
        ) from exc
    return info.normalized.lower()


class AccountInactive(NotAllowed):
    """The email and password are right but an administrator deactivated the account."""


def authenticate(email: str, password: str) -> User | None:
    """The active user with this email and password, or None; rehashes outdated hashes.

    Raises AccountInactive when the password is right but the account is deactivated: only
    someone who knows the password learns that (the account's existence stays private)."""
    try:
        address = normalize_email(email)
    except Invalid:
        address = None
    user = (
        db.session.execute(select(User).where(User.email == address)).scalar_one_or_none()
        if address
        else None
    )
    hasher = _hasher()
    try:
        hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None:
        return None
    if not user.active:
        raise AccountInactive(
            _(
                "Su cuenta está desactivada. Si necesita entrar, pida a un administrador de "
                "Vitrina que la reactive."
            )
        )
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    user.previous_login_at = user.last_login_at
    user.last_login_at = utcnow()
    return user


def create_user(
    *,
    email: str,
    name: str,
    role: Role,
    commune: Commune | None = None,
    password: str | None = None,
    by: User | None,
    locale: str = "es",
) -> tuple[User, str]:
    """Creates an account; returns it with its initial password (generated when not given).

    A generated password must be changed at first login.
    """
    address = normalize_email(email)
    name = name.strip()
    if not name:
        raise Invalid(_("El nombre es obligatorio."), field="name")
    if role is Role.OFFICER and commune is None:
        raise Invalid(_("Un encargado comunal debe tener una comuna."), field="commune")
    if role is not Role.OFFICER and commune is not None:
        raise Invalid(_("Solo los encargados comunales tienen comuna."), field="commune")
    exists = db.session.execute(select(func.count()).where(User.email == address)).scalar_one()
    if exists:
        raise Conflict(
            _("Ya existe un usuario con el correo %(email)s.", email=address), field="email"
        )
    generated = password is None
    if password is None:
        password = secrets.token_urlsafe(12)
    try:
        check_password_strength(password)
    except Invalid as exc:
        exc.field = "password"
        raise
    user = User(
        email=address,
        name=name,
        role=role,
        commune=commune,
        password_hash=hash_password(password),
        locale=locale,
        must_change_password=generated,
        active=True,
        session_version=1,
    )
    db.session.add(user)
    db.session.flush()
    audit.record(
        "user.create",
        user,
        actor=by,
        after={"role": role.value, "commune_id": commune.id if commune else None},
        commune_id=commune.id if commune else None,
    )
    return user, password


def change_password(user: User, *, current: str, new: str) -> None:
    try:
        _hasher().verify(user.password_hash, current)
    except (VerificationError, InvalidHashError) as exc:
        raise Invalid(_("La contraseña actual no es correcta."), field="current") from exc
    if new == current:
        raise Invalid(_("La nueva contraseña debe ser distinta de la actual."))
    check_password_strength(new)
    user.password_hash = hash_password(new)
    user.must_change_password = False
    user.session_version += 1  # other open sessions end; the caller logs this one in again
    audit.record("user.change_password", user, actor=user)


def reset_password(user: User, *, by: User) -> str:
    """Sets a new random password the user must change at next login; ends their sessions."""
    if not by.is_admin:
        raise NotAllowed(_("Solo un administrador puede restablecer contraseñas."))
    password = secrets.token_urlsafe(12)
    user.password_hash = hash_password(password)
    user.must_change_password = True
    user.session_version += 1
    audit.record("user.reset_password", user, actor=by)
    return password


def set_active(user: User, active: bool, *, by: User) -> None:
    if not by.is_admin:
        raise NotAllowed(_("Solo un administrador puede activar o desactivar usuarios."))
    if user.id == by.id and not active:
        raise Conflict(_("No puede desactivar su propia cuenta."))
    if user.active == active:
        return
    user.active = active
    user.session_version += 1
    audit.record(
        "user.activate" if active else "user.deactivate",
        user,
        actor=by,
        before={"active": not active},
        after={"active": active},
    )


def update_user(
    user: User, *, name: str, role: Role, commune: Commune | None, locale: str, by: User
) -> None:
    if not by.is_admin:
        raise NotAllowed(_("Solo un administrador puede editar usuarios."))
    if role is Role.OFFICER and commune is None:
        raise Invalid(_("Un encargado comunal debe tener una comuna."))
    if role is not Role.OFFICER:
        commune = None
    if user.id == by.id and role is not Role.ADMIN:
        raise Conflict(_("No puede quitarse a sí mismo el rol de administrador."))
    before = {"name": user.name, "role": user.role.value, "commune_id": user.commune_id}
    user.name = name.strip() or user.name
    if user.role is not role or user.commune_id != (commune.id if commune else None):
        user.session_version += 1  # a changed role must not linger in an open session
    user.role = role
    user.commune = commune
    user.locale = locale
    db.session.flush()
    audit.record(
        "user.update",
        user,
        actor=by,
        before=before,
        after={"name": user.name, "role": role.value, "commune_id": user.commune_id},
    )


def logout_everywhere(user: User) -> None:
    user.session_version += 1
