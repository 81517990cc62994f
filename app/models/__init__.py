"""All models, imported here so Alembic and the app see the whole schema."""

from app.models.audit import AuditEvent
from app.models.communes import Commune
from app.models.nominations import Nomination, NominationState, StandAssignment
from app.models.registry import Category, Entrepreneur
from app.models.rotation import (
    AllocationMode,
    Blackout,
    CommuneUnavailability,
    Program,
    Slot,
    SlotAllocation,
    SlotState,
    SlotSwap,
    SwapState,
    WeekRule,
)
from app.models.users import Role, User
from app.models.venue import OpeningHours, Stand, StandClosure, Venue, VenueClosure

__all__ = [
    "AllocationMode",
    "AuditEvent",
    "Blackout",
    "Category",
    "Commune",
    "CommuneUnavailability",
    "Entrepreneur",
    "Nomination",
    "NominationState",
    "OpeningHours",
    "Program",
    "Role",
    "Slot",
    "SlotAllocation",
    "SlotState",
    "SlotSwap",
    "Stand",
    "StandAssignment",
    "StandClosure",
    "SwapState",
    "User",
    "Venue",
    "VenueClosure",
    "WeekRule",
]
