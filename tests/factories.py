"""Test data built through the domain functions, as the app itself would build it."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select

from app import clock
from app.domain import accounts, rotation
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
    WeekRule,
)

PASSWORD = "vitrina-demo"
_COMMUNES = [
    ("Melipilla", "melipilla", "13501", "#1f6feb"),
    ("Alhué", "alhue", "13502", "#d97706"),
    ("Curacaví", "curacavi", "13503", "#7c3aed"),
    ("María Pinto", "maria-pinto", "13504", "#059669"),
    ("San Pedro", "san-pedro", "13505", "#dc2626"),
]


def make_communes() -> list[Commune]:
    communes = [Commune(name=n, slug=s, ine_code=c, color=col) for n, s, c, col in _COMMUNES]
    db.session.add_all(communes)
    db.session.flush()
    return communes


def make_user(email: str, role: Role, commune: Commune | None = None, name: str = "") -> User:
    user, _ = accounts.create_user(
        email=email,
        name=name or email.split("@")[0],
        role=role,
        commune=commune,
        password=PASSWORD,
        by=None,
    )
    return user


def make_venue(stands: int = 10, food: int = 3, power_every: int = 2) -> Venue:
    venue = Venue(name="Mall Espacio Urbano Melipilla", slug="eu-melipilla", city="Melipilla")
    venue.hours = [OpeningHours(weekday=d, opens=time(10), closes=time(21)) for d in range(7)]
    db.session.add(venue)
    for i in range(1, stands + 1):
        db.session.add(
            Stand(
                venue=venue,
                code=f"E-{i:02d}",
                has_power=i % power_every == 0,
                food_allowed=i > stands - food,
                active=True,
            )
        )
    db.session.flush()
    return venue


def make_program(venue: Venue, *, year: int = 2027, mode=AllocationMode.HOST) -> Program:
    program = Program(
        venue=venue,
        name=f"Vitrina {year}",
        starts_on=date(year, 1, 1),
        ends_on=date(year, 12, 31),
        mode=mode,
        week_rule=WeekRule.NTH_FULL_WEEK,
        week_rule_n=2,
    )
    db.session.add(program)
    db.session.flush()
    rotation.generate_slots(program, year, by=None)
    return program


def make_category(slug: str = "artesania", food: bool = False) -> Category:
    category = Category(slug=slug, name=slug.capitalize(), requires_food_permit=food)
    db.session.add(category)
    db.session.flush()
    return category


def make_entrepreneur(commune: Commune, category: Category, rut: str, **kw) -> Entrepreneur:
    entrepreneur = Entrepreneur(
        commune=commune,
        category=category,
        rut=rut,
        business_name=kw.pop("business_name", f"Negocio {rut}"),
        owner_name=kw.pop("owner_name", "Persona de Prueba"),
        **kw,
    )
    db.session.add(entrepreneur)
    db.session.flush()
    return entrepreneur


def make_world() -> dict:
    """The province in small: five communes, a venue, users of every role."""
    communes = make_communes()
    venue = make_venue()
    users = {
        "admin": make_user("admin@example.com", Role.ADMIN),
        "coordinator": make_user("coordinador@example.com", Role.COORDINATOR),
        "viewer": make_user("viewer@example.com", Role.VIEWER),
        "officer": make_user("melipilla@example.com", Role.OFFICER, communes[0]),
        "other_officer": make_user("alhue@example.com", Role.OFFICER, communes[1]),
    }
    db.session.commit()
    return {"communes": communes, "venue": venue, "users": users}


# Before 2027's weeks open: a program for 2027 is planned, nothing taken yet.
PLANNING_TIME = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)


def make_program_world(app, *, plan: bool = True) -> dict:
    """make_world plus a 2027 program (2nd full week of each month, Monday–Sunday), planned by
    the fair planner unless `plan` is false, with the clock in November 2026."""
    app.config["FIXED_NOW"] = PLANNING_TIME
    world = make_world()
    world["program"] = make_program(world["venue"], year=2027)
    if plan:
        rotation.plan_year(world["program"], 2027, by=None, apply=True)
    db.session.commit()
    return world


def rule_of(program: Program, **changes) -> dict:
    """A program's week rule as update_rule takes it, with `changes` applied."""
    values = dict(
        mode=program.mode,
        week_rule=program.week_rule,
        week_rule_n=program.week_rule_n,
        week_rule_weekday=program.week_rule_weekday,
        week_start_weekday=program.week_start_weekday,
        week_length_days=program.week_length_days,
        nominations_close_days=program.nominations_close_days,
        max_weeks_per_entrepreneur_year=program.max_weeks_per_entrepreneur_year,
    )
    values.update(changes)
    return values


# --- registry and nominations ---------------------------------------------------------------

BEFORE_DEADLINE = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)


def register(commune: Commune, category: Category, rut: str, *, by: User | None = None, **kw):
    """An entrepreneur registered through the registry's own rules, as an officer would."""
    from app.domain import registry

    actor = (
        by or db.session.execute(select(User).where(User.role == Role.ADMIN).limit(1)).scalar_one()
    )
    data = {
        "business_name": kw.pop("business_name", f"Negocio {rut}"),
        "owner_name": kw.pop("owner_name", "Persona de Prueba"),
        "rut": rut,
        "category": category,
        "active": kw.pop("active", True),
        **kw,
    }
    return registry.create_entrepreneur(data, commune=commune, by=actor)


def open_slot(program: Program, quotas: dict[Commune, int], *, index: int = 0) -> Slot:
    """A slot of the program taking nominations, with these stands per commune."""
    from app.domain import rotation

    slot = program.slots[index]
    rotation.set_allocations(
        slot, {c.id: n for c, n in quotas.items()}, host_id=None, by=None, reason="prueba"
    )
    slot.state = SlotState.NOMINATIONS_OPEN
    db.session.flush()
    return slot


def make_nominations_world(app, stands: int = 2) -> dict:
    """make_world plus a 2027 program whose January slot takes nominations (Melipilla: `stands`
    stands, Alhué: 1), categories for crafts and food, and the clock before the deadline."""
    world = make_world()
    app.config["FIXED_NOW"] = BEFORE_DEADLINE
    program = make_program(world["venue"])
    crafts = make_category("artesania")
    food = make_category("miel", food=True)
    melipilla, alhue = world["communes"][0], world["communes"][1]
    slot = open_slot(program, {melipilla: stands, alhue: 1})
    db.session.commit()
    return {
        **world,
        "program": program,
        "slot": slot,
        "crafts": crafts,
        "food": food,
        "melipilla": melipilla,
        "alhue": alhue,
    }


def make_registry_access_values(world: dict) -> dict:
    """Ids for the access matrix: one entrepreneur, nomination and import per commune side
    (Melipilla is the matrix officer's commune; Alhué is another commune)."""
    from app.domain import csv_import, nominations

    melipilla, alhue = world["communes"][0], world["communes"][1]
    officer, other = world["users"]["officer"], world["users"]["other_officer"]
    program = make_program(world["venue"])
    category = make_category()
    slot = open_slot(program, {melipilla: 3, alhue: 3})
    # Whatever the day the suite runs, this slot is still taking nominations.
    slot.nominations_deadline = clock.now_utc() + timedelta(days=30)
    own = register(melipilla, category, "12345678-5", by=officer)
    own_spare = register(melipilla, category, "11111111-1", by=officer)
    theirs = register(alhue, category, "22222222-2", by=other)
    theirs_spare = register(alhue, category, "33333333-3", by=other)
    own_nomination = nominations.nominate(slot, own, by=officer)
    their_nomination = nominations.nominate(slot, theirs, by=other)
    csv_file = "RUT;Nombre del negocio;Titular;Categoría\n7.654.321-6;Nuevo;Ana;Artesania\n"
    own_import = csv_import.start_import(
        csv_file.encode(), filename="a.csv", commune=melipilla, by=officer
    )
    their_import = csv_import.start_import(
        csv_file.replace("7.654.321-6", "8.765.432-K").encode(),
        filename="b.csv",
        commune=alhue,
        by=other,
    )
    db.session.commit()
    return {
        "reg_slot_id": slot.id,
        "reg_own_commune_id": melipilla.id,
        "reg_other_commune_id": alhue.id,
        "reg_own_entrepreneur_id": own.id,
        "reg_own_spare_id": own_spare.id,
        "reg_other_entrepreneur_id": theirs.id,
        "reg_other_spare_id": theirs_spare.id,
        "reg_own_nomination_id": own_nomination.id,
        "reg_other_nomination_id": their_nomination.id,
        "reg_own_import": own_import.token,
        "reg_other_import": their_import.token,
        "reg_category_id": category.id,
    }


# --- the public showcase --------------------------------------------------------------------

# What must never reach a public page: everything of Beto (who did not agree to be shown) and
# the owner's name, RUT, email and phone of everyone.
SHOWCASE_PEOPLE = {
    "ana": {
        "commune": "melipilla",
        "rut": "12345678-5",
        "business_name": "Quesos Ana",
        "owner_name": "Ana Titular Reservada",
        "email": "ana.privado@example.com",
        "phone": "+56911112222",
        "description": "Quesos frescos de cabra hechos en Pomaire.",
        "website": "https://quesosana.cl/tienda",
        "public_consent": True,
    },
    "beto": {
        "commune": "melipilla",
        "rut": "11111111-1",
        "business_name": "Miel Beto Oculta",
        "owner_name": "Beto Titular Escondido",
        "email": "beto.privado@example.com",
        "phone": "+56933334444",
        "description": "Texto de Beto que nadie debe ver.",
        "website": "https://beto-oculto.cl",
        "public_consent": False,
    },
    "carla": {
        "commune": "alhue",
        "rut": "22222222-2",
        "business_name": "Cerámica Carla",
        "owner_name": "Carla Titular Privada",
        "email": "carla.privado@example.com",
        "phone": "+56955556666",
        "description": "Greda de Alhué.",
        "website": "",
        "public_consent": True,
    },
    "dora": {  # approved, then cancelled: her stand was released
        "commune": "melipilla",
        "rut": "33333333-3",
        "business_name": "Dulces Dora Retirada",
        "owner_name": "Dora Titular",
        "email": "dora.privado@example.com",
        "phone": "+56977778888",
        "description": "",
        "website": "",
        "public_consent": True,
    },
}
SHOWCASE_DURING = datetime(2027, 1, 13, 15, 0, tzinfo=UTC)  # inside the January week
SHOWCASE_BEFORE = datetime(2027, 1, 5, 15, 0, tzinfo=UTC)  # before it, roster published


def make_showcase_world(app) -> dict:
    """The January 2027 week published with its stands (Melipilla 3, Alhué 1), built through
    the nomination and review rules; February (Alhué) and April (Melipilla) planned, March
    cancelled. The clock stands inside the January week."""
    from app.domain import nominations, review, rotation, slot_states

    world = make_nominations_world(app, stands=3)
    slot, program = world["slot"], world["program"]
    coordinator = world["users"]["coordinator"]
    officers = {"melipilla": world["users"]["officer"], "alhue": world["users"]["other_officer"]}
    communes = {"melipilla": world["melipilla"], "alhue": world["alhue"]}
    people, picked = {}, {}
    for key, spec in SHOWCASE_PEOPLE.items():
        data = dict(spec)
        commune = communes[data.pop("commune")]
        officer = officers[commune.slug]
        people[key] = register(commune, world["crafts"], data.pop("rut"), by=officer, **data)
        picked[key] = nominations.nominate(slot, people[key], by=officer)
    for slug, commune in communes.items():
        nominations.submit_list(slot, commune, by=officers[slug])
    slot_states.transition_slot(slot, "close_nominations", by=coordinator)
    stands = {key: review.approve(n, by=coordinator).stand for key, n in picked.items()}
    review.decide(picked["dora"], "cancel", by=coordinator, reason="Se retiró")
    slot_states.transition_slot(slot, "publish", by=coordinator)
    february, march, april = program.slots[1], program.slots[2], program.slots[3]
    melipilla, alhue = world["melipilla"], world["alhue"]
    for week, host in ((february, alhue), (march, melipilla), (april, melipilla)):
        rotation.set_allocations(week, {host.id: 10}, host_id=host.id, by=None, reason="prueba")
    slot_states.transition_slot(march, "cancel", by=coordinator, reason="Remodelación")
    db.session.commit()
    app.config["FIXED_NOW"] = SHOWCASE_DURING
    return {
        **world,
        "people": people,
        "stands": stands,
        "february": february,
        "march": march,
        "april": april,
    }
