"""Staff accounts and their roles."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, CheckConstraint, Enum, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.communes import Commune
from app.models.types import UTCDateTime, utcnow


class Role(enum.StrEnum):
    ADMIN = "admin"
    COORDINATOR = "coordinator"  # mall staff: approve nominations, assign stands
    OFFICER = "officer"  # a commune's officer: registry and nominations of one commune
    VIEWER = "viewer"  # provincial board: reads everything, changes nothing


def enum_column(enum_cls: type[enum.Enum], length: int = 20) -> Enum:
    # VARCHAR + CHECK instead of a native PostgreSQL enum: identical on SQLite and PostgreSQL and
    # a new state is a one-line migration.
    return Enum(
        enum_cls,
        native_enum=False,
        create_constraint=True,
        length=length,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )


class User(UserMixin, db.Model):
    __tablename__ = "user_account"
    __table_args__ = (
        # An officer is bound to exactly one commune; nobody else is bound to any.
        CheckConstraint(
            "(role = 'officer' AND commune_id IS NOT NULL)"
            " OR (role <> 'officer' AND commune_id IS NULL)",
            name="officer_has_commune",
        ),
        CheckConstraint("email = lower(email)", name="email_lowercase"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(enum_column(Role))
    commune_id: Mapped[int | None] = mapped_column(ForeignKey("commune.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    locale: Mapped[str] = mapped_column(String(10), default="es")
    # Bumped on logout, password change and deactivation: every signed session cookie that
    # carries an older value stops working (Flask's cookie sessions cannot be revoked otherwise).
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The sign-in before this one: the home page lists what changed since then.
    previous_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    commune: Mapped[Commune | None] = relationship()

    # Unread notices in the inbox: not a column, filled by the sign-in lookup (app/security.py)
    # that loads the user for each request.
    inbox_unread = 0

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    @property
    def is_officer(self) -> bool:
        return self.role is Role.OFFICER

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"
