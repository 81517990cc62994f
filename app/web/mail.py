"""The outbox for administrators: every message Vitrina queued, whether it went out, and its
text (with no mail server configured, this is where the messages are read)."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template
from sqlalchemy import func, select

from app.extensions import db
from app.models import OutboxMessage, Role
from app.notifications import mailer
from app.web.access import roles

bp = Blueprint("mail", __name__, url_prefix="/admin/mail")
PAGE = 100


@bp.route("/")
@roles(Role.ADMIN)
def index():
    messages = list(
        db.session.execute(
            select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(PAGE)
        ).scalars()
    )
    counts = dict(
        db.session.execute(
            select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state)
        ).all()
    )
    return render_template(
        "admin/mail.html",
        messages=messages,
        counts=counts,
        configured=mailer.configured(current_app),
    )


@bp.route("/<int:message_id>")
@roles(Role.ADMIN)
def show(message_id: int):
    message = db.session.get(OutboxMessage, message_id)
    if message is None:
        abort(404)
    return render_template("admin/mail_message.html", message=message)
