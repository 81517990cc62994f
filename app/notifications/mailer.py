"""Sending one outbox message over SMTP, with the Flask-Mail setting names."""

from __future__ import annotations

import smtplib
from collections.abc import Callable
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from flask import Flask

from app.models import OutboxMessage
from app.notifications.outbox import PermanentFailure


def configured(app: Flask) -> bool:
    return bool(app.config.get("MAIL_SERVER"))


def smtp_sender(app: Flask) -> Callable[[OutboxMessage], None]:
    config = app.config

    def send(message: OutboxMessage) -> None:
        email = EmailMessage()
        email["Subject"] = message.subject
        email["From"] = config["MAIL_DEFAULT_SENDER"]
        email["To"] = message.recipient
        email["Date"] = formatdate(localtime=False)
        # One id per outbox message: if a crash makes the worker send it again, mail clients
        # see the same message, not a second one.
        email["Message-ID"] = make_msgid(idstring=f"outbox-{message.id}", domain="vitrina")
        email["Content-Language"] = message.locale
        email.set_content(message.body_text)
        email.add_alternative(message.body_html, subtype="html")
        if message.calendar:
            # iMIP (RFC 6047): the part's method matches the calendar's METHOD, so Gmail,
            # Outlook and Apple Mail add, update or remove the event themselves.
            email.add_alternative(
                message.calendar,
                subtype="calendar",
                params={"method": message.calendar_method or "REQUEST"},
            )
        cls = smtplib.SMTP_SSL if config.get("MAIL_USE_SSL") else smtplib.SMTP
        try:
            with cls(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=30) as smtp:
                if config.get("MAIL_USE_TLS"):
                    smtp.starttls()
                if config.get("MAIL_USERNAME"):
                    smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
                smtp.send_message(email)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            if all(code >= 500 for code in codes):
                raise PermanentFailure(f"recipient refused ({codes})") from exc
            raise
        except smtplib.SMTPResponseException as exc:
            if exc.smtp_code >= 500 and exc.smtp_code not in (500, 502, 503, 504):
                raise PermanentFailure(f"refused ({exc.smtp_code})") from exc
            raise

    return send
