"""What each calendar feed holds, read with a fixed number of queries, and its cheap version.

Feeds: the mall (public), a commune (public), a staff user's and an entrepreneur's (private,
by token) and one week (the download on its page). A feed covers twelve months back and the
whole future. Something cancelled (a week, a released stand, a withdrawn nomination) stays in
the feed as STATUS:CANCELLED for CANCELLED_GRACE after the change, then leaves it.

SEQUENCE is derived from counters that only grow (Slot.sequence and Nomination.sequence, which
the domain bumps on every change of dates or state, and the number of stand assignments a
nomination has had, rows that are released, never deleted): 2 × their sum, plus 1 while the
event is cancelled. Any bump therefore raises it, and so does a cancellation on its own.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from email.utils import parseaddr

from flask import current_app, has_request_context, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from app import caches, clock
from app.calendars.builder import (
    AllDay,
    CalendarInfo,
    DailyHours,
    Entry,
    Invitation,
    Span,
    to_bytes,
)
from app.domain.roster import (
    is_on_published_roster,
    on_published_roster,
    shown_publicly,
)
from app.extensions import db
from app.i18n import fmt_datetime, fmt_week
from app.models import (
    Category,
    Commune,
    Entrepreneur,
    Nomination,
    Program,
    Role,
    Slot,
    SlotAllocation,
    SlotState,
    Stand,
    StandAssignment,
    User,
    Venue,
    VenueClosure,
)

FORMAT_VERSION = "1"  # bump when the feed's layout changes, so every ETag changes with it
WINDOW_BACK = timedelta(days=365)
CANCELLED_GRACE = timedelta(days=30)
DEADLINE_LENGTH = timedelta(minutes=30)
MALL_COLOR = "#0f766e"
FEED_LOCALE = "es_CL"  # one language per feed: the ETag must not depend on the client


@dataclass(frozen=True)
class Feed:
    key: str  # part of the ETag: "mall", "commune:3", "user:7", "entrepreneur:9", "slot:4"
    name: str
    description: str
    color: str
    feed_path: str
    public: bool  # public feeds list only entrepreneurs who agreed to be shown
    weeks: bool = True
    stands: bool = True
    deadlines: bool = False
    roster_in_description: bool = False
    stands_busy: bool = False
    commune_id: int | None = None
    entrepreneur_id: int | None = None
    slot_id: int | None = None


@dataclass(frozen=True)
class FeedVersion:
    etag: str
    last_modified: datetime
    data_version: int  # what the tag was made from
    today: date


# --- the feeds ----------------------------------------------------------------------------


# Each feed is written in FEED_LOCALE. The calendars page asks for a descriptor in the reader's
# language (`locale`) for what it shows about a feed; the feed itself never changes language.


def mall_feed(locale: str = FEED_LOCALE) -> Feed:
    # The same for every request (one language per feed): built once per app, so a polling
    # client's revalidation does not translate and route it again.
    return caches.FEED_DESCRIPTORS.get_or_build(("mall", locale), lambda: _mall_feed(locale))


def _mall_feed(locale: str) -> Feed:
    with force_locale(locale):
        return Feed(
            key="mall",
            name=_("Vitrina · Mall Espacio Urbano Melipilla"),
            description=_(
                "Semanas de emprendedores de la provincia de Melipilla en Mall Espacio Urbano: "
                "comunas anfitrionas y stands publicados."
            ),
            color=MALL_COLOR,
            feed_path=url_for("calendars.mall_ics"),
            public=True,
            stands=False,
            roster_in_description=True,
        )


def commune_feed(commune: Commune, locale: str = FEED_LOCALE) -> Feed:
    with force_locale(locale):
        return Feed(
            key=f"commune:{commune.id}",
            name=_("Vitrina · %(commune)s", commune=commune.name),
            description=_(
                "Semanas de %(commune)s en Mall Espacio Urbano Melipilla y los stands de sus "
                "emprendedores.",
                commune=commune.name,
            ),
            color=commune.color,
            feed_path=url_for("calendars.commune_ics", slug=commune.slug),
            public=True,
            commune_id=commune.id,
        )


def staff_feed(user: User, feed_path: str, locale: str = FEED_LOCALE) -> Feed:
    """Officers: their commune, with nomination deadlines; everyone else on staff: everything."""
    with force_locale(locale):
        if user.role is Role.OFFICER and user.commune is not None:
            return Feed(
                key=f"user:{user.id}:commune:{user.commune_id}",
                name=_("Vitrina · %(commune)s (privado)", commune=user.commune.name),
                description=_(
                    "Semanas de %(commune)s, plazos de nominación y stands de todos sus "
                    "emprendedores. Calendario privado: no comparta su dirección.",
                    commune=user.commune.name,
                ),
                color=user.commune.color,
                feed_path=feed_path,
                public=False,
                deadlines=True,
                commune_id=user.commune_id,
            )
        return Feed(
            key=f"user:{user.id}:all",
            name=_("Vitrina · provincia (privado)"),
            description=_(
                "Todas las semanas, plazos de nominación y stands de la provincia. "
                "Calendario privado: no comparta su dirección."
            ),
            color=MALL_COLOR,
            feed_path=feed_path,
            public=False,
            deadlines=True,
        )


def entrepreneur_feed(entrepreneur: Entrepreneur, feed_path: str) -> Feed:
    with force_locale(FEED_LOCALE):
        return Feed(
            key=f"entrepreneur:{entrepreneur.id}",
            name=_("Vitrina · %(business)s", business=entrepreneur.business_name),
            description=_(
                "Sus semanas y su stand en Mall Espacio Urbano Melipilla, con el horario del mall."
            ),
            color=entrepreneur.commune.color,
            feed_path=feed_path,
            public=False,
            weeks=False,
            stands_busy=True,
            entrepreneur_id=entrepreneur.id,
        )


def slot_feed(slot: Slot) -> Feed:
    with force_locale(FEED_LOCALE):
        return Feed(
            key=f"slot:{slot.id}",
            name=_("Vitrina · semana del %(week)s", week=fmt_week(slot.starts_on, slot.ends_on)),
            description=_("Una semana de emprendedores en Mall Espacio Urbano Melipilla."),
            color=MALL_COLOR,
            feed_path=url_for("calendars.slot_ics", slot_id=slot.id),
            public=True,
            stands=False,
            roster_in_description=True,
            slot_id=slot.id,
        )


# --- queries shared by the version and the build --------------------------------------------


@dataclass(frozen=True)
class _Bounds:
    window_start: date
    cutoff: datetime  # cancellations older than this have left the feeds
    today: date


def _bounds() -> _Bounds:
    now = clock.now_utc()
    today = clock.today()
    return _Bounds(window_start=today - WINDOW_BACK, cutoff=now - CANCELLED_GRACE, today=today)


def _slot_select(feed: Feed, b: _Bounds) -> Select:
    query = select(Slot)
    if feed.slot_id is not None:
        return query.where(Slot.id == feed.slot_id)
    query = query.where(
        Slot.ends_on >= b.window_start,
        or_(Slot.state != SlotState.CANCELLED, Slot.updated_at >= b.cutoff),
    )
    if feed.commune_id is not None:
        query = query.where(
            Slot.id.in_(
                select(SlotAllocation.slot_id).where(
                    SlotAllocation.commune_id == feed.commune_id, SlotAllocation.stands > 0
                )
            )
        )
    return query


def _roster_select(feed: Feed, b: _Bounds, *columns) -> Select:
    """Stand assignments of the feed: live ones, and those cancelled within the grace period."""
    live = on_published_roster()
    recently_changed = or_(
        StandAssignment.released_at >= b.cutoff,
        Nomination.updated_at >= b.cutoff,
        # A cancelled week cancels its stands; any other change to a week (its state moving
        # with the dates) must not bring back a stand cancelled long ago.
        and_(Slot.state == SlotState.CANCELLED, Slot.updated_at >= b.cutoff),
    )
    query = (
        select(*columns)
        .select_from(StandAssignment)
        .join(Nomination, StandAssignment.nomination_id == Nomination.id)
        .join(Slot, StandAssignment.slot_id == Slot.id)
        .join(Entrepreneur, Nomination.entrepreneur_id == Entrepreneur.id)
        .where(
            Slot.state.in_((*SlotState.ROSTER_PUBLIC, SlotState.CANCELLED)),
            or_(live, recently_changed),
        )
    )
    if feed.slot_id is not None:
        query = query.where(Slot.id == feed.slot_id)
    else:
        query = query.where(Slot.ends_on >= b.window_start)
    if feed.public:
        query = query.where(shown_publicly())
    if feed.commune_id is not None:
        query = query.where(Nomination.commune_id == feed.commune_id)
    if feed.entrepreneur_id is not None:
        query = query.where(Nomination.entrepreneur_id == feed.entrepreneur_id)
    return query


def version(feed: Feed) -> FeedVersion:
    """ETag and Last-Modified without building the calendar: one primary-key lookup.

    The data version moves with every change a feed could show (app/domain/changes.py), so a
    change anywhere makes every feed refetch once — and the bytes come back identical where
    nothing of that feed changed. Today's date is part of the tag: rows that leave the window
    or the grace period show by the next day.
    """
    today = clock.today()
    data_version, changed_at = caches.recent_data_version(db.session)
    key = (feed.key, today, data_version, changed_at)
    if (known := caches.FEED_VERSIONS.get(key)) is not None:
        return known
    midnight = datetime.combine(today, time(0), tzinfo=clock.VENUE_TZ).astimezone(UTC)
    material = json.dumps(
        [FORMAT_VERSION, feed.key, today.isoformat(), data_version], sort_keys=True
    )
    etag = hashlib.sha256(material.encode()).hexdigest()[:32]
    last_modified = max(changed_at, midnight) if changed_at else midnight
    found = FeedVersion(
        etag=etag,
        last_modified=last_modified.replace(microsecond=0),
        data_version=data_version,
        today=today,
    )
    return caches.FEED_VERSIONS.put(key, found)


# --- the build -----------------------------------------------------------------------------


@dataclass
class _RosterRow:
    assignment: StandAssignment
    nomination: Nomination
    slot: Slot
    entrepreneur: Entrepreneur
    stand: Stand
    commune: Commune
    category: Category
    venue_id: int
    assignments_ever: int


@dataclass
class _StandEvent:
    """One nomination's stand: the live assignment, or the last one when it was cancelled."""

    row: _RosterRow
    cancelled: bool
    modified: datetime


def build(feed: Feed) -> bytes:
    b = _bounds()
    with force_locale(FEED_LOCALE), _url_context():
        slots = _load_slots(feed, b)
        roster = _load_roster(feed, b) if feed.stands or feed.roster_in_description else []
        venues = _load_venues() if feed.stands or feed.weeks else {}
        closures = _load_closures(b) if feed.stands else {}
        entries: list[Entry] = []
        by_slot: dict[int, list[_StandEvent]] = defaultdict(list)
        for event in roster:
            by_slot[event.row.slot.id].append(event)
        if feed.weeks:
            for slot in slots:
                entries.append(_week_entry(feed, slot, venues, by_slot.get(slot.id, [])))
        if feed.deadlines:
            entries += [_deadline_entry(s) for s in slots if s.nominations_deadline is not None]
        if feed.stands:
            entries += [_stand_entry(feed, e, venues, closures) for e in roster]
        info = CalendarInfo(
            name=feed.name,
            description=feed.description,
            color=feed.color,
            page_url=_absolute(url_for("calendars.index")),
            feed_url=_absolute(feed.feed_path),
            entries=entries,
        )
        return to_bytes(info)


@contextmanager
def _url_context() -> Iterator[None]:
    if has_request_context():
        yield
        return
    with current_app.test_request_context(base_url=current_app.config["PUBLIC_BASE_URL"]):
        yield


def _absolute(path: str) -> str:
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + path


def week_url(slot: Slot) -> str:
    return _absolute(url_for("calendars.week", slot_id=slot.id))


def _load_slots(feed: Feed, b: _Bounds) -> list[Slot]:
    if not (feed.weeks or feed.deadlines):
        return []
    query = (
        _slot_select(feed, b)
        .options(
            selectinload(Slot.allocations).joinedload(SlotAllocation.commune),
            joinedload(Slot.program),
        )
        .order_by(Slot.starts_on, Slot.id)
    )
    return list(db.session.execute(query).scalars())


def _load_roster(feed: Feed, b: _Bounds) -> list[_StandEvent]:
    ever = (
        select(func.count())
        .where(StandAssignment.nomination_id == Nomination.id)
        .correlate(Nomination)
        .scalar_subquery()
    )
    query = (
        _roster_select(
            feed,
            b,
            StandAssignment,
            Nomination,
            Slot,
            Entrepreneur,
            Stand,
            Commune,
            Category,
            Program.venue_id,
            ever.label("ever"),
        )
        .join(Stand, StandAssignment.stand_id == Stand.id)
        .join(Commune, Nomination.commune_id == Commune.id)
        .join(Category, Entrepreneur.category_id == Category.id)
        .join(Program, Slot.program_id == Program.id)
        .order_by(Slot.starts_on, Stand.code, StandAssignment.id)
    )
    by_nomination: dict[int, list[_RosterRow]] = defaultdict(list)
    for row in db.session.execute(query):
        by_nomination[row.Nomination.id].append(
            _RosterRow(
                assignment=row.StandAssignment,
                nomination=row.Nomination,
                slot=row.Slot,
                entrepreneur=row.Entrepreneur,
                stand=row.Stand,
                commune=row.Commune,
                category=row.Category,
                venue_id=row.venue_id,
                assignments_ever=row.ever,
            )
        )
    events = []
    for rows in by_nomination.values():
        live = [r for r in rows if r.assignment.released_at is None]
        chosen = (
            live[0]
            if live
            else max(rows, key=lambda r: (r.assignment.assigned_at, r.assignment.id))
        )
        n, slot = chosen.nomination, chosen.slot
        cancelled = not (live and is_on_published_roster(chosen.assignment, n, slot))
        modified = max(
            [n.updated_at, slot.updated_at, chosen.entrepreneur.updated_at]
            + [r.assignment.assigned_at for r in rows]
            + [r.assignment.released_at for r in rows if r.assignment.released_at]
        )
        if cancelled and modified < b.cutoff:
            continue
        events.append(_StandEvent(row=chosen, cancelled=cancelled, modified=modified))
    events.sort(key=lambda e: (e.row.slot.starts_on, e.row.stand.code, e.row.nomination.id))
    return events


def _load_venues() -> dict[int, Venue]:
    query = select(Venue).options(selectinload(Venue.hours))
    return {v.id: v for v in db.session.execute(query).scalars()}


def _load_closures(b: _Bounds) -> dict[tuple[int, date], str]:
    query = select(VenueClosure).where(VenueClosure.day >= b.window_start)
    return {(c.venue_id, c.day): c.reason for c in db.session.execute(query).scalars()}


# --- entries -------------------------------------------------------------------------------


def _uid(kind: str, object_id: int) -> str:
    return f"{kind}-{object_id}@vitrina.espaciourbano-melipilla"


def _hosts(slot: Slot) -> list[SlotAllocation]:
    hosts = [a for a in slot.allocations if a.is_host]
    if hosts:
        return hosts
    return sorted((a for a in slot.allocations if a.stands > 0), key=lambda a: a.commune.name)


def _venue_location(venue: Venue | None) -> str:
    if venue is None:
        return ""
    return ", ".join(part for part in (venue.name, venue.address) if part)


def _week_entry(
    feed: Feed, slot: Slot, venues: dict[int, Venue], roster: list[_StandEvent]
) -> Entry:
    cancelled = slot.state is SlotState.CANCELLED
    hosts = _hosts(slot)
    names = ", ".join(a.commune.name for a in hosts)
    week = fmt_week(slot.starts_on, slot.ends_on)
    venue = venues.get(slot.program.venue_id)
    summary = (
        _("Semana Vitrina: %(communes)s", communes=names)
        if names
        else _("Semana Vitrina (comunas por definir)")
    )
    if cancelled:
        summary = _("Cancelada: %(summary)s", summary=summary)
    lines = [
        _(
            "Semana de emprendedores de la provincia de Melipilla en %(venue)s, del %(week)s.",
            venue=venue.name if venue else "Mall Espacio Urbano Melipilla",
            week=week,
        )
    ]
    if cancelled:
        lines.append(_("Esta semana fue cancelada."))
    if len(hosts) == 1 and hosts[0].is_host:
        lines.append(_("Comuna anfitriona: %(commune)s.", commune=names))
    elif hosts:
        quotas = ", ".join(
            _("%(commune)s (%(n)d stands)", commune=a.commune.name, n=a.stands) for a in hosts
        )
        lines.append(_("Comunas: %(quotas)s.", quotas=quotas))
    modified = slot.updated_at
    live = [e for e in roster if not e.cancelled]
    if feed.roster_in_description and live and not cancelled:
        lines.append("")
        lines.append(_("Stands:"))
        for e in live:
            r = e.row
            lines.append(f"{r.stand.code} · {r.entrepreneur.business_name} ({r.commune.name})")
            modified = max(modified, e.modified)
    url = week_url(slot)
    lines += ["", url]
    color = hosts[0].commune.color if len(hosts) == 1 else MALL_COLOR
    return Entry(
        uid=_uid("week", slot.id),
        sequence=2 * slot.sequence + int(cancelled),
        cancelled=cancelled,
        modified=modified,
        summary=summary,
        when=AllDay(slot.starts_on, slot.ends_on),
        description="\n".join(lines),
        location=_venue_location(venue),
        url=url,
        color=color,
        categories=("Vitrina",),
    )


def _deadline_entry(slot: Slot) -> Entry:
    cancelled = slot.state is SlotState.CANCELLED
    deadline = slot.nominations_deadline
    week = fmt_week(slot.starts_on, slot.ends_on)
    summary = _("Cierre de nominaciones: semana del %(week)s", week=week)
    if cancelled:
        summary = _("Cancelado: %(summary)s", summary=summary)
    url = week_url(slot)
    description = "\n".join(
        [
            _(
                "Las nominaciones para la semana del %(week)s se cierran el %(when)s.",
                week=week,
                when=fmt_datetime(deadline, "EEEE d 'de' MMMM, HH:mm"),
            ),
            "",
            url,
        ]
    )
    return Entry(
        uid=_uid("deadline", slot.id),
        sequence=2 * slot.sequence + int(cancelled),
        cancelled=cancelled,
        modified=slot.updated_at,
        summary=summary,
        when=Span(deadline - DEADLINE_LENGTH, deadline),
        description=description,
        url=url,
        categories=("Vitrina",),
    )


def _opening_days(
    slot: Slot, venue: Venue | None, closures: dict[tuple[int, date], str]
) -> tuple[tuple[date, time, time], ...]:
    if venue is None:
        return ()
    hours = {h.weekday: (h.opens, h.closes) for h in venue.hours}
    days = []
    day = slot.starts_on
    while day <= slot.ends_on:
        if day.weekday() in hours and (venue.id, day) not in closures:
            days.append((day, *hours[day.weekday()]))
        day += timedelta(days=1)
    return tuple(days)


def _stand_entry(
    feed: Feed,
    event: _StandEvent,
    venues: dict[int, Venue],
    closures: dict[tuple[int, date], str],
) -> Entry:
    r = event.row
    venue = venues.get(r.venue_id)
    week = fmt_week(r.slot.starts_on, r.slot.ends_on)
    summary = _(
        "Stand %(stand)s: %(business)s", stand=r.stand.code, business=r.entrepreneur.business_name
    )
    if event.cancelled:
        summary = _("Cancelado: %(summary)s", summary=summary)
    days = _opening_days(r.slot, venue, closures)
    url = week_url(r.slot)
    lines = [
        _(
            "%(business)s (%(category)s, %(commune)s) en el stand %(stand)s, semana del %(week)s.",
            business=r.entrepreneur.business_name,
            category=r.category.name,
            commune=r.commune.name,
            stand=r.stand.code,
            week=week,
        ),
        _("Horario: el del mall cada día de la semana."),
    ]
    closed = [
        closures[(r.venue_id, d)]
        for d in _days(r.slot.starts_on, r.slot.ends_on)
        if (r.venue_id, d) in closures
    ]
    if closed:
        lines.append(_("Mall cerrado: %(days)s.", days="; ".join(closed)))
    if event.cancelled:
        lines.append(_("Este stand fue cancelado."))
    lines += ["", url]
    location = ", ".join(
        part
        for part in (
            venue.name if venue else "",
            _("stand %(stand)s", stand=r.stand.code),
            r.stand.location,
            venue.address if venue else "",
        )
        if part
    )
    n = r.nomination
    return Entry(
        uid=_uid("stand", n.id),
        sequence=2 * (r.slot.sequence + n.sequence + r.assignments_ever) + int(event.cancelled),
        cancelled=event.cancelled,
        modified=event.modified,
        summary=summary,
        when=DailyHours(days) if days else AllDay(r.slot.starts_on, r.slot.ends_on),
        description="\n".join(lines),
        location=location,
        url=url,
        color=r.commune.color,
        categories=("Vitrina", r.category.name),
        busy=feed.stands_busy,
    )


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


# --- invitations ---------------------------------------------------------------------------


@dataclass(frozen=True)
class StandInvitation:
    """An entrepreneur's stand as an e-mailed invitation: the same event (UID, SEQUENCE,
    hours) their private feed shows, so a calendar that has both keeps one."""

    method: str  # REQUEST while the stand is theirs, CANCEL once it is not
    uid: str
    sequence: int
    stand: str
    slot: Slot
    calendar: bytes


def stand_invitation(nomination: Nomination) -> StandInvitation | None:
    """The invitation for this nomination's stand as it stands now: REQUEST while it is on the
    published roster, CANCEL once it is not; None when it never had a stand."""
    entrepreneur = nomination.entrepreneur
    feed = entrepreneur_feed(entrepreneur, feed_path="")
    b = _bounds()
    with force_locale(FEED_LOCALE), _url_context():
        events = [e for e in _load_roster(feed, b) if e.row.nomination.id == nomination.id]
        if not events:
            return None
        event = events[0]
        entry = _stand_entry(feed, event, _load_venues(), _load_closures(b))
        info = CalendarInfo(
            name=feed.name,
            description=feed.description,
            color=feed.color,
            page_url=_absolute(url_for("calendars.index")),
            feed_url="",
            entries=[entry],
        )
        sender_name, sender_email = parseaddr(current_app.config["MAIL_DEFAULT_SENDER"])
        method = "CANCEL" if event.cancelled else "REQUEST"
        invitation = Invitation(
            method=method,
            organizer_email=sender_email,
            organizer_name=sender_name or "Vitrina",
            attendee_email=entrepreneur.email or "",
            attendee_name=entrepreneur.owner_name,
        )
        return StandInvitation(
            method=method,
            uid=entry.uid,
            sequence=entry.sequence,
            stand=event.row.stand.code,
            slot=event.row.slot,
            calendar=to_bytes(info, invitation),
        )
