"""Every route × every role: who gets in, who is sent to log in, who is refused.

A route that is not listed here fails the test, so each new route must say who may use it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from app.models import User
from tests.conftest import csrf_token, login
from tests.factories import make_registry_access_values, make_world

ROLES = ["anonymous", "admin", "coordinator", "officer", "viewer"]
OK, LOGIN, FORBIDDEN, NOT_FOUND = "ok", "login", "forbidden", "not_found"


@dataclass
class Case:
    method: str
    url: str  # may use {placeholders} filled from the world
    expect: dict[str, str]
    data: dict = field(default_factory=dict)


def everyone(outcome: str = OK) -> dict[str, str]:
    return dict.fromkeys(ROLES, outcome)


def staff_only(anon: str = LOGIN) -> dict[str, str]:
    return {"anonymous": anon, "admin": OK, "coordinator": OK, "officer": OK, "viewer": OK}


def editors(officer: str = OK) -> dict[str, str]:
    """Registry and import pages: everyone but viewers; `officer` for the matrix's officer."""
    return {
        "anonymous": LOGIN,
        "admin": OK,
        "coordinator": OK,
        "officer": officer,
        "viewer": FORBIDDEN,
    }


def commune_side(officer: str = OK) -> dict[str, str]:
    """A commune's nomination actions: its officer (and admins), not the mall or viewers."""
    return {
        "anonymous": LOGIN,
        "admin": OK,
        "coordinator": FORBIDDEN,
        "officer": officer,
        "viewer": FORBIDDEN,
    }


def admin_only() -> dict[str, str]:
    return {
        "anonymous": LOGIN,
        "admin": OK,
        "coordinator": FORBIDDEN,
        "officer": FORBIDDEN,
        "viewer": FORBIDDEN,
    }


def staff_not_found() -> dict[str, str]:
    return {"anonymous": LOGIN, **dict.fromkeys(ROLES[1:], NOT_FOUND)}


def coordinators_only() -> dict[str, str]:
    return {
        "anonymous": LOGIN,
        "admin": OK,
        "coordinator": OK,
        "officer": FORBIDDEN,
        "viewer": FORBIDDEN,
    }


def officers_only() -> dict[str, str]:
    return {
        "anonymous": LOGIN,
        "admin": FORBIDDEN,
        "coordinator": FORBIDDEN,
        "officer": OK,
        "viewer": FORBIDDEN,
    }


MATRIX: dict[str, list[Case]] = {
    "static": [Case("GET", "/static/css/app.css", everyone())],
    "health.healthz": [Case("GET", "/healthz", everyone())],
    "health.live": [Case("GET", "/healthz/live", everyone())],
    "main.communes_css": [Case("GET", "/assets/communes.css", everyone())],
    "auth.login": [Case("GET", "/login", {**everyone(), **dict.fromkeys(ROLES[1:], OK)})],
    # Staff are logged out and sent to the login page; anonymous users are sent there too.
    "auth.logout": [Case("POST", "/logout", everyone(LOGIN))],
    "auth.password": [Case("GET", "/account/password", staff_only())],
    "auth.language": [Case("POST", "/language/en", everyone())],
    # Visitors are sent on to the public showcase (/mall); signed-in users get their home.
    "main.home": [Case("GET", "/", everyone())],
    "showcase.index": [Case("GET", "/mall", everyone())],
    "showcase.commune": [
        Case("GET", "/mall/communes/melipilla", everyone()),
        Case("GET", "/mall/communes/no-existe", everyone(NOT_FOUND)),
    ],
    "admin.users": [Case("GET", "/admin/users", admin_only())],
    "admin.new_user": [Case("GET", "/admin/users/new", admin_only())],
    "admin.edit_user": [
        Case("GET", "/admin/users/{viewer_id}", admin_only()),
        Case("GET", "/admin/users/999999", {**admin_only(), "admin": NOT_FOUND}),
    ],
    "admin.deactivate_user": [Case("POST", "/admin/users/{viewer_id}/deactivate", admin_only())],
    "admin.activate_user": [Case("POST", "/admin/users/{viewer_id}/activate", admin_only())],
    "admin.reset_password": [Case("POST", "/admin/users/{viewer_id}/reset-password", admin_only())],
    "mail.index": [Case("GET", "/admin/mail/", admin_only())],
    # Each user's own notices; another user's notice is not there for them (tests/test_inbox.py).
    "inbox.index": [Case("GET", "/avisos/", staff_only())],
    "inbox.mark_all_read": [Case("POST", "/avisos/leer-todo", staff_only())],
    "inbox.open_item": [Case("POST", "/avisos/999999/abrir", staff_not_found())],
    "inbox.mark_read": [Case("POST", "/avisos/999999/leido", staff_not_found())],
    "inbox.mark_unread": [Case("POST", "/avisos/999999/no-leido", staff_not_found())],
    "account_links.forgot": [Case("GET", "/password/forgot", everyone())],
    "account_links.choose": [Case("GET", "/password/set/not-a-token", everyone("status 400"))],
    "mail.show": [Case("GET", "/admin/mail/999999", {**admin_only(), "admin": NOT_FOUND})],
    "registry.index": [Case("GET", "/registry/", staff_only())],
    "registry.new": [Case("GET", "/registry/new", editors())],
    "registry.show": [
        Case("GET", "/registry/{reg_own_entrepreneur_id}", staff_only()),
        Case(
            "GET", "/registry/{reg_other_entrepreneur_id}", {**staff_only(), "officer": NOT_FOUND}
        ),
    ],
    "registry.edit": [
        Case("GET", "/registry/{reg_own_entrepreneur_id}/edit", editors()),
        Case("GET", "/registry/{reg_other_entrepreneur_id}/edit", editors(NOT_FOUND)),
    ],
    "registry.categories": [Case("GET", "/registry/categories", admin_only())],
    "registry.edit_category": [Case("GET", "/registry/categories/{reg_category_id}", admin_only())],
    "registry.export": [Case("GET", "/registry/export.csv", staff_only())],
    "registry.import_upload": [Case("GET", "/registry/import", editors())],
    "registry.import_preview": [
        Case("GET", "/registry/import/{reg_own_import}", editors()),
        Case("GET", "/registry/import/{reg_other_import}", editors(NOT_FOUND)),
    ],
    "registry.import_check": [
        Case("POST", "/registry/import/{reg_own_import}/check", editors()),
        Case("POST", "/registry/import/{reg_other_import}/check", editors(NOT_FOUND)),
    ],
    "registry.import_commit": [
        Case("POST", "/registry/import/{reg_own_import}/commit", editors()),
        Case("POST", "/registry/import/{reg_other_import}/commit", editors(NOT_FOUND)),
    ],
    "nominations.index": [Case("GET", "/nominations/", staff_only())],
    "nominations.show": [
        Case("GET", "/nominations/{reg_slot_id}/{reg_own_commune_id}", staff_only()),
        Case(
            "GET",
            "/nominations/{reg_slot_id}/{reg_other_commune_id}",
            {**staff_only(), "officer": NOT_FOUND},
        ),
    ],
    "nominations.candidates": [
        Case("GET", "/nominations/{reg_slot_id}/{reg_own_commune_id}/candidates?q=a", staff_only()),
        Case(
            "GET",
            "/nominations/{reg_slot_id}/{reg_other_commune_id}/candidates",
            {**staff_only(), "officer": NOT_FOUND},
        ),
    ],
    "nominations.nominate": [
        Case(
            "POST",
            "/nominations/{reg_slot_id}/{reg_own_commune_id}/nominate",
            commune_side(),
            {"entrepreneur_id": "{reg_own_spare_id}"},
        ),
        Case(
            "POST",
            "/nominations/{reg_slot_id}/{reg_other_commune_id}/nominate",
            commune_side(NOT_FOUND),
            {"entrepreneur_id": "{reg_other_spare_id}"},
        ),
    ],
    "nominations.submit": [
        Case("POST", "/nominations/{reg_slot_id}/{reg_own_commune_id}/submit", commune_side()),
        Case(
            "POST",
            "/nominations/{reg_slot_id}/{reg_other_commune_id}/submit",
            commune_side(NOT_FOUND),
        ),
    ],
    "nominations.move": [
        Case(
            "POST",
            "/nominations/n/{reg_own_nomination_id}/move",
            commune_side(),
            {"direction": "down"},
        ),
        Case(
            "POST",
            "/nominations/n/{reg_other_nomination_id}/move",
            commune_side(NOT_FOUND),
            {"direction": "down"},
        ),
    ],
    "nominations.reserve": [
        Case(
            "POST",
            "/nominations/n/{reg_own_nomination_id}/reserve",
            commune_side(),
            {"to": "reserve"},
        ),
        Case(
            "POST",
            "/nominations/n/{reg_other_nomination_id}/reserve",
            commune_side(NOT_FOUND),
            {"to": "reserve"},
        ),
    ],
    "nominations.withdraw": [
        Case("POST", "/nominations/n/{reg_own_nomination_id}/withdraw", commune_side()),
        Case("POST", "/nominations/n/{reg_other_nomination_id}/withdraw", commune_side(NOT_FOUND)),
    ],
    "stands.index": [Case("GET", "/stands/", staff_only())],
    "stands.new": [Case("GET", "/stands/new", coordinators_only())],
    "stands.edit": [
        Case("GET", "/stands/{stand_id}", coordinators_only()),
        Case(
            "GET",
            "/stands/999999",
            {**coordinators_only(), "admin": NOT_FOUND, "coordinator": NOT_FOUND},
        ),
    ],
    "stands.close": [
        Case(
            "POST",
            "/stands/{stand_id}/closures",
            coordinators_only(),
            data={"starts_on": "2027-03-01", "ends_on": "2027-03-02", "reason": "Arreglo"},
        )
    ],
    "stands.reopen": [Case("POST", "/stands/closures/{closure_id}/delete", coordinators_only())],
    "stands.position": [
        Case(
            "POST", "/stands/{stand_id}/position", coordinators_only(), data={"x": "10", "y": "10"}
        )
    ],
    "audit.index": [
        Case("GET", "/audit/", {**staff_only(), "officer": FORBIDDEN}),
    ],
    # Rotation: every staff member reads the plan; coordinators change it; officers swap.
    "rotation.index": [Case("GET", "/rotation/", staff_only())],
    "rotation.year": [
        Case("GET", "/rotation/programs/{program_id}/years/2027", staff_only()),
        Case("GET", "/rotation/programs/{program_id}/years/1999", staff_not_found()),
    ],
    "rotation.plan": [
        Case("GET", "/rotation/programs/{program_id}/years/2027/plan", coordinators_only())
    ],
    # Programs: coordinators extend one (to the year after its last) or start the next one.
    "rotation.extend": [
        Case(
            "POST",
            "/rotation/programs/{ongoing_program_id}/extend",
            coordinators_only(),
            data={"year": "{extend_year}"},
        )
    ],
    "rotation.new_program": [
        Case("GET", "/rotation/programs/new", coordinators_only()),
        Case(
            "POST",
            "/rotation/programs/new",
            coordinators_only(),
            data={
                "name": "Vitrina siguiente",
                "first_year": "{new_program_year}",
                "last_year": "{new_program_year}",
                "copy_from": "{program_id}",
            },
        ),
    ],
    # The board's reports: every signed-in role (an officer's are their commune's).
    "reports.index": [
        Case("GET", "/reports/", staff_only()),
        Case("GET", "/reports/?year=2027&commune={meli_id}", staff_only()),
    ],
    "reports.export": [
        Case("GET", "/reports/comunas.csv", staff_only()),
        Case("GET", "/reports/semanas.xlsx?year=2027", staff_only()),
        Case("GET", "/reports/otra.csv", everyone(NOT_FOUND)),  # no such report: no route
    ],
    "reports.roster": [
        Case("GET", "/reports/weeks/{reg_slot_id}/roster", staff_only()),
        Case("GET", "/reports/weeks/999999/roster", staff_not_found()),
    ],
    "reports.roster_export": [
        Case("GET", "/reports/weeks/{reg_slot_id}/roster.xlsx", staff_only()),
        Case("GET", "/reports/weeks/{reg_slot_id}/roster.csv", staff_only()),
    ],
    "reports.poster": [
        Case("GET", "/reports/weeks/{slot_id}/poster", staff_only()),
        Case("GET", "/reports/weeks/999999/poster", staff_not_found()),
    ],
    "rotation.slot": [
        Case("GET", "/rotation/slots/{slot_id}", staff_only()),
        Case("GET", "/rotation/slots/999999", staff_not_found()),
    ],
    "rotation.transition": [
        Case("POST", "/rotation/slots/{slot_id}/transitions/open_nominations", coordinators_only())
    ],
    "rotation.override_host": [
        Case(
            "POST",
            "/rotation/slots/{slot_id}/host",
            coordinators_only(),
            data={"commune_id": "{other_commune_id}", "reason": "prueba"},
        )
    ],
    "rotation.override_quotas": [
        # Allowed, but no reason given: the coordinator gets the rule's message.
        Case(
            "POST",
            "/rotation/slots/{slot_id}/quotas",
            {**coordinators_only(), "admin": "status 400", "coordinator": "status 400"},
        )
    ],
    "rotation.request_swap": [
        Case(
            "POST",
            "/rotation/slots/{meli_slot_id}/swaps",
            officers_only(),
            data={"other_slot_id": "{alhue_slot_id}"},
        )
    ],
    "rotation.settings": [Case("GET", "/rotation/programs/{program_id}/settings", staff_only())],
    "rotation.update_rule": [
        # A form missing its fields: coordinators get it back with messages (400).
        Case(
            "POST",
            "/rotation/programs/{program_id}/settings/rule",
            {**coordinators_only(), "admin": "status 400", "coordinator": "status 400"},
        )
    ],
    "rotation.update_weights": [
        Case("POST", "/rotation/programs/{program_id}/settings/weights", coordinators_only())
    ],
    "rotation.add_blackout": [
        Case(
            "POST",
            "/rotation/programs/{program_id}/blackouts",
            coordinators_only(),
            data={"year": "2027", "month": "{blackout_month}"},
        )
    ],
    "rotation.remove_blackout": [
        Case("POST", "/rotation/blackouts/{blackout_id}/delete", coordinators_only())
    ],
    "rotation.add_unavailability": [
        Case(
            "POST",
            "/rotation/programs/{program_id}/unavailability",
            {**coordinators_only(), "officer": OK},
            data={"commune_id": "{meli_id}", "year": "2027", "month": "{blackout_month}"},
        )
    ],
    "rotation.remove_unavailability": [
        Case(
            "POST",
            "/rotation/unavailability/{meli_unavailable_id}/delete",
            {**coordinators_only(), "officer": OK},
        ),
        # Another commune's month: not found for the Melipilla officer.
        Case(
            "POST",
            "/rotation/unavailability/{alhue_unavailable_id}/delete",
            {**coordinators_only(), "officer": NOT_FOUND},
        ),
    ],
    "rotation.move": [
        Case(
            "POST",
            "/rotation/slots/{slot_id}/move",
            coordinators_only(),
            data={"starts_on": "{slot_move_to}", "reason": "Evento del mall"},
        )
    ],
    "rotation.decide_swap": [
        # A Melipilla–Alhué swap: the Melipilla officer may withdraw it, coordinators reject it.
        Case(
            "POST",
            "/rotation/swaps/{swap_id}/reject",
            {**officers_only(), "admin": OK, "coordinator": OK},
        ),
    ],
    # Calendars: the feeds and the subscribe page are public (private feeds by secret token);
    # an entrepreneur's token is managed by coordinators and the officer of their commune.
    "calendars.index": [Case("GET", "/calendar/", everyone())],
    "calendars.mall_ics": [Case("GET", "/calendar/mall.ics", everyone())],
    "calendars.commune_ics": [
        Case("GET", "/calendar/communes/melipilla.ics", everyone()),
        Case("GET", "/calendar/communes/no-existe.ics", everyone(NOT_FOUND)),
    ],
    "calendars.private_ics": [
        Case("GET", "/calendar/private/" + "x" * 43 + ".ics", everyone(NOT_FOUND)),
        Case("GET", "/calendar/private/corto.ics", everyone(NOT_FOUND)),
    ],
    "calendars.slot_ics": [
        Case("GET", "/calendar/slots/{reg_slot_id}.ics", everyone()),
        Case("GET", "/calendar/slots/999999.ics", everyone(NOT_FOUND)),
    ],
    "calendars.week": [
        Case("GET", "/calendar/weeks/{reg_slot_id}", everyone()),
        Case("GET", "/calendar/weeks/999999", everyone(NOT_FOUND)),
    ],
    "calendars.issue_my_token": [Case("POST", "/calendar/my-token", staff_only())],
    "calendars.revoke_my_token": [Case("POST", "/calendar/my-token/revoke", staff_only())],
    "calendars.entrepreneur_token": [
        Case("GET", "/calendar/entrepreneurs/{reg_own_entrepreneur_id}/token", editors()),
        Case(
            "GET", "/calendar/entrepreneurs/{reg_other_entrepreneur_id}/token", editors(NOT_FOUND)
        ),
        Case(
            "GET",
            "/calendar/entrepreneurs/999999/token",
            {**editors(NOT_FOUND), "admin": NOT_FOUND, "coordinator": NOT_FOUND},
        ),
    ],
    "calendars.issue_entrepreneur_token": [
        Case("POST", "/calendar/entrepreneurs/{reg_own_entrepreneur_id}/token", editors()),
        Case(
            "POST", "/calendar/entrepreneurs/{reg_other_entrepreneur_id}/token", editors(NOT_FOUND)
        ),
    ],
    "calendars.revoke_entrepreneur_token": [
        Case("POST", "/calendar/entrepreneurs/{reg_own_entrepreneur_id}/token/revoke", editors()),
        Case(
            "POST",
            "/calendar/entrepreneurs/{reg_other_entrepreneur_id}/token/revoke",
            editors(NOT_FOUND),
        ),
    ],
    # Review (last: these cases change nominations). The nominations here are drafts, so the
    # mall's actions are refused as conflicts (409) after the access check let them through.
    "review.queue": [
        Case("GET", "/review/slots/{reg_slot_id}", {**staff_only(), "officer": FORBIDDEN})
    ],
    "review.stand_form": [
        Case("GET", "/nominations/{reg_own_nomination_id}/stand", coordinators_only())
    ],
    "review.change_stand": [
        Case(
            "POST",
            "/nominations/{reg_own_nomination_id}/stand",
            {**coordinators_only(), "admin": "status 409", "coordinator": "status 409"},
            data={"stand_id": "{stand_id}"},
        )
    ],
    "review.bulk_approve": [
        Case("POST", "/review/slots/{reg_slot_id}/bulk-approve", coordinators_only())
    ],
    "review.act": [
        Case(
            "POST",
            "/nominations/{reg_own_nomination_id}/approve",
            {**coordinators_only(), "admin": "status 409", "coordinator": "status 409"},
        ),
        Case(
            "POST",
            "/nominations/{reg_own_nomination_id}/fly",
            {**staff_not_found(), "viewer": FORBIDDEN, "officer": FORBIDDEN},
        ),
        # Withdrawing is the commune's act, on its own list (nominations.withdraw): the mall's
        # decision route has no "withdraw".
        Case(
            "POST",
            "/nominations/{reg_own_nomination_id}/withdraw",
            {**coordinators_only(), "admin": NOT_FOUND, "coordinator": NOT_FOUND},
        ),
    ],
}

EMAILS = {
    "admin": "admin@example.com",
    "coordinator": "coordinador@example.com",
    "officer": "melipilla@example.com",
    "viewer": "viewer@example.com",
}


def test_every_route_is_in_the_matrix(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    missing = endpoints - MATRIX.keys()
    assert not missing, f"routes without an access rule in the matrix: {sorted(missing)}"
    stale = MATRIX.keys() - endpoints
    assert not stale, f"matrix lists routes that no longer exist: {sorted(stale)}"


def test_every_view_declares_its_access(app):
    undeclared = [
        endpoint
        for endpoint, view in app.view_functions.items()
        if endpoint != "static" and not hasattr(view, "access")
    ]
    assert not undeclared, f"views without @public/@roles: {undeclared}"


def _rotation_world(world, db) -> dict:
    """A planned year, and a pending swap between Melipilla and Alhué."""
    from datetime import date, timedelta

    from app.domain import rotation, swaps
    from app.models import Blackout, CommuneUnavailability, StandClosure
    from tests.factories import make_program

    program = make_program(world["venue"], year=2027)
    rotation.plan_year(program, 2027, by=None, apply=True)
    # A program a coordinator may extend on whatever day the suite runs, and free years after.
    from app import clock

    ongoing_year = max(clock.today().year, 2028)
    ongoing = make_program(world["venue"], year=ongoing_year)
    meli, alhue = world["communes"][0], world["communes"][1]
    meli_slots = [s for s in program.slots if rotation.host_of(s) == meli.id]
    alhue_slots = [s for s in program.slots if rotation.host_of(s) == alhue.id]
    swap = swaps.request_swap(meli_slots[0], alhue_slots[0], by=world["users"]["officer"])
    slot = program.slots[5]
    blackout = Blackout(program_id=program.id, year=2027, month=11)
    meli_row = CommuneUnavailability(program_id=program.id, commune_id=meli.id, year=2027, month=2)
    alhue_row = CommuneUnavailability(
        program_id=program.id, commune_id=alhue.id, year=2027, month=2
    )
    closure = StandClosure(
        stand=world["venue"].stands[0],
        starts_on=date(2027, 5, 1),
        ends_on=date(2027, 5, 2),
        reason="Pintura",
    )
    db.session.add_all([blackout, meli_row, alhue_row, closure])
    db.session.commit()
    return {
        "program_id": program.id,
        "slot_id": slot.id,
        "other_commune_id": next(c.id for c in world["communes"] if c.id != rotation.host_of(slot)),
        "meli_slot_id": meli_slots[1].id,
        "alhue_slot_id": alhue_slots[1].id,
        "swap_id": swap.id,
        "meli_id": meli.id,
        "stand_id": world["venue"].stands[1].id,
        "closure_id": closure.id,
        "blackout_month": "10",
        "blackout_id": blackout.id,
        "meli_unavailable_id": meli_row.id,
        "alhue_unavailable_id": alhue_row.id,
        "slot_move_to": (slot.starts_on + timedelta(days=7)).isoformat(),
        "ongoing_program_id": ongoing.id,
        "extend_year": str(ongoing_year + 1),
        "new_program_year": str(ongoing_year + 2),
        "_rows": (blackout.id, meli_row.id, alhue_row.id),
        "_snapshot": {
            s.id: (s.state, rotation.host_of(s), (s.starts_on, s.ends_on)) for s in program.slots
        },
    }


def _restore_rotation(values: dict, db) -> None:
    """Undo what a case changed (a transition, an override, a swap) before the next one."""
    from sqlalchemy import delete

    from app.domain import rotation
    from app.models import Blackout, CommuneUnavailability, Slot, SlotSwap, SwapState

    for slot_id, (state, host, dates) in values["_snapshot"].items():
        slot = db.session.get(Slot, slot_id)
        slot.state = state
        slot.starts_on, slot.ends_on = dates
        if rotation.host_of(slot) != host:
            rotation.set_allocations(slot, {host: slot.capacity}, host_id=host, by=None)
    db.session.execute(delete(SlotSwap).where(SlotSwap.id != values["swap_id"]))
    db.session.get(SlotSwap, values["swap_id"]).state = SwapState.REQUESTED
    blackout_id, meli_row_id, alhue_row_id = values["_rows"]
    db.session.execute(delete(Blackout).where(Blackout.id != blackout_id))
    if db.session.get(Blackout, blackout_id) is None:
        db.session.add(
            Blackout(id=blackout_id, program_id=values["program_id"], year=2027, month=11)
        )
    db.session.execute(
        delete(CommuneUnavailability).where(
            CommuneUnavailability.id.not_in([meli_row_id, alhue_row_id])
        )
    )
    for row_id, commune_id in ((meli_row_id, values["meli_id"]), (alhue_row_id, None)):
        if db.session.get(CommuneUnavailability, row_id) is None and commune_id:
            db.session.add(
                CommuneUnavailability(
                    id=row_id,
                    program_id=values["program_id"],
                    commune_id=commune_id,
                    year=2027,
                    month=2,
                )
            )
    db.session.commit()


def _outcome(response) -> str:
    if response.status_code in (302, 303) and "/login" in response.headers.get("Location", ""):
        return LOGIN
    if response.status_code == 403:
        return FORBIDDEN
    if response.status_code == 404:
        return NOT_FOUND
    if response.status_code < 400:
        return OK
    return f"status {response.status_code}"


@pytest.mark.parametrize("role", ROLES)
def test_access_matrix(app, db, role):
    world = make_world()
    values = {
        "viewer_id": world["users"]["viewer"].id,
        **_rotation_world(world, db),
        **make_registry_access_values(world),
    }
    failures = []
    for endpoint, cases in MATRIX.items():
        for case in cases:
            client = app.test_client()
            if role != "anonymous":
                assert login(client, EMAILS[role]).status_code == 302
            url = case.url.format(**values)
            data = {k: v.format(**values) for k, v in case.data.items()}
            if case.method == "POST":
                data["csrf_token"] = csrf_token(client, "/login" if role == "anonymous" else "/")
            response = client.open(url, method=case.method, data=data)
            got = _outcome(response)
            expected = case.expect[role]
            if got not in (expected if isinstance(expected, tuple) else (expected,)):
                failures.append(
                    f"{role} {case.method} {url} ({endpoint}): {got}, expected {case.expect[role]}"
                )
            db.session.rollback()
            _restore_rotation(values, db)
            # State-changing cases (deactivate, logout) must not leak into the next case.
            viewer = db.session.get(User, values["viewer_id"])
            if not viewer.active:
                viewer.active = True
                db.session.commit()
    assert not failures, "\n".join(failures)
