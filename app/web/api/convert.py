"""Models → the API's answer shapes. Public shapes are built from the showcase's PublicStand
rows, which never read an owner's name, RUT, email or phone."""

from __future__ import annotations

from app.domain import showcase
from app.domain.rut import format_rut
from app.models import Commune, Entrepreneur, Nomination, Slot, SlotState
from app.web.api import schemas as s


def commune_ref(commune: Commune) -> s.CommuneRef:
    return s.CommuneRef(id=commune.id, slug=commune.slug, name=commune.name)


def commune(commune: Commune) -> s.CommuneOut:
    return s.CommuneOut(id=commune.id, slug=commune.slug, name=commune.name, color=commune.color)


def week(slot: Slot) -> s.WeekOut:
    return s.WeekOut(
        id=slot.id,
        starts_on=slot.starts_on,
        ends_on=slot.ends_on,
        state=slot.state,
        capacity=slot.capacity,
        nominations_deadline=slot.nominations_deadline,
        roster_published=slot.state in SlotState.ROSTER_PUBLIC,
        hosts=[
            s.HostOut(commune=commune_ref(a.commune), stands=a.stands, is_host=a.is_host)
            for a in showcase.hosts(slot)
        ],
    )


def public_stand(stand: showcase.PublicStand) -> s.PublicStandOut:
    return s.PublicStandOut(
        stand_code=stand.stand_code,
        business_name=stand.business_name,
        category=stand.category,
        description=stand.description,
        website=stand.website,
        commune=commune_ref(stand.commune),
    )


def entrepreneur(e: Entrepreneur) -> s.EntrepreneurOut:
    return s.EntrepreneurOut(
        id=e.id,
        commune=commune_ref(e.commune),
        business_name=e.business_name,
        owner_name=e.owner_name,
        rut=format_rut(e.rut),
        email=e.email,
        phone=e.phone,
        category=s.CategoryRef(id=e.category.id, name=e.category.name),
        description=e.description or "",
        website=e.website,
        needs_power=e.needs_power,
        needs_table=e.needs_table,
        needs_food_handling=e.needs_food_handling,
        sanitary_resolution=e.sanitary_resolution,
        sanitary_expiry=e.sanitary_expiry,
        public_consent=e.public_consent,
        active=e.active,
        notes=e.notes or "",
        version=e.version,
    )


def nomination(n: Nomination, stands: dict[int, str] | None = None) -> s.NominationOut:
    return s.NominationOut(
        id=n.id,
        week_id=n.slot_id,
        commune=commune_ref(n.commune),
        entrepreneur=s.EntrepreneurRef(
            id=n.entrepreneur.id, business_name=n.entrepreneur.business_name
        ),
        state=n.state,
        is_reserve=n.is_reserve,
        position=n.position,
        reason=n.reason or "",
        stand_code=(stands or {}).get(n.id),
    )
