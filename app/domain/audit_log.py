"""Reading the audit trail: filtered, newest first, one page at a time."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import AuditEvent

PAGE_SIZE = 50


@dataclass
class AuditPage:
    events: list[AuditEvent]
    page: int
    pages: int
    total: int


def search(
    *,
    slot_id: int | None = None,
    commune_id: int | None = None,
    entrepreneur_id: int | None = None,
    action_prefix: str | None = None,
    page: int = 1,
) -> AuditPage:
    query = select(AuditEvent)
    if slot_id:
        query = query.where(AuditEvent.slot_id == slot_id)
    if commune_id:
        query = query.where(AuditEvent.commune_id == commune_id)
    if entrepreneur_id:
        query = query.where(AuditEvent.entrepreneur_id == entrepreneur_id)
    if action_prefix:
        query = query.where(AuditEvent.action.startswith(action_prefix, autoescape=True))
    total = db.session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(page, 1), pages)
    events = db.session.execute(
        query.options(selectinload(AuditEvent.actor))
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
    ).scalars()
    return AuditPage(list(events), page, pages, total)
