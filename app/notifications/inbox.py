"""The staff's inbox: each notice an officer or coordinator is e-mailed is also kept in the app,
unread until they open it or mark it read."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask_babel import gettext as _
from sqlalchemy import func, select, update

from app import clock
from app.domain.errors import NotFound
from app.extensions import db
from app.models import InboxItem, User

PAGE_SIZE = 30


def has(key: str) -> bool:
    return (
        db.session.execute(select(InboxItem.id).where(InboxItem.key == key)).scalar_one_or_none()
        is not None
    )


def add(user: User, *, key: str, subject: str, sentence: str, link: str) -> InboxItem | None:
    """Keeps a notice for `user` unless this key was kept already (the same change twice)."""
    if has(key):
        return None
    parts = urlsplit(link)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    item = InboxItem(user_id=user.id, key=key, subject=subject, sentence=sentence, link=path[:500])
    db.session.add(item)
    return item


def unread_count_column(user_id_column):
    """The navigation's unread count as a subquery, read with the sign-in lookup itself
    (app/security.py), so showing it costs no round trip of its own."""
    return (
        select(func.count(InboxItem.id))
        .where(InboxItem.user_id == user_id_column, InboxItem.read_at.is_(None))
        .scalar_subquery()
    )


def page_of(user: User, page: int) -> tuple[list[InboxItem], bool]:
    """One page of the user's notices, newest first, and whether an older page exists."""
    rows = list(
        db.session.execute(
            select(InboxItem)
            .where(InboxItem.user_id == user.id)
            .order_by(InboxItem.created_at.desc(), InboxItem.id.desc())
            .offset((page - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE + 1)
        ).scalars()
    )
    return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE


def unread_count(user: User) -> int:
    return db.session.execute(
        select(func.count(InboxItem.id)).where(
            InboxItem.user_id == user.id, InboxItem.read_at.is_(None)
        )
    ).scalar_one()


def item_of(user: User, item_id: int) -> InboxItem:
    """The user's own notice; anyone else's is not there for them."""
    item = db.session.get(InboxItem, item_id)
    if item is None or item.user_id != user.id:
        raise NotFound(_("Ese aviso no existe."))
    return item


def mark_read(item: InboxItem) -> InboxItem:
    if item.read_at is None:
        item.read_at = clock.now_utc()
    return item


def mark_unread(item: InboxItem) -> InboxItem:
    item.read_at = None
    return item


def mark_all_read(user: User) -> int:
    result = db.session.execute(
        update(InboxItem)
        .where(InboxItem.user_id == user.id, InboxItem.read_at.is_(None))
        .values(read_at=clock.now_utc())
    )
    return result.rowcount or 0
