"""A commune's nominations for a slot: nominate, order, keep a reserve list, submit, withdraw.

The rules live here (quota, deadline, one nomination per entrepreneur per week, active
entrepreneurs, valid sanitary documents, a yearly maximum of weeks); the state changes go
through ``nomination_states.apply`` so every one is checked and audited the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from app import clock
from app.domain import audit, nomination_states, policy, registry
from app.domain.errors import Conflict, Invalid, NotFound
from app.extensions import db
from app.i18n import fmt_date, fmt_week
from app.models import (
    Commune,
    Entrepreneur,
    Nomination,
    NominationState,
    Slot,
    SlotAllocation,
    SlotState,
    Stand,
    StandAssignment,
    User,
)

S = NominationState


# --- reading --------------------------------------------------------------------------------


def get_slot(slot_id: int) -> Slot:
    slot = db.session.execute(
        select(Slot)
        .where(Slot.id == slot_id)
        .options(selectinload(Slot.allocations), selectinload(Slot.program))
    ).scalar_one_or_none()
    if slot is None:
        raise NotFound(_("Esa semana no existe."))
    return slot


def allocation_for(slot: Slot, commune_id: int) -> SlotAllocation | None:
    return next((a for a in slot.allocations if a.commune_id == commune_id and a.stands > 0), None)


def get_commune_slot(slot_id: int, commune_id: int, *, user: User) -> tuple[Slot, Commune, int]:
    """The slot, the commune and its quota, when the commune has stands that week.

    An officer asking about another commune gets NotFound, as if it did not exist.
    """
    policy.require_visible(
        user, commune_id, _("Esa lista de nominaciones no existe o no es de su comuna.")
    )
    slot = get_slot(slot_id)
    allocation = allocation_for(slot, commune_id)
    commune = db.session.get(Commune, commune_id)
    if allocation is None or commune is None:
        raise NotFound(_("Esa comuna no tiene stands en esta semana."))
    return slot, commune, allocation.stands


def get_nomination(nomination_id: int, *, user: User) -> Nomination:
    query = (
        select(Nomination)
        .where(Nomination.id == nomination_id)
        .options(
            selectinload(Nomination.slot).selectinload(Slot.allocations),
            selectinload(Nomination.entrepreneur).selectinload(Entrepreneur.category),
        )
    )
    if (own := policy.commune_scope(user)) is not None:
        query = query.where(Nomination.commune_id == own)
    nomination = db.session.execute(query).scalar_one_or_none()
    if nomination is None:
        raise NotFound(_("Esa nominación no existe o no pertenece a su comuna."))
    return nomination


@dataclass
class CommuneList:
    main: list[Nomination]
    reserve: list[Nomination]
    closed: list[Nomination]  # withdrawn, rejected, cancelled: shown apart, for the record
    stands: dict[int, str] = field(default_factory=dict)  # nomination id → stand code given

    @property
    def drafts(self) -> list[Nomination]:
        return [n for n in self.main + self.reserve if n.state is S.DRAFT]

    def turned_down(self, reserve: bool) -> list[Nomination]:
        """Rejected or cancelled by the mall: shown in their list, with the reason."""
        return [
            n
            for n in self.closed
            if n.state in (S.REJECTED, S.CANCELLED) and n.is_reserve is reserve
        ]

    @property
    def withdrawn(self) -> list[Nomination]:
        return [n for n in self.closed if n.state not in (S.REJECTED, S.CANCELLED)]


def commune_list(slot: Slot, commune_id: int) -> CommuneList:
    rows = list(
        db.session.execute(
            select(Nomination)
            .where(Nomination.slot_id == slot.id, Nomination.commune_id == commune_id)
            .options(
                selectinload(Nomination.entrepreneur).selectinload(Entrepreneur.category),
                selectinload(Nomination.slot),
            )
            .order_by(Nomination.is_reserve, Nomination.position, Nomination.id)
        ).scalars()
    )
    live = [n for n in rows if n.state in S.HOLDING or n.state in (S.ATTENDED, S.NO_SHOW)]
    listed = {n.entrepreneur_id for n in live}
    given = [n.id for n in live if n.state in (S.APPROVED, S.CONFIRMED, S.ATTENDED, S.NO_SHOW)]
    stands = (
        dict(
            db.session.execute(
                select(StandAssignment.nomination_id, Stand.code)
                .join(Stand, Stand.id == StandAssignment.stand_id)
                .where(
                    StandAssignment.nomination_id.in_(given),
                    StandAssignment.released_at.is_(None),
                )
            ).all()
        )
        if given
        else {}
    )
    return CommuneList(
        stands=stands,
        main=[n for n in live if not n.is_reserve],
        reserve=[n for n in live if n.is_reserve],
        # Someone the commune withdrew and nominated again is on the lists above, not also
        # among the withdrawn (a cancellation by the mall stays, with its reason).
        closed=[
            n
            for n in rows
            if n not in live and not (n.state is S.WITHDRAWN and n.entrepreneur_id in listed)
        ],
    )


def used_quota(slot: Slot, commune_id: int) -> int:
    return db.session.execute(
        select(func.count()).where(
            Nomination.slot_id == slot.id,
            Nomination.commune_id == commune_id,
            Nomination.is_reserve.is_(False),
            Nomination.state.in_(S.QUOTA),
        )
    ).scalar_one()


def count_by_slot(slot_ids: list[int], states: tuple[NominationState, ...]) -> dict[int, int]:
    """Nominations in these states per slot, every commune's: e.g. what waits for the mall's
    decision (SUBMITTED)."""
    if not slot_ids:
        return {}
    query = (
        select(Nomination.slot_id, func.count())
        .where(Nomination.slot_id.in_(slot_ids), Nomination.state.in_(states))
        .group_by(Nomination.slot_id)
    )
    return dict(db.session.execute(query).all())


@dataclass(frozen=True)
class Progress:
    """How far a commune's list for a week has got."""

    nominated: int = 0  # main-list places taken: drafts, submitted, approved, confirmed
    drafts: int = 0  # not sent yet: the mall does not see them
    submitted: int = 0  # sent, waiting for the mall's decision
    seated: int = 0  # given a stand (approved or confirmed), reserves called up included


def commune_progress(slot_ids: list[int], commune_id: int) -> dict[int, Progress]:
    """Progress of one commune's lists, per slot, in one grouped query."""
    if not slot_ids:
        return {}
    rows = db.session.execute(
        select(Nomination.slot_id, Nomination.state, Nomination.is_reserve, func.count())
        .where(Nomination.slot_id.in_(slot_ids), Nomination.commune_id == commune_id)
        .group_by(Nomination.slot_id, Nomination.state, Nomination.is_reserve)
    ).all()
    totals: dict[int, dict[str, int]] = {}
    for slot_id, state, is_reserve, n in rows:
        entry = totals.setdefault(
            slot_id, {"nominated": 0, "drafts": 0, "submitted": 0, "seated": 0}
        )
        if state in S.QUOTA and not is_reserve:
            entry["nominated"] += n
        if state is S.DRAFT:
            entry["drafts"] += n
        if state is S.SUBMITTED:
            entry["submitted"] += n
        if state in (S.APPROVED, S.CONFIRMED):
            entry["seated"] += n
    return {slot_id: Progress(**entry) for slot_id, entry in totals.items()}


def weeks_in_year(entrepreneur_ids: list[int], year: int, *, exclude_slot_id: int) -> dict:
    """Weeks each entrepreneur has (or is proposed for) in the year, other than this slot."""
    if not entrepreneur_ids:
        return {}
    counted = or_(
        Nomination.state.in_(S.USED_WEEK),
        and_(Nomination.state.in_(S.PROPOSED), Nomination.is_reserve.is_(False)),
    )
    rows = db.session.execute(
        select(Nomination.entrepreneur_id, func.count())
        .join(Slot, Slot.id == Nomination.slot_id)
        .where(
            Nomination.entrepreneur_id.in_(entrepreneur_ids),
            Slot.year == year,
            Slot.id != exclude_slot_id,
            Slot.state != SlotState.CANCELLED,
            counted,
        )
        .group_by(Nomination.entrepreneur_id)
    ).all()
    return dict(rows)


def eligibility_problem(
    entrepreneur: Entrepreneur, slot: Slot, *, weeks_this_year: int
) -> str | None:
    """Why this entrepreneur cannot be nominated for this slot, in Spanish, or None."""
    name = entrepreneur.business_name
    if not entrepreneur.active:
        return _("«%(name)s» está inactivo en el registro y no puede ser nominado.", name=name)
    if entrepreneur.category.requires_food_permit:
        if not entrepreneur.sanitary_resolution or entrepreneur.sanitary_expiry is None:
            return _(
                "«%(name)s» no tiene resolución sanitaria registrada y su categoría "
                "(%(category)s) la exige.",
                name=name,
                category=entrepreneur.category.name,
            )
        if entrepreneur.sanitary_expiry < slot.ends_on:
            return _(
                "La resolución sanitaria de «%(name)s» vence el %(expiry)s, antes de que "
                "termine la semana (%(week)s).",
                name=name,
                expiry=fmt_date(entrepreneur.sanitary_expiry),
                week=fmt_week(slot.starts_on, slot.ends_on),
            )
    maximum = slot.program.max_weeks_per_entrepreneur_year
    if weeks_this_year >= maximum:
        return _(
            "«%(name)s» ya tiene %(n)d semanas en %(year)d; el máximo por emprendedor es "
            "%(max)d al año.",
            name=name,
            n=weeks_this_year,
            year=slot.year,
            max=maximum,
        )
    return None


@dataclass
class Candidate:
    entrepreneur: Entrepreneur
    weeks: int  # weeks attended, ever
    last_week: date | None
    problem: str | None
    no_shows: int  # weeks given and not come to
    nominated: bool  # already has a live nomination for this slot

    @property
    def first_time(self) -> bool:
        return self.weeks == 0


CANDIDATES_SHOWN = 30


def candidates(
    slot: Slot, commune: Commune, *, q: str = "", limit: int = CANDIDATES_SHOWN
) -> list[Candidate]:
    return candidate_page(slot, commune, q=q, limit=limit)[0]


def candidate_page(
    slot: Slot, commune: Commune, *, q: str = "", limit: int = CANDIDATES_SHOWN
) -> tuple[list[Candidate], int]:
    """The commune's entrepreneurs for this slot (the first ``limit``, and how many match),
    those who have never been first.

    The search ignores case and accents ("oscar" finds "Óscar") and looks through the whole
    registry, not only the first page.

    The hint: people who have not been to the mall yet rank above repeat participants, then
    those whose last week is longest ago; anyone with no-shows goes after those without.
    A fixed number of queries, whatever the registry size.
    """
    query = (
        select(Entrepreneur)
        .where(Entrepreneur.commune_id == commune.id)
        .options(selectinload(Entrepreneur.category))
    )
    text = q.strip()[:100]
    if text:
        like = f"%{text.lower()}%"
        query = query.where(
            or_(
                registry.text_matches(text),
                Entrepreneur.rut.like(like.replace(".", "")),
            )
        )
    people = list(db.session.execute(query).scalars())
    ids = [e.id for e in people]
    stats = registry.participation(ids)
    weeks = weeks_in_year(ids, slot.year, exclude_slot_id=slot.id)
    nominated = set(
        db.session.execute(
            select(Nomination.entrepreneur_id).where(
                Nomination.slot_id == slot.id,
                Nomination.state.not_in((S.WITHDRAWN, S.CANCELLED)),
            )
        ).scalars()
    )
    result = [
        Candidate(
            entrepreneur=e,
            weeks=stats[e.id].weeks,
            last_week=stats[e.id].last_week,
            no_shows=stats[e.id].no_shows,
            problem=eligibility_problem(e, slot, weeks_this_year=weeks.get(e.id, 0)),
            nominated=e.id in nominated,
        )
        for e in people
    ]
    result.sort(
        key=lambda c: (
            c.nominated,
            c.problem is not None,
            c.no_shows,  # who did not come when given a week goes after those who did
            c.weeks,
            c.last_week or date.min,
            c.entrepreneur.business_name.lower(),
        )
    )
    return result[:limit], len(result)


# --- the commune's operations ---------------------------------------------------------------


def _require_commune_actor(user: User, commune_id: int) -> None:
    policy.require_visible(
        user, commune_id, _("Esa lista de nominaciones no existe o no es de su comuna.")
    )
    policy.require(
        policy.can_act_for_commune(user, commune_id),
        _("Solo la comuna puede nominar a sus emprendedores."),
    )


def _require_open(slot: Slot, now: datetime | None) -> None:
    problem = nomination_states.window_problem(slot, now=now)
    if problem:
        raise Conflict(problem)


def _lock(slot: Slot) -> None:
    # PostgreSQL: concurrent nominations for one slot queue here, so the quota count is true.
    # SQLite: every transaction already began with BEGIN IMMEDIATE.
    db.session.execute(select(Slot.id).where(Slot.id == slot.id).with_for_update())


def nominate(
    slot: Slot,
    entrepreneur: Entrepreneur,
    *,
    by: User,
    reserve: bool = False,
    now: datetime | None = None,
) -> Nomination:
    """Adds the entrepreneur to the commune's list (a draft until the list is submitted)."""
    _require_commune_actor(by, entrepreneur.commune_id)
    allocation = allocation_for(slot, entrepreneur.commune_id)
    if allocation is None:
        raise NotFound(_("Su comuna no tiene stands en esta semana."))
    _require_open(slot, now)
    _lock(slot)
    already = db.session.execute(
        select(func.count()).where(
            Nomination.slot_id == slot.id,
            Nomination.entrepreneur_id == entrepreneur.id,
            Nomination.state.not_in((S.WITHDRAWN, S.CANCELLED)),
        )
    ).scalar_one()
    if already:
        raise Conflict(
            _("«%(name)s» ya está nominado para esta semana.", name=entrepreneur.business_name)
        )
    weeks = weeks_in_year([entrepreneur.id], slot.year, exclude_slot_id=slot.id)
    problem = eligibility_problem(entrepreneur, slot, weeks_this_year=weeks.get(entrepreneur.id, 0))
    if problem:
        raise Conflict(problem)
    if not reserve and used_quota(slot, entrepreneur.commune_id) >= allocation.stands:
        raise Conflict(
            _(
                "%(commune)s ya nominó sus %(n)d stands para esta semana. Agregue a «%(name)s» "
                "a la lista de reserva.",
                commune=entrepreneur.commune.name,
                n=allocation.stands,
                name=entrepreneur.business_name,
            )
        )
    position = db.session.execute(
        select(func.coalesce(func.max(Nomination.position) + 1, 0)).where(
            Nomination.slot_id == slot.id,
            Nomination.commune_id == entrepreneur.commune_id,
            Nomination.is_reserve.is_(reserve),
            Nomination.state.in_(S.HOLDING),
        )
    ).scalar_one()
    moment = now or clock.now_utc()
    nomination = Nomination(
        slot=slot,
        entrepreneur=entrepreneur,
        commune_id=entrepreneur.commune_id,
        is_reserve=reserve,
        position=position,
        created_by=by,
        created_at=moment,
        updated_at=moment,
    )
    try:
        with db.session.begin_nested():
            nomination_states.apply(
                nomination,
                "create",
                by=by,
                now=moment,
                details={"is_reserve": reserve, "position": position},
            )
    except IntegrityError as exc:  # a concurrent request nominated the same person first
        raise Conflict(
            _("«%(name)s» ya está nominado para esta semana.", name=entrepreneur.business_name)
        ) from exc
    return nomination


def nominate_from_registry(
    slot: Slot,
    commune: Commune,
    entrepreneur_id: int,
    *,
    by: User,
    reserve: bool = False,
    now: datetime | None = None,
) -> Nomination:
    """Nominates one of this commune's registered entrepreneurs, found by id as the caller
    may see them (another commune's is NotFound for an officer, Invalid for anyone else)."""
    entrepreneur = registry.get_entrepreneur(entrepreneur_id, user=by)
    if entrepreneur.commune_id != commune.id:
        raise Invalid(_("Ese emprendedor no pertenece a %(commune)s.", commune=commune.name))
    return nominate(slot, entrepreneur, by=by, reserve=reserve, now=now)


def renumber(slot: Slot, commune_id: int, reserve: bool) -> list[Nomination]:
    rows = list(
        db.session.execute(
            select(Nomination)
            .where(
                Nomination.slot_id == slot.id,
                Nomination.commune_id == commune_id,
                Nomination.is_reserve.is_(reserve),
                Nomination.state.in_(S.HOLDING),
            )
            .order_by(Nomination.position, Nomination.id)
        ).scalars()
    )
    for index, nomination in enumerate(rows):
        nomination.position = index
    return rows


def move(nomination: Nomination, direction: str, *, by: User, now: datetime | None = None) -> None:
    """Moves a nomination one place up or down within its list (main or reserve)."""
    if direction not in ("up", "down"):
        raise Invalid(_("Dirección no válida."))
    rows = _reorderable(nomination, by=by, now=now)
    index = rows.index(nomination)
    # It trades places with the nearest undecided one: the mall's decisions (an approval, the
    # waiting list's order) stay where they are.
    step = -1 if direction == "up" else 1
    other = next(
        (
            i
            for i in range(index + step, -1 if step < 0 else len(rows), step)
            if rows[i].state in S.PROPOSED
        ),
        None,
    )
    if other is None:
        return
    rows[index].position, rows[other].position = rows[other].position, rows[index].position
    db.session.flush()
    _record_reorder(nomination, index, other, by=by)


def _reorderable(nomination: Nomination, *, by: User, now: datetime | None) -> list[Nomination]:
    """The nomination's list, numbered 0, 1, 2 …, once it may be reordered: by its commune,
    while the list is open, and only while the mall has not decided it (as the page shows)."""
    _require_commune_actor(by, nomination.commune_id)
    _require_open(nomination.slot, now)
    if nomination.state not in S.PROPOSED:
        raise Conflict(_("Solo se reordenan las nominaciones aún no resueltas."))
    return renumber(nomination.slot, nomination.commune_id, nomination.is_reserve)


def _record_reorder(nomination: Nomination, before: int, after: int, *, by: User) -> None:
    audit.record(
        "nomination.reorder",
        nomination,
        actor=by,
        before={"position": before},
        after={"position": after},
        slot_id=nomination.slot_id,
        commune_id=nomination.commune_id,
        entrepreneur_id=nomination.entrepreneur_id,
    )


def move_to(nomination: Nomination, place: int, *, by: User, now: datetime | None = None) -> None:
    """Moves a nomination to ``place`` (1 = first) of its list in one step: on a phone, taking
    the tenth to the top is one tap, not nine. The mall's decisions stay where they are; the
    undecided ones shift around them."""
    rows = _reorderable(nomination, by=by, now=now)
    index = rows.index(nomination)
    target = min(max(place - 1, 0), len(rows) - 1)
    free = [i for i, row in enumerate(rows) if row.state in S.PROPOSED]
    order = [rows[i] for i in free if i != index]
    if target <= index:
        k = sum(1 for i in free if i < target)
    else:
        k = sum(1 for i in free if i <= target) - 1
    order.insert(k, nomination)
    positions = [rows[i].position for i in free]
    for row, position in zip(order, positions, strict=True):
        row.position = position
    db.session.flush()
    new_index = free[k]
    if new_index != index:
        _record_reorder(nomination, index, new_index, by=by)


def set_reserve(
    nomination: Nomination, reserve: bool, *, by: User, now: datetime | None = None
) -> None:
    """Moves a nomination between the main list (within quota) and the end of the reserve."""
    _require_commune_actor(by, nomination.commune_id)
    slot = nomination.slot
    _require_open(slot, now)
    if nomination.state not in S.PROPOSED:
        raise Conflict(_("Solo se cambian de lista las nominaciones aún no resueltas."))
    if nomination.is_reserve == reserve:
        return
    _lock(slot)
    if not reserve:
        allocation = allocation_for(slot, nomination.commune_id)
        stands = allocation.stands if allocation else 0
        if used_quota(slot, nomination.commune_id) >= stands:
            raise Conflict(
                _(
                    "La lista titular ya tiene los %(n)d stands de la comuna. Pase primero a "
                    "alguien a la reserva.",
                    n=stands,
                )
            )
    was_reserve = nomination.is_reserve
    nomination.is_reserve = reserve
    nomination.position = 10**6  # last of its new list; renumbered just below
    db.session.flush()
    renumber(slot, nomination.commune_id, reserve)
    renumber(slot, nomination.commune_id, was_reserve)
    db.session.flush()
    audit.record(
        "nomination.to_reserve" if reserve else "nomination.to_main",
        nomination,
        actor=by,
        before={"is_reserve": was_reserve},
        after={"is_reserve": reserve},
        slot_id=slot.id,
        commune_id=nomination.commune_id,
        entrepreneur_id=nomination.entrepreneur_id,
    )


def submit_list(
    slot: Slot, commune: Commune, *, by: User, now: datetime | None = None
) -> list[Nomination]:
    """Sends the commune's draft nominations to the mall (draft → submitted), main and reserve.

    Rechecks each entrepreneur: somebody made inactive or whose permit lapsed since being
    added stops the whole submission, with the names, so nothing half-sent remains.
    """
    _require_commune_actor(by, commune.id)
    _require_open(slot, now)
    listing = commune_list(slot, commune.id)
    drafts = listing.drafts
    if not drafts:
        raise Conflict(_("No hay nominaciones en borrador que enviar."))
    ids = [n.entrepreneur_id for n in drafts]
    weeks = weeks_in_year(ids, slot.year, exclude_slot_id=slot.id)
    problems = [
        p
        for n in drafts
        if (
            p := eligibility_problem(
                n.entrepreneur, slot, weeks_this_year=weeks.get(n.entrepreneur_id, 0)
            )
        )
    ]
    if problems:
        raise Conflict(" ".join(problems))
    for nomination in drafts:
        nomination_states.apply(nomination, "submit", by=by, now=now)
    return drafts


def withdraw(
    nomination: Nomination, *, by: User, reason: str = "", now: datetime | None = None
) -> None:
    """The commune takes a nomination off its list (review.decide does it, as for the mall's
    decisions: the list closes up, a stand is freed and the waitlist promoted)."""
    from app.domain import review

    review.decide(nomination, "withdraw", by=by, reason=reason, now=now)
    db.session.flush()


@dataclass
class SlotSummary:
    slot: Slot
    commune: Commune
    stands: int
    main: int
    reserve: int
    drafts: int


def open_lists(user: User, *, today: date) -> list[SlotSummary]:
    """The upcoming weeks' lists a user may see: an officer's own commune, or every commune."""
    query = (
        select(Slot)
        .where(
            Slot.ends_on >= today,
            Slot.state.in_(
                (SlotState.NOMINATIONS_OPEN, SlotState.NOMINATIONS_CLOSED, SlotState.PUBLISHED)
            ),
        )
        .options(selectinload(Slot.allocations).selectinload(SlotAllocation.commune))
        .order_by(Slot.starts_on)
    )
    slots = list(db.session.execute(query).scalars())
    counts: dict[tuple[int, int], list[int]] = {}
    if slots:
        rows = db.session.execute(
            select(
                Nomination.slot_id,
                Nomination.commune_id,
                Nomination.is_reserve,
                Nomination.state,
                func.count(),
            )
            .where(Nomination.slot_id.in_([s.id for s in slots]), Nomination.state.in_(S.HOLDING))
            .group_by(
                Nomination.slot_id, Nomination.commune_id, Nomination.is_reserve, Nomination.state
            )
        ).all()
        for slot_id, commune_id, is_reserve, state, n in rows:
            entry = counts.setdefault((slot_id, commune_id), [0, 0, 0])
            entry[1 if is_reserve else 0] += n
            if state is S.DRAFT:
                entry[2] += n
    result = []
    for slot in slots:
        for allocation in sorted(slot.allocations, key=lambda a: a.commune.name):
            if allocation.stands <= 0:
                continue
            if not policy.sees_commune(user, allocation.commune_id):
                continue
            main, reserve, drafts = counts.get((slot.id, allocation.commune_id), [0, 0, 0])
            result.append(
                SlotSummary(slot, allocation.commune, allocation.stands, main, reserve, drafts)
            )
    return result
