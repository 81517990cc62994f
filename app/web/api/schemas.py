"""The API's shapes: what it reads (checked before any domain call) and what it answers.

Inputs refuse what the database could not hold (a NUL character, a lone surrogate, an id
beyond an INTEGER column, a year out of range) with a 422, never a 500.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from app.models import NominationState, Role, SlotState
from app.web.params import MAX_DATE, MAX_ID, MIN_DATE


def _storable(text: str) -> str:
    if "\x00" in text:
        raise ValueError("contains a NUL character")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError("is not valid Unicode text") from exc
    return text


def _in_range(value: date) -> date:
    if not MIN_DATE <= value <= MAX_DATE:
        raise ValueError(f"must be between {MIN_DATE} and {MAX_DATE}")
    return value


def Text(max_length: int) -> type[str]:  # noqa: N802 - reads as a type in the models below
    return Annotated[str, Field(max_length=max_length), AfterValidator(_storable)]  # type: ignore[return-value]


Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Day = Annotated[date, AfterValidator(_in_range)]


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- errors ---------------------------------------------------------------------------------


class FieldProblem(BaseModel):
    field: str = Field(description="The field at fault, as named in the request.")
    message: str


class Problem(BaseModel):
    """An error, as RFC 9457 describes it (application/problem+json)."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    errors: list[FieldProblem] | None = Field(
        default=None, description="Each invalid field and why, when the input was at fault."
    )


# --- the public side ------------------------------------------------------------------------


class CommuneRef(BaseModel):
    id: int
    slug: str
    name: str


class CommuneOut(CommuneRef):
    color: str = Field(description="The commune's colour on calendars, as #rrggbb.")


class CommuneList(BaseModel):
    items: list[CommuneOut]


class CategoryOut(BaseModel):
    id: int
    slug: str
    name: str
    requires_food_permit: bool
    active: bool


class CategoryList(BaseModel):
    items: list[CategoryOut]


class HostOut(BaseModel):
    commune: CommuneRef
    stands: int
    is_host: bool


class WeekOut(BaseModel):
    id: int
    starts_on: date
    ends_on: date = Field(description="The last day of the week, inclusive.")
    state: SlotState
    capacity: int = Field(description="Stands offered that week.")
    nominations_deadline: datetime | None
    roster_published: bool
    hosts: list[HostOut] = Field(description="Communes with stands that week, the host first.")


class Pagination(BaseModel):
    page: int
    per_page: int
    total: int
    pages: int


class WeekPage(Pagination):
    items: list[WeekOut]


class PublicStandOut(BaseModel):
    """One stand of a published week, held by an entrepreneur who agreed to be shown."""

    stand_code: str
    business_name: str
    category: str
    description: str
    website: str | None
    commune: CommuneRef


class RosterOut(BaseModel):
    week: WeekOut
    published: bool = Field(description="False until the mall publishes the week's roster.")
    stands: list[PublicStandOut]


class ShowcaseOut(BaseModel):
    week: WeekOut | None = Field(description="The week on at the mall now, else the next one.")
    is_current: bool
    stands: list[PublicStandOut]
    upcoming: list[WeekOut]


class WeeksQuery(Input):
    page: int = Field(1, ge=1, le=10_000)
    per_page: int = Field(20, ge=1, le=100)
    year: int | None = Field(None, ge=1900, le=2999)
    state: SlotState | None = None


# --- signed-in: who is calling --------------------------------------------------------------


class MeOut(BaseModel):
    id: int
    name: str
    email: str
    role: Role
    commune: CommuneRef | None = Field(description="An officer's commune; None for other roles.")


# --- registry -------------------------------------------------------------------------------


class CategoryRef(BaseModel):
    id: int
    name: str


class EntrepreneurOut(BaseModel):
    id: int
    commune: CommuneRef
    business_name: str
    owner_name: str
    rut: str = Field(description="Formatted: 12.345.678-5")
    email: str | None
    phone: str | None = Field(description="Normalised: +56912345678")
    category: CategoryRef
    description: str
    website: str | None
    needs_power: bool
    needs_table: bool
    needs_food_handling: bool
    sanitary_resolution: str | None
    sanitary_expiry: date | None
    public_consent: bool
    active: bool
    notes: str
    version: int = Field(description="Send it back when updating: a newer one means a conflict.")


class EntrepreneurPage(Pagination):
    items: list[EntrepreneurOut]


class EntrepreneursQuery(Input):
    q: Text(100) = ""  # type: ignore[valid-type]
    category_id: Id | None = None
    commune_id: Id | None = None
    status: Literal["active", "inactive", "all"] = "active"
    page: int = Field(1, ge=1, le=10_000)


class EntrepreneurFields(Input):
    business_name: Text(160)  # type: ignore[valid-type]
    owner_name: Text(160)  # type: ignore[valid-type]
    rut: Text(20)  # type: ignore[valid-type]
    email: Text(254) | None = None  # type: ignore[valid-type]
    phone: Text(30) | None = None  # type: ignore[valid-type]
    category_id: Id
    description: Text(2000) = ""  # type: ignore[valid-type]
    website: Text(300) | None = None  # type: ignore[valid-type]
    needs_power: bool = False
    needs_table: bool = False
    needs_food_handling: bool = False
    sanitary_resolution: Text(60) | None = None  # type: ignore[valid-type]
    sanitary_expiry: Day | None = None
    public_consent: bool = False
    active: bool = True
    notes: Text(4000) = ""  # type: ignore[valid-type]


class EntrepreneurCreate(EntrepreneurFields):
    commune_id: Id | None = Field(
        None, description="Required, except for an officer: theirs is the only one they may use."
    )


class EntrepreneurUpdate(Input):
    """Only the fields sent change; `version` (optional) refuses to overwrite a newer edit."""

    version: int | None = Field(None, ge=1, le=MAX_ID)
    business_name: Text(160) | None = None  # type: ignore[valid-type]
    owner_name: Text(160) | None = None  # type: ignore[valid-type]
    rut: Text(20) | None = None  # type: ignore[valid-type]
    email: Text(254) | None = None  # type: ignore[valid-type]
    phone: Text(30) | None = None  # type: ignore[valid-type]
    category_id: Id | None = None
    description: Text(2000) | None = None  # type: ignore[valid-type]
    website: Text(300) | None = None  # type: ignore[valid-type]
    needs_power: bool | None = None
    needs_table: bool | None = None
    needs_food_handling: bool | None = None
    sanitary_resolution: Text(60) | None = None  # type: ignore[valid-type]
    sanitary_expiry: Day | None = None
    public_consent: bool | None = None
    active: bool | None = None
    notes: Text(4000) | None = None  # type: ignore[valid-type]


# --- nominations and review -----------------------------------------------------------------


class EntrepreneurRef(BaseModel):
    id: int
    business_name: str


class NominationOut(BaseModel):
    id: int
    week_id: int
    commune: CommuneRef
    entrepreneur: EntrepreneurRef
    state: NominationState
    is_reserve: bool
    position: int
    reason: str = Field(description="The reason given with the last decision, if any.")
    stand_code: str | None = Field(None, description="The stand it holds, once approved.")


class NominationListOut(BaseModel):
    """A commune's list for one week."""

    week_id: int
    commune: CommuneRef
    stands: int = Field(description="The commune's stands that week (its quota).")
    used: int = Field(description="Main-list places taken.")
    open: bool = Field(description="Whether the commune can still change this list.")
    closed_reason: str | None = Field(description="Why it cannot, when it cannot.")
    main: list[NominationOut]
    reserve: list[NominationOut]
    closed: list[NominationOut] = Field(description="Withdrawn, rejected, cancelled.")


class ListSummaryOut(BaseModel):
    week: WeekOut
    commune: CommuneRef
    stands: int
    main: int
    reserve: int
    drafts: int


class ListSummaries(BaseModel):
    items: list[ListSummaryOut]


class WeekNominations(BaseModel):
    """What the mall reviews for one week: every commune's sent nominations."""

    week: WeekOut
    items: list[NominationOut]


class ActionResult(BaseModel):
    nomination: NominationOut
    promoted: list[NominationOut] = Field(
        default_factory=list, description="Waitlisted nominations given the freed stand."
    )


class NominateIn(Input):
    entrepreneur_id: Id
    reserve: bool = False


class MoveIn(Input):
    direction: Literal["up", "down"]


class ListIn(Input):
    to: Literal["main", "reserve"]


class WithdrawIn(Input):
    reason: Text(500) = ""  # type: ignore[valid-type]


class ApproveIn(Input):
    stand_id: Id | None = Field(None, description="A free stand; else the best fit is chosen.")


class RejectIn(Input):
    reason: Text(500)  # type: ignore[valid-type]


class WaitlistIn(Input):
    reason: Text(500) = ""  # type: ignore[valid-type]
