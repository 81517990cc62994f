"""`flask worker`: delivers the outbox and runs what the clock schedules (the weeks' state
changes), in a loop beside the web server, or once for cron."""

from __future__ import annotations

import logging
import time

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy.exc import OperationalError

from app.domain import slot_states
from app.extensions import db
from app.notifications import mailer, outbox, reminders

log = logging.getLogger(__name__)


def run_once() -> outbox.Delivery:
    """One round: move the weeks the clock moves, queue the reminders that are due, then send
    what is due (when a mail server is configured; otherwise the messages wait in the outbox,
    shown at /admin/mail)."""
    try:
        slot_states.advance_by_date()
        reminders.queue_due()
        db.session.commit()
    except OperationalError:
        db.session.rollback()  # the database is busy or away: the next round tries again
    if not mailer.configured(current_app):
        return outbox.Delivery()
    return outbox.deliver_due(mailer.smtp_sender(current_app))


@click.command("worker", help="Envía el correo pendiente y avanza las semanas con el reloj.")
@click.option("--once", is_flag=True, help="Una sola vuelta (para cron).")
@click.option("--interval", type=float, default=5.0, show_default=True, help="Segundos.")
@with_appcontext
def worker_command(once: bool, interval: float) -> None:
    if not mailer.configured(current_app):
        click.echo("MAIL_SERVER no está configurado: el correo queda en /admin/mail.")
    while True:
        try:
            done = run_once()
        except OperationalError as exc:
            db.session.rollback()
            log.warning("worker round failed (%s); retrying", type(exc).__name__)
            done = outbox.Delivery()
        finally:
            db.session.remove()
        if done.sent or done.retried or done.failed:
            click.echo(f"enviados {done.sent}, reintentos {done.retried}, fallidos {done.failed}")
        if once:
            return
        time.sleep(interval)
