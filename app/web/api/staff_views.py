"""The token holders' side: who is calling, a commune's registry, its nomination lists and
their actions, the mall's review. Each view parses, calls the domain function the page calls,
and answers; the domain refuses what the caller's role cannot do."""

from __future__ import annotations

import json

from flask import Response, render_template
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import set_committed_value

from app import clock
from app.domain import nomination_states, nominations, registry, review, showcase
from app.domain.errors import Invalid
from app.extensions import db
from app.models import (
    Category,
    Commune,
    Nomination,
    NominationState,
    Role,
    Stand,
    StandAssignment,
)
from app.web.api import (
    COMMUNE_SIDE,
    EDITORS,
    MALL_SIDE,
    STAFF,
    actor,
    bp,
    convert,
    openapi_document,
    public,
    signed_in,
    signed_in_responses,
    spec,
)
from app.web.api import schemas as s

BEARER = {"bearer": []}
ME, REGISTRY, LISTS, REVIEW = "Cuenta", "Registro", "Nominaciones", "Revisión"


def _commit():
    db.session.commit()


# --- the document and its reference page ----------------------------------------------------


@bp.get("/openapi.json")
@public
def openapi():
    """The OpenAPI 3.1 document of this API, generated from these views."""
    response = Response(
        json.dumps(openapi_document(), ensure_ascii=False),
        mimetype="application/json",
    )
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.get("/docs")
@public
def reference():
    """A readable page of the API, rendered on the server from the same document."""
    return render_template("api/reference.html", doc=openapi_document())


# --- who is calling -------------------------------------------------------------------------


@bp.get("/me")
@signed_in(*STAFF)
@spec.validate(resp=signed_in_responses(HTTP_200=s.MeOut), tags=[ME], security=BEARER)
def me():
    """The token's owner: name, role and (for an officer) commune."""
    user = actor()
    return s.MeOut(
        id=user.id,
        name=user.name,
        email=user.email,
        role=user.role,
        commune=convert.commune_ref(user.commune) if user.commune else None,
    )


# --- registry -------------------------------------------------------------------------------


def _category(category_id: int, *, current: Category | None = None) -> Category:
    category = db.session.get(Category, category_id)
    if category is None or (not category.active and category is not current):
        raise Invalid(_("Esa categoría no existe o no está activa."), field="category_id")
    return category


def _fields(body: s.EntrepreneurCreate, category) -> dict:
    data = body.model_dump(exclude={"category_id", "commune_id"})  # defaults included
    data["category"] = category
    return data


@bp.get("/entrepreneurs")
@signed_in(*STAFF)
@spec.validate(
    resp=signed_in_responses(HTTP_200=s.EntrepreneurPage), tags=[REGISTRY], security=BEARER
)
def entrepreneurs(query: s.EntrepreneursQuery):
    """The registry the caller may see (an officer: their commune's), 25 a page."""
    user = actor()
    found = registry.search(
        user,
        registry.Filters(
            q=query.q.strip(),
            category_id=query.category_id,
            commune_id=query.commune_id,
            status=query.status,
            year=clock.today().year,
        ),
        page=query.page,
    )
    return s.EntrepreneurPage(
        items=[convert.entrepreneur(e) for e in found.items],
        page=found.page,
        per_page=found.per_page,
        total=found.total,
        pages=found.pages,
    )


@bp.post("/entrepreneurs")
@signed_in(*EDITORS)
@spec.validate(
    resp=signed_in_responses(conflict=True, HTTP_201=s.EntrepreneurOut),
    tags=[REGISTRY],
    security=BEARER,
)
def create_entrepreneur(json: s.EntrepreneurCreate):
    """Registers an entrepreneur (an officer: in their own commune)."""
    user = actor()
    if json.commune_id is not None:
        commune = db.session.get(Commune, json.commune_id)
        if commune is None:
            raise Invalid(_("Esa comuna no existe."), field="commune_id")
    elif user.is_officer:
        commune = user.commune
    else:
        raise Invalid(_("Elija la comuna del emprendedor."), field="commune_id")
    created = registry.create_entrepreneur(
        _fields(json, _category(json.category_id)), commune=commune, by=user
    )
    _commit()
    return convert.entrepreneur(registry.get_entrepreneur(created.id, user=user)), 201


@bp.get("/entrepreneurs/<int:entrepreneur_id>")
@signed_in(*STAFF)
@spec.validate(
    resp=signed_in_responses(HTTP_200=s.EntrepreneurOut), tags=[REGISTRY], security=BEARER
)
def entrepreneur(entrepreneur_id: int):
    """One entrepreneur of the registry (another commune's is a 404 for an officer)."""
    return convert.entrepreneur(registry.get_entrepreneur(entrepreneur_id, user=actor()))


@bp.patch("/entrepreneurs/<int:entrepreneur_id>")
@signed_in(*EDITORS)
@spec.validate(
    resp=signed_in_responses(conflict=True, HTTP_200=s.EntrepreneurOut),
    tags=[REGISTRY],
    security=BEARER,
)
def update_entrepreneur(entrepreneur_id: int, json: s.EntrepreneurUpdate):
    """Changes the fields sent. With `version`, refuses (409) if someone saved since."""
    user = actor()
    found = registry.get_entrepreneur(entrepreneur_id, user=user)
    data = {name: getattr(found, name) for name in registry.FIELDS if name != "category"}
    data["rut"] = found.rut
    sent = json.model_dump(exclude={"version", "category_id"}, exclude_unset=True)
    data.update(sent)
    category = found.category
    if "category_id" in json.model_fields_set and json.category_id is not None:
        category = _category(json.category_id, current=found.category)
    data["category"] = category
    registry.update_entrepreneur(found, data, by=user, expected_version=json.version)
    _commit()
    return convert.entrepreneur(registry.get_entrepreneur(entrepreneur_id, user=user))


# --- a commune's nomination lists -----------------------------------------------------------


def _stands_of(nomination_ids: list[int]) -> dict[int, str]:
    if not nomination_ids:
        return {}
    rows = db.session.execute(
        select(StandAssignment.nomination_id, Stand.code)
        .join(Stand, Stand.id == StandAssignment.stand_id)
        .where(
            StandAssignment.nomination_id.in_(nomination_ids),
            StandAssignment.released_at.is_(None),
        )
    ).all()
    return dict(rows)


def _list_out(slot, commune, quota: int) -> s.NominationListOut:
    listing = nominations.commune_list(slot, commune.id)
    everyone = [*listing.main, *listing.reserve, *listing.closed]
    for n in everyone:
        set_committed_value(n, "commune", commune)  # the same commune: no query per row
    stands = _stands_of([n.id for n in everyone])
    problem = nomination_states.window_problem(slot)
    return s.NominationListOut(
        week_id=slot.id,
        commune=convert.commune_ref(commune),
        stands=quota,
        used=sum(1 for n in listing.main if n.state in NominationState.QUOTA),
        open=problem is None,
        closed_reason=problem,
        main=[convert.nomination(n, stands) for n in listing.main],
        reserve=[convert.nomination(n, stands) for n in listing.reserve],
        closed=[convert.nomination(n, stands) for n in listing.closed],
    )


def _one(nomination: Nomination) -> s.NominationOut:
    return convert.nomination(nomination, _stands_of([nomination.id]))


@bp.get("/nomination-lists")
@signed_in(*STAFF)
@spec.validate(resp=signed_in_responses(HTTP_200=s.ListSummaries), tags=[LISTS], security=BEARER)
def nomination_lists():
    """The upcoming weeks' lists the caller may see (an officer: their commune's)."""
    found = nominations.open_lists(actor(), today=clock.today())
    return s.ListSummaries(
        items=[
            s.ListSummaryOut(
                week=convert.week(x.slot),
                commune=convert.commune_ref(x.commune),
                stands=x.stands,
                main=x.main,
                reserve=x.reserve,
                drafts=x.drafts,
            )
            for x in found
        ]
    )


@bp.get("/weeks/<int:week_id>/communes/<int:commune_id>/nominations")
@signed_in(*STAFF)
@spec.validate(
    resp=signed_in_responses(HTTP_200=s.NominationListOut), tags=[LISTS], security=BEARER
)
def commune_list(week_id: int, commune_id: int):
    """A commune's list for a week: main, reserve and closed nominations."""
    return _list_out(*nominations.get_commune_slot(week_id, commune_id, user=actor()))


@bp.post("/weeks/<int:week_id>/communes/<int:commune_id>/nominations")
@signed_in(*COMMUNE_SIDE)
@spec.validate(
    resp=signed_in_responses(conflict=True, HTTP_201=s.NominationOut),
    tags=[LISTS],
    security=BEARER,
)
def nominate(week_id: int, commune_id: int, json: s.NominateIn):
    """Adds one of the commune's entrepreneurs to its list (main, or the reserve), as a draft."""
    user = actor()
    slot, commune, _quota = nominations.get_commune_slot(week_id, commune_id, user=user)
    created = nominations.nominate_from_registry(
        slot, commune, json.entrepreneur_id, by=user, reserve=json.reserve
    )
    _commit()
    return _one(nominations.get_nomination(created.id, user=user)), 201


@bp.post("/weeks/<int:week_id>/communes/<int:commune_id>/submit")
@signed_in(*COMMUNE_SIDE)
@spec.validate(
    resp=signed_in_responses(conflict=True, HTTP_200=s.NominationListOut),
    tags=[LISTS],
    security=BEARER,
)
def submit(week_id: int, commune_id: int):
    """Sends the commune's drafts to the mall."""
    user = actor()
    slot, commune, quota = nominations.get_commune_slot(week_id, commune_id, user=user)
    nominations.submit_list(slot, commune, by=user)
    _commit()
    return _list_out(*nominations.get_commune_slot(week_id, commune_id, user=user))


@bp.get("/nominations/<int:nomination_id>")
@signed_in(*STAFF)
@spec.validate(resp=signed_in_responses(HTTP_200=s.NominationOut), tags=[LISTS], security=BEARER)
def nomination(nomination_id: int):
    """One nomination (another commune's is a 404 for an officer)."""
    return _one(nominations.get_nomination(nomination_id, user=actor()))


def _acted(nomination_id: int, promoted: list[Nomination] | None = None) -> s.ActionResult:
    _commit()
    user = actor()
    found = nominations.get_nomination(nomination_id, user=user)
    return s.ActionResult(
        nomination=_one(found),
        promoted=[convert.nomination(p, _stands_of([p.id])) for p in promoted or []],
    )


@bp.post("/nominations/<int:nomination_id>/move")
@signed_in(*COMMUNE_SIDE)
@spec.validate(
    resp=signed_in_responses(conflict=True, HTTP_200=s.ActionResult), tags=[LISTS], security=BEARER
)
def move(nomination_id: int, json: s.MoveIn):
    """Moves a nomination one place up or down its list."""
    user = actor()
    nominations.move(nominations.get_nomination(nomination_id, user=user), json.direction, by=user)
    return _acted(nomination_id)


@bp.post("/nominations/<int:nomination_id>/list")
@signed_in(*COMMUNE_SIDE)
@spec.validate(
    resp=signed_in_responses(conflict=True, HTTP_200=s.ActionResult), tags=[LISTS], security=BEARER
)
def change_list(nomination_id: int, json: s.ListIn):
    """Moves a nomination between the main list and the end of the reserve."""
    user = actor()
    found = nominations.get_nomination(nomination_id, user=user)
    nominations.set_reserve(found, json.to == "reserve", by=user)
    return _acted(nomination_id)


@bp.post("/nominations/<int:nomination_id>/withdraw")
@signed_in(*COMMUNE_SIDE)
@spec.validate(
    resp=signed_in_responses(conflict=True, HTTP_200=s.ActionResult), tags=[LISTS], security=BEARER
)
def withdraw(nomination_id: int, json: s.WithdrawIn):
    """Withdraws a nomination; a stand it held goes to the waiting list."""
    user = actor()
    found = nominations.get_nomination(nomination_id, user=user)
    nominations.withdraw(found, by=user, reason=json.reason.strip())
    return _acted(nomination_id)


# --- the mall's review ----------------------------------------------------------------------


@bp.get("/weeks/<int:week_id>/nominations")
@signed_in(Role.ADMIN, Role.COORDINATOR, Role.VIEWER)
@spec.validate(resp=signed_in_responses(HTTP_200=s.WeekNominations), tags=[REVIEW], security=BEARER)
def week_nominations(week_id: int):
    """Every commune's sent nominations for a week, as the review page lists them."""
    slot = showcase.get_week(week_id)
    rows = list(
        db.session.execute(
            select(Nomination)
            .where(Nomination.slot_id == slot.id, Nomination.state != NominationState.DRAFT)
            .options(selectinload(Nomination.entrepreneur), selectinload(Nomination.commune))
            .order_by(Nomination.commune_id, Nomination.is_reserve, Nomination.position)
        ).scalars()
    )
    stands = _stands_of([n.id for n in rows])
    return s.WeekNominations(
        week=convert.week(slot), items=[convert.nomination(n, stands) for n in rows]
    )


def _for_mall(nomination_id: int) -> Nomination:
    return nominations.get_nomination(nomination_id, user=actor())


@bp.post("/nominations/<int:nomination_id>/approve")
@signed_in(*MALL_SIDE)
@spec.validate(
    resp=signed_in_responses(conflict=True, HTTP_200=s.ActionResult), tags=[REVIEW], security=BEARER
)
def approve(nomination_id: int, json: s.ApproveIn):
    """Approves a sent or waitlisted nomination and gives it a stand (the one named, if free
    and suitable; else the best fit)."""
    stand = None
    if json.stand_id is not None:
        stand = db.session.get(Stand, json.stand_id)
        if stand is None:
            raise Invalid(_("Ese stand no existe."), field="stand_id")
    review.approve(_for_mall(nomination_id), by=actor(), stand=stand)
    return _acted(nomination_id)


@bp.post("/nominations/<int:nomination_id>/reject")
@signed_in(*MALL_SIDE)
@spec.validate(
    resp=signed_in_responses(conflict=True, HTTP_200=s.ActionResult), tags=[REVIEW], security=BEARER
)
def reject(nomination_id: int, json: s.RejectIn):
    """Rejects a nomination, with the reason the commune will read."""
    promoted = review.decide(
        _for_mall(nomination_id), "reject", by=actor(), reason=json.reason.strip()
    )
    return _acted(nomination_id, promoted)


@bp.post("/nominations/<int:nomination_id>/waitlist")
@signed_in(*MALL_SIDE)
@spec.validate(
    resp=signed_in_responses(conflict=True, HTTP_200=s.ActionResult), tags=[REVIEW], security=BEARER
)
def waitlist(nomination_id: int, json: s.WaitlistIn):
    """Puts a sent nomination on the waiting list: it gets the next stand that frees up."""
    promoted = review.decide(
        _for_mall(nomination_id), "waitlist", by=actor(), reason=json.reason.strip()
    )
    return _acted(nomination_id, promoted)
