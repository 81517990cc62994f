"""All models, imported here so Alembic and the app see the whole schema."""

from app.models.audit import AuditEvent
from app.models.calendars import CalendarToken
from app.models.changes import DataVersion
from app.models.communes import Commune
from app.models.inbox import InboxItem
from app.models.nominations import Nomination, NominationState, StandAssignment
from app.models.outbox import OutboxMessage, OutboxState
from app.models.registry import (
    Category,
    Entrepreneur,
    ImportState,
    RegistryImport,
    RegistryImportRow,
)
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
    "CalendarToken",
    "Category",
    "Commune",
    "DataVersion",
    "CommuneUnavailability",
    "Entrepreneur",
    "ImportState",
    "InboxItem",
    "Nomination",
    "NominationState",
    "OpeningHours",
    "OutboxMessage",
    "OutboxState",
    "Program",
    "RegistryImport",
    "RegistryImportRow",
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
