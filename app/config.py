"""Settings read from the environment, one class per deployment kind."""

import os
from datetime import timedelta
from pathlib import Path

from app.clock import parse_instant

INSTANCE_DIR = Path(__file__).resolve().parent.parent / "instance"
DEFAULT_SECRET = "dev-only-not-secret"  # noqa: S105 - production refuses to start with it


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def database_url() -> str:
    url = os.environ.get("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'vitrina.db'}")
    # Heroku-style URLs say postgres://; SQLAlchemy wants a driver name.
    if url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgres://")
    elif url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


def public_base_url() -> str:
    """Where people reach this server: links in mail, QR codes and calendar feeds point here.
    PUBLIC_BASE_URL when set; else the local server on PORT (what `make run` serves on)."""
    url = os.environ.get("PUBLIC_BASE_URL", "").strip()
    if url:
        return url.rstrip("/")
    port = os.environ.get("PORT", "").strip()
    return f"http://127.0.0.1:{port if port.isdigit() else '5000'}"


class Config:
    ENV_NAME = "development"
    SECRET_KEY = os.environ.get("SECRET_KEY", DEFAULT_SECRET)
    SQLALCHEMY_DATABASE_URI = database_url()
    # PostgreSQL connections idle in the pool longer than this are pinged before use
    # (app/database.py); busy ones are not, which saves a round trip per request.
    DB_PING_AFTER_IDLE = float(os.environ.get("DB_PING_AFTER_IDLE", "10"))
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE")
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE")
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)
    WTF_CSRF_TIME_LIMIT = None  # tied to the session instead; a form left open all day still posts
    BABEL_DEFAULT_LOCALE = "es_CL"
    BABEL_DEFAULT_TIMEZONE = "America/Santiago"
    LANGUAGES = ("es", "en")
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = True
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "10 per minute;50 per hour")
    # "¿Olvidó su contraseña?" and the links' password form, per client address.
    PASSWORD_LINK_RATE_LIMIT = os.environ.get(
        "PASSWORD_LINK_RATE_LIMIT", "5 per minute;20 per hour"
    )
    # Per signed-in user: each attempt checks the current password, so it is a guessing game too.
    PASSWORD_RATE_LIMIT = os.environ.get("PASSWORD_RATE_LIMIT", "5 per minute;20 per hour")
    # Request bodies: no form of the app comes near 1 MB; a CSV import may be up to 5 MB
    # (app/domain/csv_import.py), sent from its own page with room for the multipart framing.
    MAX_CONTENT_LENGTH = 1024 * 1024
    MAX_FORM_MEMORY_SIZE = MAX_CONTENT_LENGTH  # one limit to name in the refusal (413)
    MAX_UPLOAD_LENGTH = 10 * 1024 * 1024
    PUBLIC_BASE_URL = public_base_url()
    VENUE_TIMEZONE = "America/Santiago"
    # Seconds a process trusts its last read of the data version when answering feed
    # revalidations (feeds declare max-age=900 anyway). 0 reads it on every request.
    FEED_VERSION_TTL = float(os.environ.get("FEED_VERSION_TTL", "2"))
    # Outgoing mail, with Flask-Mail's setting names. Without MAIL_SERVER nothing is sent:
    # messages are kept in the outbox and shown to administrators (/admin/mail).
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USE_TLS = _bool("MAIL_USE_TLS")
    MAIL_USE_SSL = _bool("MAIL_USE_SSL")
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME", "")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD", "")
    MAIL_DEFAULT_SENDER = os.environ.get(
        "MAIL_DEFAULT_SENDER", "Vitrina <no-responder@vitrina.example>"
    )
    # Seconds a process trusts its note of when the next week's state falls due (app/web/due.py)
    # against changes made by other processes; its own changes are seen at once.
    DUE_RECHECK_SECONDS = float(os.environ.get("DUE_RECHECK_SECONDS", "60"))
    # Runs the app as if it were this instant ("2027-01-05" or an ISO date-time): for demos,
    # training and tests, never in production.
    FIXED_NOW = (
        parse_instant(os.environ["VITRINA_FIXED_NOW"])
        if os.environ.get("VITRINA_FIXED_NOW")
        else None
    )


class ProductionConfig(Config):
    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", True)
    REMEMBER_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", True)
    FIXED_NOW = None  # production always runs on the real clock


class TestConfig(Config):
    ENV_NAME = "test"
    TESTING = True
    WTF_CSRF_ENABLED = True
    RATELIMIT_STORAGE_URI = "memory://"
    # argon2 at full cost makes every login in the tests slow without testing anything more.
    PASSWORD_HASH_FAST = True
    FEED_VERSION_TTL = 0  # tests change data and refetch at once
    PUBLIC_BASE_URL = "http://127.0.0.1:5000"  # whatever PORT the machine running them has


def config_from_env() -> type[Config]:
    return ProductionConfig if os.environ.get("VITRINA_ENV") == "production" else Config
