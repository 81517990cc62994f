"""The outbox: messages written in the same transaction as the change that causes them, and
delivered afterwards by the worker, with retries, so none is lost and none is sent twice."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from flask import current_app, render_template
from flask_babel import force_locale
from jinja2 import TemplateNotFound
from sqlalchemy import or_, select, update
from werkzeug.routing import MapAdapter

from app import caches, clock
from app.extensions import db
from app.models import OutboxMessage, OutboxState

log = logging.getLogger(__name__)

# A worker holds a message this long while it talks to the mail server.
LEASE = timedelta(minutes=5)
# Waits between attempts: 1, 2, 4 … minutes, at most an hour; a server down for days still
# gets every message once it is back (nothing is given up for being late).
FIRST_RETRY = timedelta(minutes=1)
LONGEST_WAIT = timedelta(hours=1)


def absolute_url(endpoint: str, **values) -> str:
    """A link for a message: messages are read outside the app, and may be written outside a
    request (the clock's changes, from the worker). Built with a URL adapter bound once to
    PUBLIC_BASE_URL: a bulk approval writing 150 messages builds 150 links, not 150 requests."""
    base = current_app.config["PUBLIC_BASE_URL"]
    adapter = caches.MAIL_URL_ADAPTERS.get_or_build(base, lambda: _adapter(base))
    return adapter.build(endpoint, values, force_external=True)


def _adapter(base: str) -> MapAdapter:
    parts = urlsplit(base)
    return current_app.url_map.bind(
        parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme or "http"
    )


@dataclass(frozen=True)
class Rendered:
    """A message as its reader sees it, in their language."""

    subject: str
    sentence: str  # the one line that says what happened (the inbox shows it)
    text: str
    html: str


def render(template: str, context: dict, locale: str) -> Rendered:
    """Renders now, in the reader's language: what they read is what happened."""
    with force_locale(locale):
        sentence = ""
        if _has_template(f"mail/{template}.sentence.txt"):
            # The message's main sentence, as plain text: the text part shows it as is and
            # the HTML part escapes it like any other value.
            sentence = render_template(f"mail/{template}.sentence.txt", **context).strip()
            context = {**context, "sentence": sentence}
        # A long business name must not make the change that sends this fail (column: 300).
        subject = render_template(f"mail/{template}.subject.txt", **context).strip()[:300]
        text = render_template(f"mail/{template}.txt", **context)
        html = render_template(f"mail/{template}.html", subject=subject, **context)
    return Rendered(subject, sentence, text, html)


def is_queued(key: str) -> bool:
    return (
        db.session.execute(
            select(OutboxMessage.id).where(OutboxMessage.key == key)
        ).scalar_one_or_none()
        is not None
    )


def enqueue(
    *,
    key: str,
    recipient: str,
    locale: str,
    template: str | None = None,
    context: dict | None = None,
    rendered: Rendered | None = None,
    due_at: datetime | None = None,
    calendar: bytes | None = None,
    calendar_method: str | None = None,
) -> OutboxMessage | None:
    """Queues a message unless one with this key is queued already (the same change told
    twice). Give the template and its context, or a message rendered already."""
    if is_queued(key):
        return None
    if rendered is None:
        assert template is not None and context is not None
        rendered = render(template, context, locale)
    message = OutboxMessage(
        key=key,
        recipient=recipient,
        locale=locale,
        subject=rendered.subject,
        body_text=rendered.text,
        body_html=rendered.html,
        state=OutboxState.PENDING,
        due_at=due_at or clock.now_utc(),
        calendar=calendar.decode() if calendar else None,
        calendar_method=calendar_method,
    )
    db.session.add(message)
    return message


def _has_template(name: str) -> bool:
    try:
        current_app.jinja_env.get_template(name)  # cached after the first look
    except TemplateNotFound:
        return False
    return True


@dataclass
class Delivery:
    sent: int = 0
    retried: int = 0
    failed: int = 0


class PermanentFailure(Exception):
    """The server refused this message for good (a 5xx reply, e.g. no such mailbox)."""


def deliver_due(send: Callable[[OutboxMessage], None], *, limit: int = 50) -> Delivery:
    """Sends the messages that are due, each leased first in a committed transaction of its
    own, so two workers never take the same one and a crash leaves it to be retried."""
    result = Delivery()
    for message_id in _lease(limit):
        message = db.session.get(OutboxMessage, message_id)
        now = clock.now_utc()
        try:
            send(message)
        except PermanentFailure as exc:
            message.state = OutboxState.FAILED
            message.last_error = str(exc)[:500]
            result.failed += 1
            log.warning("message %s refused for good by the mail server", message.id)
        except Exception as exc:  # noqa: BLE001 - any failure to send is retried later
            message.attempts += 1
            wait = min(FIRST_RETRY * 2 ** (message.attempts - 1), LONGEST_WAIT)
            message.due_at = now + wait
            message.last_error = f"{type(exc).__name__}: {exc}"[:500]
            result.retried += 1
            log.info("message %s not sent (%s); retry in %s", message.id, type(exc).__name__, wait)
        else:
            message.state = OutboxState.SENT
            message.sent_at = now
            message.attempts += 1
            result.sent += 1
        message.leased_until = None
        db.session.commit()
    return result


def _lease(limit: int) -> list[int]:
    now = clock.now_utc()
    ready = (
        select(OutboxMessage.id)
        .where(
            OutboxMessage.state == OutboxState.PENDING,
            OutboxMessage.due_at <= now,
            or_(OutboxMessage.leased_until.is_(None), OutboxMessage.leased_until < now),
        )
        .order_by(OutboxMessage.due_at, OutboxMessage.id)
        .limit(limit)
    )
    if db.engine.dialect.name == "postgresql":
        # Two workers at once skip each other's rows instead of waiting for them.
        ready = ready.with_for_update(skip_locked=True)
    ids = list(db.session.execute(ready).scalars())
    if ids:
        db.session.execute(
            update(OutboxMessage).where(OutboxMessage.id.in_(ids)).values(leased_until=now + LEASE)
        )
    db.session.commit()
    return ids
