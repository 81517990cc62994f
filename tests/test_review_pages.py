"""The review queue over HTTP: htmx rows, counters, 409s with reasons, bulk approval, scoping."""

from __future__ import annotations

import pytest
from sqlalchemy import event

from app.domain import review
from app.extensions import db as _db
from app.models import NominationState
from tests.conftest import csrf_from, csrf_token, login, page_statements, without_token
from tests.factories import make_nominations_world
from tests.test_review import submitted

S = NominationState


@pytest.fixture
def world(app, db):
    world = make_nominations_world(app, stands=10)
    world["people"] = submitted(world, 3)
    world["alhue_people"] = submitted(world, 1, commune=world["alhue"], rut_start=20_000_000)
    db.session.commit()
    return world


@pytest.fixture
def coordinator(app, world):
    client = app.test_client()
    login(client, "coordinador@example.com")
    client.token = csrf_token(client)
    return client


def htmx(client):
    return {"HX-Request": "true", "X-CSRFToken": client.token}


def test_queue_groups_by_commune_with_what_a_coordinator_needs(coordinator, world):
    html = coordinator.get(f"/review/slots/{world['slot'].id}").get_data(as_text=True)
    assert html.index("Melipilla") < html.index("Alhué")
    assert "Primera vez" in html and "Aprobar" in html and "Dejar en espera" in html
    assert 'data-testid="count-free">10<' in html


def test_htmx_approve_swaps_the_row_and_updates_the_counters(coordinator, world):
    person = world["people"][0]
    response = coordinator.post(f"/nominations/{person.id}/approve", headers=htmx(coordinator))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith(f'<tr id="nom-{person.id}"')
    assert "Aprobada" in html and 'id="review-counters"' in html and "hx-swap-oob" in html
    assert 'data-testid="count-free">9<' in html


def test_a_request_that_can_no_longer_succeed_is_409_with_the_reason(coordinator, world, db):
    person = world["people"][0]
    coordinator.post(f"/nominations/{person.id}/approve", headers=htmx(coordinator))
    again = coordinator.post(f"/nominations/{person.id}/approve", headers=htmx(coordinator))
    assert again.status_code == 409
    text = again.get_data(as_text=True)
    assert f'id="nom-{person.id}"' in text
    assert "No se puede aprobar una nominación en estado «Aprobada»." in text


def test_reject_without_reason_is_400_and_changes_nothing(coordinator, world, db):
    person = world["people"][1]
    response = coordinator.post(f"/nominations/{person.id}/reject", headers=htmx(coordinator))
    assert response.status_code == 400
    assert "Indique el motivo." in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(type(person), person.id).state is S.SUBMITTED


def test_bulk_approve_reports_each_refusal(app, coordinator, world, db):
    world["program"].mode = world["program"].mode.SHARED  # Alhué's quota of 1 now binds
    extra = submitted(world, 1, commune=world["alhue"], rut_start=21_000_000)
    db.session.commit()
    ids = [p.id for p in world["people"]] + [world["alhue_people"][0].id, extra[0].id]
    response = coordinator.post(
        f"/review/slots/{world['slot'].id}/bulk-approve",
        data={"ids": [str(i) for i in ids], "csrf_token": coordinator.token},
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    assert "Aprobados: 4." in html and "ya usó sus 1 stands" in html
    assert len(review.live_assignments(world["slot"].id)) == 4


def test_officer_withdraws_own_nomination_but_not_another_communes(app, world, db):
    client = app.test_client()
    login(client, "melipilla@example.com")
    token = csrf_token(client)
    theirs = world["alhue_people"][0]
    assert (
        client.post(f"/nominations/n/{theirs.id}/withdraw", data={"csrf_token": token}).status_code
        == 404
    )
    assert (
        client.post(
            f"/nominations/{world['people'][0].id}/approve", data={"csrf_token": token}
        ).status_code
        == 403
    )
    # The mall's decision route has no withdraw: the commune's list has the one.
    assert (
        client.post(
            f"/nominations/{world['people'][0].id}/withdraw", data={"csrf_token": token}
        ).status_code
        == 403
    )
    response = client.post(
        f"/nominations/n/{world['people'][0].id}/withdraw", data={"csrf_token": token}
    )
    assert response.status_code in (302, 303)
    db.session.expire_all()
    assert db.session.get(type(theirs), world["people"][0].id).state is S.WITHDRAWN


def test_viewer_reads_the_queue_without_buttons(app, world):
    client = app.test_client()
    login(client, "viewer@example.com")
    html = client.get(f"/review/slots/{world['slot'].id}").get_data(as_text=True)
    assert "Revisión de nominaciones" in html and "Aprobar" not in html


def test_queue_query_count_does_not_grow_with_nominations(app, world, db, coordinator):
    def count_queries(path):
        statements = []
        engine = _db.engine

        def before(*args):
            statements.append(1)

        event.listen(engine, "before_cursor_execute", before)
        try:
            assert coordinator.get(path).status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", before)
        return len(statements)

    path = f"/review/slots/{world['slot'].id}"
    review.approve(world["people"][0], by=world["users"]["coordinator"])
    db.session.commit()
    few = count_queries(path)
    more = submitted(world, 8, rut_start=30_000_000)
    db.session.commit()
    for n in [*world["people"][1:], *more[:5]]:
        review.approve(n, by=world["users"]["coordinator"])
    db.session.commit()
    assert count_queries(path) == few <= 15


def test_stand_change_form_lists_only_free_suitable_stands(coordinator, world):
    person = world["people"][0]
    coordinator.post(f"/nominations/{person.id}/approve", headers=htmx(coordinator))
    html = coordinator.get(f"/nominations/{person.id}/stand", headers=htmx(coordinator))
    text = html.get_data(as_text=True)
    assert text.count("<option") == 9  # 10 stands, one taken by this very nomination
    assert 'name="stand_id"' in text and "<html" not in text


@pytest.mark.db
def test_queue_is_served_from_cache_until_the_data_changes(app, coordinator, world, db):
    path = f"/review/slots/{world['slot'].id}"
    first = coordinator.get(path).get_data(as_text=True)
    with page_statements() as statements:
        again = coordinator.get(path).get_data(as_text=True)
    assert without_token(again) == without_token(first)
    # A cache hit is one statement: the session's user, with the data version alongside.
    assert len(statements) == 1 and "data_version" in statements[0]
    # Another coordinator's session: same rows, their own CSRF token and name.
    other = app.test_client()
    login(other, "admin@example.com")
    theirs = other.get(path).get_data(as_text=True)
    assert csrf_from(theirs) != csrf_from(first) and "admin" in theirs
    # The token put back into the cached page is valid for that session.
    response = other.post(
        f"/nominations/{world['people'][0].id}/approve",
        headers={"HX-Request": "true", "X-CSRFToken": csrf_from(theirs)},
    )
    assert response.status_code == 200
    after = coordinator.get(path).get_data(as_text=True)
    assert 'data-testid="count-free">9<' in after and after != first


def test_publishing_a_week_with_nominations_left_to_review_asks_first(coordinator, world, db):
    from tests.test_review import close

    close(world)
    db.session.commit()
    page = coordinator.get(f"/rotation/slots/{world['slot'].id}").get_data(as_text=True)
    assert 'hx-confirm="Quedan 4 nominaciones por revisar' in page  # 3 + 1 still submitted
    for n in (*world["people"], *world["alhue_people"]):
        review.approve(n, by=world["users"]["coordinator"])
    db.session.commit()
    page = coordinator.get(f"/rotation/slots/{world['slot'].id}").get_data(as_text=True)
    assert ">Publicar<" in page and "nominaciones por revisar" not in page
