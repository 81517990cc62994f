"""`flask demo generate --scale N`: the province N times over, for benchmarks and query budgets.

At scale 1: 5 communes, 25 stands, 2 years of monthly weeks, 150 entrepreneurs per commune, and
for every past week a full roster (nominations attended or no-show, with their stands), a
published one for the next week, and the week after that under review: its nominations closed,
each commune with stands that week having submitted as many people as it has stands (and a
reserve of 3 when it has more people), none decided yet: the coordinators' heaviest page.
Scale N multiplies each dimension. Rows are written with bulk
inserts: the rules are exercised by the tests, this only has to be realistic in shape and size.
"""

from __future__ import annotations

import random
from datetime import date, time, timedelta

from sqlalchemy import func, insert, select

from app import clock
from app.demo.loader import DEMO_PASSWORD, DemoRefused
from app.demo.people import CATEGORIES, FOOD_CATEGORIES
from app.domain import accounts, rotation
from app.domain.rut import check_digit
from app.extensions import db
from app.models import (
    AllocationMode,
    Category,
    Commune,
    Entrepreneur,
    Nomination,
    NominationState,
    OpeningHours,
    Program,
    Role,
    Slot,
    SlotState,
    Stand,
    StandAssignment,
    User,
    Venue,
    WeekRule,
)
from app.models.types import utcnow

BASE_COMMUNES = ["Melipilla", "Alhué", "Curacaví", "María Pinto", "San Pedro"]
PALETTE = [
    "#1f6feb",
    "#d97706",
    "#7c3aed",
    "#059669",
    "#dc2626",
    "#0891b2",
    "#be185d",
    "#65a30d",
    "#9333ea",
    "#ea580c",
]


def generate(scale: int, *, seed: int = 7) -> dict[str, int]:
    if scale < 1:
        raise ValueError("scale must be at least 1")
    if db.session.execute(select(func.count()).select_from(User)).scalar_one():
        raise DemoRefused("La base de datos no está vacía.")
    rng = random.Random(seed)
    today = clock.today()
    years = 2 * scale
    # The span ends in the year half a year from now: whatever the date, it has completed weeks
    # behind it and planned ones ahead (in January too).
    first_year = (today + timedelta(days=183)).year - years + 1
    hasher_password = accounts.hash_password(DEMO_PASSWORD)

    venue = Venue(
        name="Mall Espacio Urbano Melipilla",
        slug="espacio-urbano-melipilla",
        city="Melipilla",
        timezone="America/Santiago",
    )
    venue.hours = [OpeningHours(weekday=d, opens=time(10), closes=time(21)) for d in range(7)]
    db.session.add(venue)
    db.session.flush()
    n_stands = 25 * scale
    db.session.execute(
        insert(Stand),
        [
            {
                "venue_id": venue.id,
                "code": f"E-{i:03d}",
                "location": "Nivel 1",
                "area_m2": 6,
                "has_power": i % 3 != 0,
                "food_allowed": i % 5 == 0,
                "active": True,
                "map_x": 20 + ((i - 1) % 12) * 70,
                "map_y": 20 + ((i - 1) // 12 % 4) * 70,
            }
            for i in range(1, n_stands + 1)
        ],
    )

    communes = []
    for i in range(5 * scale):
        base = BASE_COMMUNES[i % 5]
        suffix = "" if i < 5 else f" {i // 5 + 1}"
        communes.append(
            Commune(
                name=f"{base}{suffix}",
                slug=_slug(f"{base}{suffix}"),
                ine_code=f"{13501 + i:05d}",
                color=PALETTE[i % len(PALETTE)],
            )
        )
    db.session.add_all(communes)
    categories = [
        Category(slug=s, name=n, requires_food_permit=s in FOOD_CATEGORIES) for s, n in CATEGORIES
    ]
    db.session.add_all(categories)
    db.session.flush()

    users = [
        {"email": "admin@example.com", "name": "Administración", "role": Role.ADMIN},
        {"email": "coordinador@example.com", "name": "Coordinación", "role": Role.COORDINATOR},
        {"email": "viewer@example.com", "name": "Consejo", "role": Role.VIEWER},
    ] + [
        {
            "email": f"{c.slug}@example.com",
            "name": f"Encargado {c.name}",
            "role": Role.OFFICER,
            "commune_id": c.id,
        }
        for c in communes
    ]
    db.session.execute(
        insert(User),
        [
            {
                "commune_id": None,
                **u,
                "password_hash": hasher_password,
                "active": True,
                "locale": "es",
                "session_version": 1,
                "must_change_password": False,
                "created_at": utcnow(),
            }
            for u in users
        ],
    )

    people = []
    body = 10_000_000
    for commune in communes:
        for k in range(150):
            body += 1
            category = categories[rng.randrange(len(categories))]
            food = category.requires_food_permit
            people.append(
                {
                    "commune_id": commune.id,
                    "business_name": f"Emprendimiento {commune.slug} {k}",
                    "owner_name": f"Persona {k}",
                    "rut": f"{body}-{check_digit(body)}",
                    "email": f"e{body}@example.com",
                    "phone": f"+569{body % 100_000_000:08d}",
                    "category_id": category.id,
                    "description": "",
                    "needs_power": rng.random() < 0.4,
                    "needs_table": rng.random() < 0.5,
                    "needs_food_handling": food,
                    "sanitary_resolution": "Res. 1/2026" if food else None,
                    "sanitary_expiry": date(today.year + 5, 12, 31) if food else None,
                    "public_consent": rng.random() < 0.6,
                    "active": True,
                    "notes": "",
                    "created_at": utcnow(),
                    "updated_at": utcnow(),
                }
            )
    db.session.execute(insert(Entrepreneur), people)

    program = Program(
        venue=venue,
        name=f"Vitrina escala {scale}",
        starts_on=date(first_year, 1, 1),
        ends_on=date(first_year + years - 1, 12, 31),
        mode=AllocationMode.HOST,
        week_rule=WeekRule.NTH_FULL_WEEK,
        week_rule_n=2,
    )
    db.session.add(program)
    db.session.flush()
    slots: list[Slot] = []
    for year in range(first_year, first_year + years):
        slots += rotation.generate_slots(program, year, by=None).created
        rotation.plan_year(program, year, by=None, apply=True)
    # As in a live system, the next week's roster is already out: the public showcase and the
    # feeds then have a coming week to show, whatever the date the data is generated on.
    coming = sorted((s for s in slots if s.starts_on > today), key=lambda s: s.starts_on)
    next_week, in_review = (coming + [None, None])[:2]
    for slot in slots:
        if slot.ends_on < today:
            slot.state = SlotState.COMPLETED
        elif slot.starts_on <= today:
            slot.state = SlotState.IN_PROGRESS
        elif slot is next_week:
            slot.state = SlotState.PUBLISHED
        elif slot is in_review:
            slot.state = SlotState.NOMINATIONS_CLOSED
            slot.nominations_deadline = clock.now_utc() - timedelta(days=1)
        else:
            slot.state = SlotState.PLANNED
    db.session.flush()
    roster_state = {
        SlotState.IN_PROGRESS: NominationState.CONFIRMED,
        SlotState.PUBLISHED: NominationState.APPROVED,
    }

    by_commune: dict[int, list[int]] = {}
    for entrepreneur_id, commune_id in db.session.execute(
        select(Entrepreneur.id, Entrepreneur.commune_id)
    ):
        by_commune.setdefault(commune_id, []).append(entrepreneur_id)
    stand_ids = list(db.session.execute(select(Stand.id).order_by(Stand.code)).scalars())
    n_nominations = 0
    for slot in slots:
        if slot.state not in (SlotState.COMPLETED, *roster_state):
            continue
        host = rotation.host_of(slot)
        pool = by_commune.get(host, [])
        chosen = rng.sample(pool, min(len(pool), len(stand_ids)))
        nominations = [
            {
                "slot_id": slot.id,
                "entrepreneur_id": e,
                "commune_id": host,
                "state": (
                    NominationState.NO_SHOW if rng.random() < 0.08 else NominationState.ATTENDED
                )
                if slot.state is SlotState.COMPLETED
                else roster_state[slot.state],
                "is_reserve": False,
                "position": i,
                "reason": "",
                "created_at": utcnow(),
                "updated_at": utcnow(),
                "sequence": 3,
            }
            for i, e in enumerate(chosen)
        ]
        ids = db.session.execute(
            insert(Nomination).returning(Nomination.id, sort_by_parameter_order=True), nominations
        ).scalars()
        db.session.execute(
            insert(StandAssignment),
            [
                {
                    "slot_id": slot.id,
                    "stand_id": stand_ids[i],
                    "nomination_id": nomination_id,
                    "assigned_at": utcnow(),
                }
                for i, nomination_id in enumerate(ids)
            ],
        )
        n_nominations += len(nominations)
    if in_review is not None:
        n_nominations += _submitted_lists(in_review, by_commune, rng)
    db.session.flush()
    return {
        "communes": len(communes),
        "stands": n_stands,
        "entrepreneurs": len(people),
        "weeks": len(slots),
        "nominations": n_nominations,
    }


def _submitted_lists(slot: Slot, by_commune: dict[int, list[int]], rng: random.Random) -> int:
    """Each commune with stands that week submitted its stands' worth of nominations, and a
    reserve of 3 if it has the people; the mall has decided none of them yet."""
    rows = []
    for allocation in slot.allocations:
        if allocation.stands <= 0:
            continue
        pool = by_commune.get(allocation.commune_id, [])
        chosen = rng.sample(pool, min(len(pool), allocation.stands + 3))
        rows += [
            {
                "slot_id": slot.id,
                "entrepreneur_id": e,
                "commune_id": allocation.commune_id,
                "state": NominationState.SUBMITTED,
                "is_reserve": i >= allocation.stands,
                "position": i if i < allocation.stands else i - allocation.stands,
                "reason": "",
                "created_at": utcnow(),
                "updated_at": utcnow(),
                "sequence": 1,
            }
            for i, e in enumerate(chosen)
        ]
    if rows:
        db.session.execute(insert(Nomination), rows)
    return len(rows)


def _slug(name: str) -> str:
    import unicodedata

    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return "-".join(ascii_name.lower().split())
