"""`flask demo load`: fills an empty database with the province, the mall and a plan."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import holidays
from sqlalchemy import func, select

from app import clock
from app.demo.people import CATEGORIES, FOOD_CATEGORIES, generate_entrepreneurs
from app.domain import accounts, rotation
from app.domain.errors import Conflict
from app.extensions import db
from app.models import (
    AllocationMode,
    Category,
    Commune,
    Entrepreneur,
    OpeningHours,
    Program,
    Role,
    Slot,
    SlotState,
    Stand,
    User,
    Venue,
    VenueClosure,
    WeekRule,
)
from app.notifications import rules

DEMO_PASSWORD = "vitrina-demo"  # noqa: S105 - printed on purpose; refused in production

COMMUNES = [
    # name, slug, INE code, colour (blue, orange, purple, green, red: told apart by most eyes)
    ("Melipilla", "melipilla", "13501", "#1f6feb"),
    ("Alhué", "alhue", "13502", "#d97706"),
    ("Curacaví", "curacavi", "13503", "#7c3aed"),
    ("María Pinto", "maria-pinto", "13504", "#059669"),
    ("San Pedro", "san-pedro", "13505", "#dc2626"),
]
OFFICER_EMAILS = {
    "melipilla": "melipilla@example.com",
    "alhue": "alhue@example.com",
    "curacavi": "curacavi@example.com",
    "maria-pinto": "mariapinto@example.com",
    "san-pedro": "sanpedro@example.com",
}
OFFICER_NAMES = {
    "melipilla": "Carolina Muñoz",
    "alhue": "Pedro Valenzuela",
    "curacavi": "Francisca Rojas",
    "maria-pinto": "Jorge Soto",
    "san-pedro": "Daniela Contreras",
}
# Closed by law for retail ("feriados irrenunciables"): the holidays package cannot tell these.
IRRENUNCIABLES = {(1, 1), (5, 1), (9, 18), (9, 19), (12, 25)}
ENTREPRENEURS_PER_COMMUNE = 36


class DemoRefused(Exception):
    pass


def demo_accounts() -> list[tuple[str, str]]:
    rows = [
        ("admin@example.com", "Administrador"),
        ("coordinador@example.com", "Coordinador del mall"),
        ("viewer@example.com", "Observador (consejo provincial)"),
    ]
    rows += [(OFFICER_EMAILS[slug], f"Encargado comunal de {name}") for name, slug, *_ in COMMUNES]
    return rows


def load_demo(*, now: datetime | None = None, today: date | None = None) -> str:
    """Loads the demo as it would stand at `now` (default: the clock; `today`: noon that day
    at the mall): every week in the state its dates imply, its history made at the times it
    would have happened, through the same domain functions people use."""
    if db.session.execute(select(func.count()).select_from(User)).scalar_one():
        raise DemoRefused("La base de datos no está vacía: los datos de demostración no se cargan.")
    if now is None:
        now = (
            datetime.combine(today, time(12), tzinfo=clock.VENUE_TZ).astimezone(UTC)
            if today is not None
            else clock.now_utc()
        )
    today = now.astimezone(clock.VENUE_TZ).date()
    first, last = demo_years(today)
    with clock.frozen_at(now):
        venue = _venue(first, last)
        communes = _communes()
        categories = _categories()
        _users(communes)
        n_entrepreneurs = _entrepreneurs(communes, categories)
        program = Program(
            venue=venue,
            name=f"Vitrina Provincial {first}–{last}",
            starts_on=date(first, 1, 1),
            ends_on=date(last, 12, 31),
            mode=AllocationMode.HOST,
            week_rule=WeekRule.NTH_FULL_WEEK,
            week_rule_n=2,
            week_rule_weekday=0,
            week_start_weekday=0,
            week_length_days=7,
            nominations_close_days=14,
            max_weeks_per_entrepreneur_year=2,
        )
        db.session.add(program)
        db.session.flush()
        slots: list[Slot] = []
        for year in (first, last):
            slots += rotation.generate_slots(program, year, by=None).created
            rotation.plan_year(program, year, by=None, apply=True)
        db.session.flush()
    # History is replayed, not lived: nobody is e-mailed about last year's decisions. The last
    # month's notices wait in the staff's inboxes, as they would after a month's work.
    with clock.frozen_at(now), rules.muted(inbox_from=now - INBOX_DAYS):
        n_nominations = _history(slots, now)
    return (
        f"Demostración cargada: {venue.name}, {len(venue.stands)} stands, {len(communes)} comunas, "
        f"{n_entrepreneurs} emprendedores, {len(slots)} semanas en «{program.name}», "
        f"{n_nominations} nominaciones."
    )


def demo_years(today: date) -> tuple[int, int]:
    """The two calendar years of the demo program: whatever the day, at least half a year of
    history behind it and half a year of weeks ahead (in January, last year and this one)."""
    first = (today - timedelta(days=183)).year
    return first, first + 1


def _venue(first: int, last: int) -> Venue:
    venue = Venue(
        name="Mall Espacio Urbano Melipilla",
        slug="espacio-urbano-melipilla",
        city="Melipilla",
        address="Av. Vicuña Mackenna 3, Melipilla",
        timezone="America/Santiago",
    )
    venue.hours = [OpeningHours(weekday=d, opens=time(10, 0), closes=time(21, 0)) for d in range(7)]
    db.session.add(venue)
    # 24 stands in two corridors; the food court end has water and allows food.
    for i in range(1, 25):
        corridor = "Pasillo central" if i <= 12 else "Pasillo patio de comidas"
        db.session.add(
            Stand(
                venue=venue,
                code=f"E-{i:02d}",
                location=f"Nivel 1, {corridor}",
                area_m2=6 if i % 4 else 9,
                has_power=i % 3 != 0,
                food_allowed=i >= 19,
                active=True,
                map_x=40 + ((i - 1) % 12) * 70,
                map_y=60 if i <= 12 else 200,
            )
        )
    db.session.flush()
    for year in range(first, last + 1):
        for day, name in sorted(holidays.country_holidays("CL", years=year).items()):
            if (day.month, day.day) in IRRENUNCIABLES:
                db.session.add(
                    VenueClosure(
                        venue_id=venue.id, day=day, reason=f"Feriado irrenunciable: {name}"
                    )
                )
    return venue


def _communes() -> list[Commune]:
    communes = [Commune(name=n, slug=s, ine_code=c, color=col) for n, s, c, col in COMMUNES]
    db.session.add_all(communes)
    db.session.flush()
    return communes


def _categories() -> dict[str, Category]:
    categories = {
        slug: Category(slug=slug, name=name, requires_food_permit=slug in FOOD_CATEGORIES)
        for slug, name in CATEGORIES
    }
    db.session.add_all(categories.values())
    db.session.flush()
    return categories


def _users(communes: list[Commune]) -> None:
    staff = [
        ("admin@example.com", "Administración Vitrina", Role.ADMIN),
        ("coordinador@example.com", "Marcela Araya (Mall Espacio Urbano)", Role.COORDINATOR),
        ("viewer@example.com", "Consejo Provincial de Melipilla", Role.VIEWER),
    ]
    for email, name, role in staff:
        accounts.create_user(email=email, name=name, role=role, password=DEMO_PASSWORD, by=None)
    for commune in communes:
        accounts.create_user(
            email=OFFICER_EMAILS[commune.slug],
            name=OFFICER_NAMES[commune.slug],
            role=Role.OFFICER,
            commune=commune,
            password=DEMO_PASSWORD,
            by=None,
        )


def _entrepreneurs(communes: list[Commune], categories: dict[str, Category]) -> int:
    count = 0
    for commune in communes:
        for person in generate_entrepreneurs(commune.slug, ENTREPRENEURS_PER_COMMUNE, seed=2026):
            db.session.add(
                Entrepreneur(
                    commune=commune,
                    business_name=person.business_name,
                    owner_name=person.owner_name,
                    rut=person.rut,
                    email=person.email,
                    phone=person.phone,
                    category=categories[person.category],
                    description=person.description,
                    website=person.website,
                    needs_power=person.needs_power,
                    needs_table=person.needs_table,
                    needs_food_handling=person.needs_food_handling,
                    sanitary_resolution=person.sanitary_resolution,
                    sanitary_expiry=person.sanitary_expiry,
                    public_consent=person.public_consent,
                    active=person.active,
                )
            )
            count += 1
    db.session.flush()
    return count


# Nominations open for the next weeks this close to their start; the mall publishes a week's
# roster this many days before it starts (the days between the deadline and then are review).
OPEN_WITHIN_DAYS = 70
OPEN_WEEKS_AHEAD = 2
INBOX_DAYS = timedelta(days=31)  # a month of notices: a whole round of lists and decisions
PUBLISH_DAYS_BEFORE = 7
# Past weeks had this many entrepreneurs per commune; open weeks start with a few nominated.
PAST_NOMINEES = 10
OPEN_NOMINEES = 3


def state_at(slot: Slot, now: datetime, *, open_ahead: bool) -> SlotState:
    """The state the demo gives a week at `now`: the one its dates imply (`open_ahead`: it is
    among the next weeks that take nominations)."""
    today = now.astimezone(clock.VENUE_TZ).date()
    if slot.ends_on < today:
        return SlotState.COMPLETED
    if slot.starts_on <= today:
        return SlotState.IN_PROGRESS
    if slot.nominations_deadline is not None and slot.nominations_deadline <= now:
        if today >= slot.starts_on - timedelta(days=PUBLISH_DAYS_BEFORE):
            return SlotState.PUBLISHED
        return SlotState.NOMINATIONS_CLOSED  # the mall is reviewing the lists
    if open_ahead and slot.starts_on - timedelta(days=OPEN_WITHIN_DAYS) <= today:
        return SlotState.NOMINATIONS_OPEN
    return SlotState.PLANNED


def _history(slots: list[Slot], now: datetime) -> int:
    """Every week up to `now` as the people (and the clock) would have moved it, each step
    through the state machines at the time it would have happened: opened, nominated, closed
    by its deadline, reviewed, published, begun, attended and ended. This week's roster is
    confirmed; a week under review has every list sent and nothing decided; the open weeks
    have a short list per commune (some sent, some still drafts)."""
    from app.domain import nomination_states, nominations, review, transitions

    coordinator = db.session.execute(
        select(User).where(User.email == "coordinador@example.com")
    ).scalar_one()
    officers = {
        u.commune_id: u
        for u in db.session.execute(select(User).where(User.role == Role.OFFICER)).scalars()
    }

    def step(obj, name: str, at: datetime, *, by: User | None = coordinator) -> None:
        with clock.frozen_at(at):
            transitions.apply(obj, name, by=by, now=at)

    count = 0
    open_left = OPEN_WEEKS_AHEAD
    for slot in sorted(slots, key=lambda s: s.starts_on):
        final_state = state_at(slot, now, open_ahead=open_left > 0)
        if final_state is SlotState.NOMINATIONS_OPEN:
            open_left -= 1
        if final_state is SlotState.PLANNED:
            continue
        deadline = slot.nominations_deadline
        assert deadline is not None  # generate_slots gives every week one
        # The officers nominate a few days before the deadline; an open week's lists are being
        # made right now.
        during = min(deadline - timedelta(days=3), now - timedelta(hours=1))
        decided = deadline + timedelta(days=1)
        step(slot, "open_nominations", during - timedelta(days=1))
        wanted = OPEN_NOMINEES if final_state is SlotState.NOMINATIONS_OPEN else PAST_NOMINEES
        submitted = []
        for allocation in slot.allocations:
            if allocation.stands <= 0:
                continue
            commune = db.session.get(Commune, allocation.commune_id)
            officer = officers[commune.id]
            with clock.frozen_at(during):
                picked = [
                    c
                    for c in nominations.candidates(slot, commune, limit=200)
                    if c.problem is None and not c.nominated
                ][: min(wanted, allocation.stands)]
                for candidate in picked:
                    nominations.nominate(slot, candidate.entrepreneur, by=officer, now=during)
                    count += 1
                if final_state is SlotState.NOMINATIONS_OPEN:
                    # One commune in two has already sent its list; the others are drafting.
                    if picked and slot.starts_on.month % 2 == 0:
                        nominations.submit_list(slot, commune, by=officer, now=during)
                    continue
                submitted += nominations.submit_list(slot, commune, by=officer, now=during)
        if final_state is SlotState.NOMINATIONS_OPEN:
            continue
        step(slot, "close_nominations", deadline, by=None)  # the clock closes it
        if final_state is SlotState.NOMINATIONS_CLOSED:
            continue  # under review: nothing decided yet
        with clock.frozen_at(decided):
            confirmed = []
            for nomination in submitted:
                # Approval through the review, so each one holds a stand matched to its
                # needs; when no suitable stand is left (food stands go first) they wait.
                try:
                    with db.session.begin_nested():
                        review.approve(nomination, by=coordinator, now=decided)
                except Conflict:
                    nomination_states.apply(nomination, "waitlist", by=coordinator, now=decided)
                    continue
                nomination_states.apply(nomination, "confirm", by=coordinator, now=decided)
                confirmed.append(nomination)
        step(slot, "publish", clock.venue_midnight(slot.starts_on - timedelta(PUBLISH_DAYS_BEFORE)))
        if final_state is SlotState.PUBLISHED:
            continue
        step(slot, "start", clock.venue_midnight(slot.starts_on), by=None)
        if final_state is SlotState.IN_PROGRESS:
            continue
        first_day = datetime.combine(slot.starts_on, time(18), tzinfo=clock.VENUE_TZ)
        for index, nomination in enumerate(confirmed):
            name = "mark_no_show" if index % 9 == 8 else "mark_attended"
            step(nomination, name, first_day)
        step(slot, "complete", clock.venue_midnight(slot.ends_on + timedelta(days=1)), by=None)
    db.session.flush()
    return count
