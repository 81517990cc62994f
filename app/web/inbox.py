"""The staff's inbox: the notices they were e-mailed, to read and mark read in the app."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for

from app.extensions import db
from app.notifications import inbox
from app.web.access import actor, staff
from app.web.htmx import is_partial
from app.web.params import arg_page

bp = Blueprint("inbox", __name__, url_prefix="/avisos")


@bp.route("/")
@staff
def index():
    user = actor()
    page = arg_page()
    items, more = inbox.page_of(user, page)
    return render_template(
        "inbox/index.html",
        items=items,
        page=page,
        more=more,
        unread=inbox.unread_count(user),
    )


@bp.route("/<int:item_id>/abrir", methods=["POST"])
@staff
def open_item(item_id: int):
    """Opening a notice reads it: marked read, then on to the page it is about."""
    item = inbox.mark_read(inbox.item_of(actor(), item_id))
    db.session.commit()
    return redirect(_local(item.link) or url_for("inbox.index"), 303)


@bp.route("/<int:item_id>/leido", methods=["POST"])
@staff
def mark_read(item_id: int):
    return _toggled(inbox.mark_read(inbox.item_of(actor(), item_id)))


@bp.route("/<int:item_id>/no-leido", methods=["POST"])
@staff
def mark_unread(item_id: int):
    return _toggled(inbox.mark_unread(inbox.item_of(actor(), item_id)))


@bp.route("/leer-todo", methods=["POST"])
@staff
def mark_all_read():
    inbox.mark_all_read(actor())
    db.session.commit()
    return redirect(url_for("inbox.index"), 303)


def _toggled(item):
    db.session.commit()
    if not is_partial():
        return redirect(url_for("inbox.index"), 303)
    # The row in place, and the navigation's count beside it (out of band).
    return render_template(
        "inbox/_item.html", item=item, unread=inbox.unread_count(actor()), oob_count=True
    )


def _local(link: str) -> str | None:
    # Links are written by Vitrina itself; still, only ever go to a path of this site.
    if link.startswith("/") and not link.startswith("//"):
        return link
    return None
