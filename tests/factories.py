"""Test data built through the domain functions, as the app itself would build it."""

from __future__ import annotations

from datetime import date, time

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
