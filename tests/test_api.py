"""The JSON API: its document, tokens, access rules per endpoint and role, errors, caching,
and that nobody who did not agree to be shown appears in a public answer."""

from __future__ import annotations

import json
import re

import pytest
from openapi_spec_validator import validate

from app.domain import api_tokens
from app.models import ApiToken, Nomination, NominationState
from tests.conftest import csrf_token, login
from tests.factories import (
    SHOWCASE_BEFORE,
    make_registry_access_values,
    make_showcase_world,
    make_world,
)
from tests.test_showcase_pages import _private_texts

API = "/api/v1"


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def issue(db, user, name: str = "prueba") -> str:
    _row, secret = api_tokens.issue(user, name=name)
    db.session.commit()
    return secret


# --- the document ---------------------------------------------------------------------------


def test_the_openapi_document_is_valid_openapi_3_1_and_lists_exactly_the_api(app, client):
    response = client.get(f"{API}/openapi.json")
    assert response.status_code == 200
    document = response.get_json()
    validate(document)
    assert document["openapi"].startswith("3.1")
    documented = {
        (path, method.upper()) for path, ops in document["paths"].items() for method in ops
    }
    routed = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(API) or rule.endpoint in ("api.openapi", "api.reference"):
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        routed |= {(path, m) for m in rule.methods - {"HEAD", "OPTIONS"}}
    assert documented == routed
    # Errors are declared as RFC 9457 problems, and signed-in calls as needing the token.
    me = document["paths"][f"{API}/me"]["get"]
    assert "application/problem+json" in me["responses"]["401"]["content"]
    assert me["security"] == [{"bearer": []}]
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


def test_the_reference_page_lists_every_operation(client):
    html = client.get(f"{API}/docs").get_data(as_text=True)
    document = client.get(f"{API}/openapi.json").get_json()
    operations = sum(len(ops) for ops in document["paths"].values())
    assert html.count('data-testid="operation"') == operations
    assert f"{API}/weeks/{{week_id}}/roster" in html
    assert "cdn" not in html.lower()  # everything from this server: the CSP allows nothing else


# --- tokens ---------------------------------------------------------------------------------


@pytest.mark.db
def test_a_token_is_shown_once_stored_hashed_and_stops_working_when_revoked(
    app, db, client, backend
):
    make_world()
    login(client, "melipilla@example.com")
    page = client.get("/account/tokens/").get_data(as_text=True)
    created = client.post(
        "/account/tokens/",
        data={"name": "Sitio web comunal", "csrf_token": csrf_token(client, "/account/tokens/")},
    )
    assert created.status_code == 201
    secret = re.search(r'value="(vit_[A-Za-z0-9_-]{43})"', created.get_data(as_text=True))[1]
    assert "Aún no tiene tokens" in page
    row = db.session.query(ApiToken).one()
    assert row.token_hash != secret and secret not in row.token_hash and row.prefix == secret[:8]
    again = client.get("/account/tokens/").get_data(as_text=True)
    assert secret not in again and "Sitio web comunal" in again and row.prefix in again

    api = app.test_client()  # no cookie: the token alone
    me = api.get(f"{API}/me", headers=bearer(secret))
    assert me.status_code == 200
    assert me.get_json()["role"] == "officer" and me.get_json()["commune"]["slug"] == "melipilla"

    revoked = client.post(
        f"/account/tokens/{row.id}/revoke",
        data={"csrf_token": csrf_token(client, "/account/tokens/")},
    )
    assert revoked.status_code == 303
    refused = api.get(f"{API}/me", headers=bearer(secret))
    assert refused.status_code == 401
    assert refused.headers["Content-Type"] == "application/problem+json"
    assert refused.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.db
def test_someone_elses_token_cannot_be_revoked(app, db, client, backend):
    world = make_world()
    row, _secret = api_tokens.issue(world["users"]["coordinator"], name="del mall")
    db.session.commit()
    login(client, "melipilla@example.com")
    response = client.post(
        f"/account/tokens/{row.id}/revoke",
        data={"csrf_token": csrf_token(client, "/account/tokens/")},
    )
    assert response.status_code == 404
    db.session.refresh(row)
    assert row.revoked_at is None


@pytest.mark.db
def test_a_deactivated_users_token_stops_working(app, db, backend):
    world = make_world()
    secret = issue(db, world["users"]["officer"])
    world["users"]["officer"].active = False
    db.session.commit()
    assert app.test_client().get(f"{API}/me", headers=bearer(secret)).status_code == 401


@pytest.mark.db
def test_a_signed_in_browser_cannot_call_the_write_api_without_a_token(app, db, client, backend):
    """No CSRF hole: the session cookie (even with a valid CSRF token) is not a credential."""
    world = make_world()
    values = make_registry_access_values(world)
    login(client, "melipilla@example.com")
    url = f"{API}/weeks/{values['reg_slot_id']}/communes/{values['reg_own_commune_id']}/nominations"
    response = client.post(
        url,
        json={"entrepreneur_id": values["reg_own_spare_id"]},
        headers={"X-CSRFToken": csrf_token(client)},
    )
    assert response.status_code == 401
    assert (
        db.session.query(Nomination).filter_by(entrepreneur_id=values["reg_own_spare_id"]).count()
        == 0
    )


@pytest.mark.db
def test_failed_token_checks_are_rate_limited_by_address(app, db, backend):
    make_world()
    app.config["API_TOKEN_FAILURE_LIMIT"] = "3 per minute"
    api = app.test_client()
    wrong = bearer("vit_" + "x" * 43)
    assert [api.get(f"{API}/me", headers=wrong).status_code for _ in range(3)] == [401] * 3
    limited = api.get(f"{API}/me", headers=wrong)
    assert limited.status_code == 429
    assert limited.headers["Content-Type"] == "application/problem+json"
    assert api.get(f"{API}/weeks").status_code == 200  # public reads carry no token: not limited


# --- access rules: every endpoint × every role ----------------------------------------------

ROLES = ["none", "bad", "viewer", "officer", "coordinator", "admin"]
TOKEN_ERRORS = {"none": {401}, "bad": {401}}


def _all(status, **others):
    return {**dict.fromkeys(ROLES[2:], status), **TOKEN_ERRORS, **others}


def _new_entrepreneur(commune_key: str, rut: str) -> dict:
    return {
        "commune_id": "{" + commune_key + "}",
        "business_name": "Tejidos Nuevos",
        "owner_name": "Rosa Pérez",
        "rut": rut,
        "category_id": "{reg_category_id}",
    }


READ, WRITE = {200}, {200, 201, 409}
# (method, url, body, {role: acceptable statuses}). Run in this order for each role, so an
# earlier case may have changed a nomination's state: allowed roles may then get a 409.
CASES = [
    ("GET", "/me", None, _all(READ)),
    ("GET", "/entrepreneurs", None, _all(READ)),
    ("GET", "/entrepreneurs/{reg_own_entrepreneur_id}", None, _all(READ)),
    ("GET", "/entrepreneurs/{reg_other_entrepreneur_id}", None, _all(READ, officer={404})),
    (
        "POST",
        "/entrepreneurs",
        _new_entrepreneur("reg_own_commune_id", "7.654.321-6"),
        _all({201}, viewer={403}),
    ),
    (
        "POST",
        "/entrepreneurs",
        _new_entrepreneur("reg_other_commune_id", "8.765.432-K"),
        _all({201}, viewer={403}, officer={403}),
    ),
    (
        "PATCH",
        "/entrepreneurs/{reg_own_entrepreneur_id}",
        {"description": "Cambiado por la API"},
        _all(READ, viewer={403}),
    ),
    (
        "PATCH",
        "/entrepreneurs/{reg_other_entrepreneur_id}",
        {"description": "Cambiado por la API"},
        _all(READ, viewer={403}, officer={404}),
    ),
    ("GET", "/nomination-lists", None, _all(READ)),
    ("GET", "/weeks/{reg_slot_id}/communes/{reg_own_commune_id}/nominations", None, _all(READ)),
    (
        "GET",
        "/weeks/{reg_slot_id}/communes/{reg_other_commune_id}/nominations",
        None,
        _all(READ, officer={404}),
    ),
    (
        "POST",
        "/weeks/{reg_slot_id}/communes/{reg_own_commune_id}/nominations",
        {"entrepreneur_id": "{reg_own_spare_id}"},
        _all({201}, viewer={403}, coordinator={403}),
    ),
    (
        "POST",
        "/weeks/{reg_slot_id}/communes/{reg_other_commune_id}/nominations",
        {"entrepreneur_id": "{reg_other_spare_id}"},
        _all({201}, viewer={403}, coordinator={403}, officer={404}),
    ),
    ("GET", "/nominations/{reg_own_nomination_id}", None, _all(READ)),
    ("GET", "/nominations/{reg_other_nomination_id}", None, _all(READ, officer={404})),
    (
        "POST",
        "/nominations/{reg_own_nomination_id}/move",
        {"direction": "down"},
        _all(READ, viewer={403}, coordinator={403}),
    ),
    (
        "POST",
        "/nominations/{reg_other_nomination_id}/move",
        {"direction": "down"},
        _all(READ, viewer={403}, coordinator={403}, officer={404}),
    ),
    (
        "POST",
        "/nominations/{reg_own_nomination_id}/list",
        {"to": "reserve"},
        _all(READ, viewer={403}, coordinator={403}),
    ),
    (
        "POST",
        "/nominations/{reg_own_nomination_id}/list",
        {"to": "main"},
        _all(READ, viewer={403}, coordinator={403}),
    ),
    (
        "POST",
        "/weeks/{reg_slot_id}/communes/{reg_own_commune_id}/submit",
        None,
        _all(READ, viewer={403}, coordinator={403}),
    ),
    (
        "POST",
        "/weeks/{reg_slot_id}/communes/{reg_other_commune_id}/submit",
        None,
        _all(READ, viewer={403}, coordinator={403}, officer={404}),
    ),
    ("GET", "/weeks/{reg_slot_id}/nominations", None, _all(READ, officer={403})),
    # Sent by now (submitted above, by whoever could): the mall decides.
    (
        "POST",
        "/nominations/{reg_own_nomination_id}/waitlist",
        {},
        _all({200, 409}, viewer={403}, officer={403}),
    ),
    (
        "POST",
        "/nominations/{reg_own_nomination_id}/approve",
        {},
        _all({200, 409}, viewer={403}, officer={403}),
    ),
    (
        "POST",
        "/nominations/{reg_other_nomination_id}/reject",
        {"reason": "Sin cupo"},
        _all({200, 409}, viewer={403}, officer={403}),
    ),
    (
        "POST",
        "/nominations/{reg_own_nomination_id}/withdraw",
        {},
        _all({200, 409}, viewer={403}, coordinator={403}),
    ),
    (
        "POST",
        "/nominations/{reg_other_nomination_id}/withdraw",
        {},
        _all({200, 409}, viewer={403}, coordinator={403}, officer={404}),
    ),
]


def _fill(value, values: dict):
    if isinstance(value, str):
        filled = value.format(**values)
        return int(filled) if value.startswith("{") and filled.isdigit() else filled
    if isinstance(value, dict):
        return {k: _fill(v, values) for k, v in value.items()}
    return value


@pytest.mark.db
@pytest.mark.parametrize("role", ROLES)
def test_each_endpoint_allows_exactly_what_the_role_allows(app, db, backend, role):
    world = make_world()
    values = make_registry_access_values(world)
    app.config["API_TOKEN_FAILURE_LIMIT"] = "1000 per minute"  # tested on its own above
    headers = {}
    if role == "bad":
        headers = bearer("vit_" + "A" * 43)
    elif role != "none":
        headers = bearer(issue(db, world["users"][role]))
    api = app.test_client()
    failures = []
    for method, url, body, expect in CASES:
        response = api.open(
            API + url.format(**values), method=method, json=_fill(body, values), headers=headers
        )
        if response.status_code not in expect[role]:
            failures.append(f"{role} {method} {url}: {response.status_code} {response.data[:200]}")
        if response.status_code >= 400:
            assert response.headers["Content-Type"] == "application/problem+json"
            problem = response.get_json()
            assert problem["status"] == response.status_code and problem["title"]
            assert problem["detail"]
    assert not failures, "\n".join(failures)


# --- what the API does, through the same rules as the pages ---------------------------------


@pytest.fixture
def registry_world(app, db):
    world = make_world()
    values = make_registry_access_values(world)
    officer = issue(db, world["users"]["officer"])
    coordinator = issue(db, world["users"]["coordinator"])
    return {**world, **values, "officer_token": officer, "coordinator_token": coordinator}


@pytest.mark.db
def test_a_commune_nominates_submits_and_the_mall_approves_with_a_stand(
    app, db, registry_world, backend
):
    w = registry_world
    api = app.test_client()
    officer, coordinator = bearer(w["officer_token"]), bearer(w["coordinator_token"])
    lists = f"{API}/weeks/{w['reg_slot_id']}/communes/{w['reg_own_commune_id']}"
    created = api.post(
        f"{lists}/nominations", json={"entrepreneur_id": w["reg_own_spare_id"]}, headers=officer
    )
    assert created.status_code == 201 and created.get_json()["state"] == "draft"
    twice = api.post(
        f"{lists}/nominations", json={"entrepreneur_id": w["reg_own_spare_id"]}, headers=officer
    )
    assert twice.status_code == 409
    assert "ya está nominado" in twice.get_json()["detail"]

    sent = api.post(f"{lists}/submit", headers=officer)
    assert sent.status_code == 200
    assert {n["state"] for n in sent.get_json()["main"]} == {"submitted"}

    stand = w["venue"].stands[4]
    approved = api.post(
        f"{API}/nominations/{created.get_json()['id']}/approve",
        json={"stand_id": stand.id},
        headers=coordinator,
    )
    assert approved.status_code == 200, approved.data
    assert approved.get_json()["nomination"]["state"] == "approved"
    assert approved.get_json()["nomination"]["stand_code"] == stand.code
    # The commune's page shows what the API did.
    client = app.test_client()
    login(client, "melipilla@example.com")
    page = client.get(f"/nominations/{w['reg_slot_id']}/{w['reg_own_commune_id']}")
    assert "Aprobada" in page.get_data(as_text=True)


@pytest.mark.db
def test_a_rejection_needs_a_reason_and_bad_input_is_422(app, db, registry_world, backend):
    w = registry_world
    api = app.test_client()
    officer, coordinator = bearer(w["officer_token"]), bearer(w["coordinator_token"])
    api.post(
        f"{API}/weeks/{w['reg_slot_id']}/communes/{w['reg_own_commune_id']}/submit",
        headers=officer,
    )
    url = f"{API}/nominations/{w['reg_own_nomination_id']}/reject"
    blank = api.post(url, json={"reason": "   "}, headers=coordinator)
    assert blank.status_code == 422 and blank.get_json()["detail"] == "Indique el motivo."
    missing = api.post(url, json={}, headers=coordinator)
    assert missing.status_code == 422
    assert missing.get_json()["errors"][0]["field"] == "reason"
    rejected = api.post(url, json={"reason": "Ya vino este año"}, headers=coordinator)
    assert rejected.status_code == 200
    assert rejected.get_json()["nomination"]["reason"] == "Ya vino este año"
    # Already rejected: the state machine refuses, as on the page.
    assert api.post(url, json={"reason": "otra vez"}, headers=coordinator).status_code == 409


@pytest.mark.db
def test_registry_create_and_update_through_the_api(app, db, registry_world, backend):
    w = registry_world
    api = app.test_client()
    officer = bearer(w["officer_token"])
    bad = api.post(
        f"{API}/entrepreneurs",
        json={
            "business_name": "",
            "owner_name": "Ana",
            "rut": "1-1",
            "category_id": w["reg_category_id"],
        },
        headers=officer,
    )
    assert bad.status_code == 422
    assert {e["field"] for e in bad.get_json()["errors"]} >= {"business_name", "rut"}
    taken = api.post(
        f"{API}/entrepreneurs",
        json={
            "business_name": "Otra",
            "owner_name": "Ana",
            "rut": "12.345.678-5",
            "category_id": w["reg_category_id"],
        },
        headers=officer,
    )
    assert taken.status_code == 409
    created = api.post(
        f"{API}/entrepreneurs",
        json={
            "business_name": "Tejidos Rosa",
            "owner_name": "Rosa Pérez",
            "rut": "7.654.321-6",
            "phone": "9 1234 5678",
            "category_id": w["reg_category_id"],
        },
        headers=officer,
    )
    assert created.status_code == 201
    body = created.get_json()
    assert body["commune"]["slug"] == "melipilla" and body["phone"] == "+56912345678"
    url = f"{API}/entrepreneurs/{body['id']}"
    updated = api.patch(url, json={"description": "Lana de oveja", "version": 1}, headers=officer)
    assert updated.status_code == 200
    assert updated.get_json()["description"] == "Lana de oveja"
    assert updated.get_json()["version"] == 2 and updated.get_json()["rut"] == "7.654.321-6"
    stale = api.patch(url, json={"description": "Otra cosa", "version": 1}, headers=officer)
    assert stale.status_code == 409
    listed = api.get(f"{API}/entrepreneurs?q=tejidos", headers=officer).get_json()
    assert [e["business_name"] for e in listed["items"]] == ["Tejidos Rosa"]
    assert listed["total"] == 1 and listed["pages"] == 1


@pytest.mark.db
def test_odd_input_is_refused_with_422_never_500(app, db, registry_world, backend):
    w = registry_world
    api = app.test_client()
    officer = bearer(w["officer_token"])
    lists = f"{API}/weeks/{w['reg_slot_id']}/communes/{w['reg_own_commune_id']}/nominations"
    for body in (
        {"entrepreneur_id": 2**40},
        {"entrepreneur_id": -1},
        {"entrepreneur_id": "uno"},
        {"entrepreneur_id": w["reg_own_spare_id"], "extra": 1},
        [1, 2],
    ):
        assert api.post(lists, json=body, headers=officer).status_code == 422, body
    for text in ("a\x00b", "\ud800"):
        raw = json.dumps({"reason": text})
        response = api.post(
            f"{API}/nominations/{w['reg_own_nomination_id']}/withdraw",
            data=raw,
            content_type="application/json",
            headers=officer,
        )
        assert response.status_code == 422, text
    form = api.post(lists, data={"entrepreneur_id": "1"}, headers=officer)
    assert form.status_code == 415
    assert api.get(f"{API}/weeks?per_page=1000").status_code == 422
    assert api.get(f"{API}/weeks/{2**40}").status_code == 404


# --- public reads ---------------------------------------------------------------------------


@pytest.fixture
def mall(app, db):
    return make_showcase_world(app)


def _public_answers(client, mall) -> list[str]:
    weeks = client.get(f"{API}/weeks?per_page=100").get_json()["items"]
    urls = ["/communes", "/categories", "/weeks?per_page=100", "/showcase"]
    for week in weeks:
        urls += [f"/weeks/{week['id']}", f"/weeks/{week['id']}/roster"]
    answers = []
    for url in urls:
        response = client.get(API + url)
        assert response.status_code == 200, url
        answers.append(response.get_data(as_text=True))
    return answers


@pytest.mark.db
def test_no_entrepreneur_who_did_not_agree_appears_in_any_public_answer(app, client, mall, backend):
    for moment in (None, SHOWCASE_BEFORE):
        if moment is not None:
            app.config["FIXED_NOW"] = moment
        answers = "\n".join(_public_answers(client, mall))
        answers_plain = json.dumps(json.loads(f"[{','.join(_public_answers(client, mall))}]"))
        for text in _private_texts():
            assert text not in answers and text not in answers_plain, text
        assert "Quesos Ana" in answers and "Cerámica Carla" in answers
        assert "Dulces Dora Retirada" not in answers  # her stand was released


@pytest.mark.db
def test_the_roster_and_showcase_show_the_published_week(client, mall, backend):
    roster = client.get(f"{API}/weeks/{mall['slot'].id}/roster").get_json()
    assert roster["published"] is True
    assert {s["business_name"] for s in roster["stands"]} == {"Quesos Ana", "Cerámica Carla"}
    assert {s["stand_code"] for s in roster["stands"]} == {
        mall["stands"]["ana"].code,
        mall["stands"]["carla"].code,
    }
    planned = client.get(f"{API}/weeks/{mall['april'].id}/roster").get_json()
    assert planned == {**planned, "published": False, "stands": []}
    show = client.get(f"{API}/showcase").get_json()
    assert show["is_current"] is True and show["week"]["id"] == mall["slot"].id
    assert [h["commune"]["slug"] for h in show["week"]["hosts"]] == ["alhue", "melipilla"] or (
        show["week"]["hosts"][0]["is_host"]
    )
    cancelled = client.get(f"{API}/weeks/{mall['march'].id}").get_json()
    assert cancelled["state"] == "cancelled"


@pytest.mark.db
def test_public_reads_answer_304_until_the_data_changes(app, db, client, mall, backend):
    first = client.get(f"{API}/weeks")
    etag = first.headers["ETag"]
    assert first.headers["Cache-Control"].startswith("public")
    again = client.get(f"{API}/weeks", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    other_page = client.get(f"{API}/weeks?page=2", headers={"If-None-Match": etag})
    assert other_page.status_code == 200  # another question, another tag
    ana = mall["people"]["ana"]
    ana.public_consent = False  # she withdraws her consent
    db.session.commit()
    changed = client.get(f"{API}/weeks/{mall['slot'].id}/roster", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and "Quesos Ana" not in changed.get_data(as_text=True)
    after = client.get(f"{API}/weeks", headers={"If-None-Match": etag})
    assert after.status_code == 200 and after.headers["ETag"] != etag


@pytest.mark.db
def test_a_week_nomination_list_shows_states_to_the_mall(app, db, mall, backend):
    secret = issue(db, mall["users"]["coordinator"])
    answer = app.test_client().get(
        f"{API}/weeks/{mall['slot'].id}/nominations", headers=bearer(secret)
    )
    states = {n["entrepreneur"]["business_name"]: n["state"] for n in answer.get_json()["items"]}
    assert states["Dulces Dora Retirada"] == NominationState.CANCELLED.value
    assert states["Quesos Ana"] == "approved"
