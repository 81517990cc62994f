"""What the public sees of the weeks at the mall: the week on now (or the next one),
the stands of the entrepreneurs who agreed to be shown, and the weeks to come.

Pages get PublicStand rows, never Entrepreneur models: the owner's name, RUT, email and phone
are not even read, so no public template can show them by mistake.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import urlsplit

from flask_babel import gettext as _
from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload

from app.domain import schedule
from app.domain.errors import NotFound
from app.domain.roster import on_published_roster, shown_publicly
from app.domain.stands import MapMark
from app.extensions import db
from app.models import (
    Category,
    Commune,
    Entrepreneur,
    Nomination,
    Program,
    Slot,
    SlotAllocation,
    SlotState,
    Stand,
    StandAssignment,
    Venue,
)

UPCOMING_WEEKS = 6


@dataclass(frozen=True)
class PublicStand:
    """One consenting entrepreneur's stand in one week: only what they agreed to show."""

    slot_id: int
    stand_id: int
    stand_code: str
    business_name: str
    category: str
    description: str
    website: str | None  # http(s) only
    commune: Commune

    @property
    def website_label(self) -> str:
        """The site's name, as shown on the link: "instagram.com"."""
        host = urlsplit(self.website or "").hostname or ""
        return host.removeprefix("www.")


@dataclass(frozen=True)
class MallShowcase:
    week: Slot | None  # the week on now, else the next one (its stands once published)
    is_current: bool
    stands: list[PublicStand]
    upcoming: list[Slot]  # the weeks after it, not cancelled
    venue: Venue | None  # the week's venue with its stands, for the map
    communes: list[Commune] = field(default_factory=list)

    @property
    def roster_published(self) -> bool:
        return self.week is not None and self.week.state in SlotState.ROSTER_PUBLIC

    def map_marks(self) -> dict[int, MapMark]:
        return {s.stand_id: MapMark(commune=s.commune, label=s.business_name) for s in self.stands}


@dataclass(frozen=True)
class CommuneShowcase:
    commune: Commune
    turns: list[Slot]  # its next weeks at the mall, the one on now included
    stands: dict[int, list[PublicStand]]  # by slot id, for the turns whose roster is published

    def is_published(self, slot: Slot) -> bool:
        return slot.state in SlotState.ROSTER_PUBLIC


def _with_hosts(query: Select) -> Select:
    return query.options(selectinload(Slot.allocations).joinedload(SlotAllocation.commune))


def hosts(slot: Slot) -> list[SlotAllocation]:
    """The communes with stands that week, the host first."""
    return sorted(
        (a for a in slot.allocations if a.stands > 0),
        key=lambda a: (not a.is_host, a.commune.name),
    )


def next_week(*, today: date) -> Slot | None:
    """The next week at the mall that is not cancelled, published or not yet."""
    query = (
        select(Slot)
        .where(Slot.starts_on > today, Slot.state != SlotState.CANCELLED)
        .order_by(Slot.starts_on)
        .limit(1)
    )
    return db.session.execute(_with_hosts(query)).scalar_one_or_none()


def featured_week(*, today: date) -> tuple[Slot | None, bool]:
    """The week on at the mall today, else the next one; and whether it is on now. A week
    whose roster is not published yet is still announced (dates, communes), without stands."""
    current = schedule.current_slot(today=today)
    if current is not None:
        return current, True
    return next_week(today=today), False


def upcoming_weeks(
    *, today: date, exclude: Slot | None = None, limit: int = UPCOMING_WEEKS
) -> list[Slot]:
    query = select(Slot).where(Slot.starts_on > today, Slot.state != SlotState.CANCELLED)
    if exclude is not None:
        query = query.where(Slot.id != exclude.id)
    query = query.order_by(Slot.starts_on).limit(limit)
    return list(db.session.execute(_with_hosts(query)).scalars())


def commune_turns(commune: Commune, *, today: date, limit: int = UPCOMING_WEEKS) -> list[Slot]:
    """The commune's weeks with stands from today on (the one on now included)."""
    query = (
        select(Slot)
        .where(
            Slot.ends_on >= today,
            Slot.state != SlotState.CANCELLED,
            Slot.id.in_(
                select(SlotAllocation.slot_id).where(
                    SlotAllocation.commune_id == commune.id, SlotAllocation.stands > 0
                )
            ),
        )
        .order_by(Slot.starts_on)
        .limit(limit)
    )
    return list(db.session.execute(_with_hosts(query)).scalars())


def public_stands(
    slot_ids: Iterable[int], *, commune: Commune | None = None
) -> dict[int, list[PublicStand]]:
    """The published stands of these weeks held by entrepreneurs who agreed to be shown,
    by slot id and stand code."""
    ids = list(slot_ids)
    if not ids:
        return {}
    query = (
        select(
            StandAssignment.slot_id,
            Stand.id.label("stand_id"),
            Stand.code,
            Entrepreneur.business_name,
            Entrepreneur.description,
            Entrepreneur.website,
            Category.name.label("category"),
            Commune,
        )
        .select_from(StandAssignment)
        .join(Nomination, StandAssignment.nomination_id == Nomination.id)
        .join(Slot, StandAssignment.slot_id == Slot.id)
        .join(Entrepreneur, Nomination.entrepreneur_id == Entrepreneur.id)
        .join(Category, Entrepreneur.category_id == Category.id)
        .join(Stand, StandAssignment.stand_id == Stand.id)
        .join(Commune, Nomination.commune_id == Commune.id)
        .where(StandAssignment.slot_id.in_(ids), on_published_roster(), shown_publicly())
        .order_by(Slot.starts_on, Stand.code)
    )
    if commune is not None:
        query = query.where(Nomination.commune_id == commune.id)
    by_slot: dict[int, list[PublicStand]] = defaultdict(list)
    for row in db.session.execute(query):
        by_slot[row.slot_id].append(
            PublicStand(
                slot_id=row.slot_id,
                stand_id=row.stand_id,
                stand_code=row.code,
                business_name=row.business_name,
                category=row.category,
                description=(row.description or "").strip(),
                website=safe_website(row.website),
                commune=row.Commune,
            )
        )
    return dict(by_slot)


def safe_website(url: str | None) -> str | None:
    """The link when it is a plain web address; anything else (javascript:, data:) is dropped."""
    if not url:
        return None
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return url


def venue_of(slot: Slot) -> Venue | None:
    """The week's venue with its stands, for the map; None while no stand is placed on it."""
    query = (
        select(Venue)
        .where(
            Venue.id
            == select(Program.venue_id).where(Program.id == slot.program_id).scalar_subquery()
        )
        .options(selectinload(Venue.stands))
    )
    venue = db.session.execute(query).scalar_one_or_none()
    if venue is None or all(s.map_x is None or s.map_y is None for s in venue.stands):
        return None
    return venue


def all_communes() -> list[Commune]:
    return list(db.session.execute(select(Commune).order_by(Commune.name)).scalars())


def get_commune(slug: str) -> Commune:
    commune = db.session.execute(select(Commune).where(Commune.slug == slug)).scalar_one_or_none()
    if commune is None:
        raise NotFound(_("No existe la comuna «%(slug)s».", slug=slug))
    return commune


def mall_showcase(*, today: date) -> MallShowcase:
    week, is_current = featured_week(today=today)
    stands = public_stands([week.id]).get(week.id, []) if week is not None else []
    return MallShowcase(
        week=week,
        is_current=is_current,
        stands=stands,
        upcoming=upcoming_weeks(today=today, exclude=week),
        venue=venue_of(week) if stands else None,
        communes=all_communes(),
    )


def commune_showcase(commune: Commune, *, today: date) -> CommuneShowcase:
    turns = commune_turns(commune, today=today)
    published = [s.id for s in turns if s.state in SlotState.ROSTER_PUBLIC]
    return CommuneShowcase(
        commune=commune, turns=turns, stands=public_stands(published, commune=commune)
    )
