"""The signed-in home page: this week and the next turns, built once per data version."""

from __future__ import annotations

import pytest

from app.domain import rotation
from tests.conftest import login, page_statements, without_token
from tests.factories import make_nominations_world


def _statements(client, path: str) -> tuple[str, list[str]]:
    with page_statements() as seen:
        html = client.get(path).get_data(as_text=True)
    return html, seen


@pytest.mark.db
def test_an_officer_sees_the_communes_next_turns_kept_until_the_schedule_changes(app, db, backend):
    world = make_nominations_world(app)
    officer = app.test_client()
    login(officer, "melipilla@example.com")
    first, _ = _statements(officer, "/")
    assert "Nuestros próximos turnos" in first and "Nominaciones hasta el" in first
    again, statements = _statements(officer, "/")
    assert without_token(again) == without_token(first)  # the same page, this session's token
    assert len(statements) == 1  # the session's user with the data version: a kept page
    # The schedule changes: Melipilla loses its stands that week; the page follows at once.
    rotation.set_allocations(
        world["slot"], {world["alhue"].id: 2}, host_id=None, by=None, reason="prueba"
    )
    db.session.commit()
    after, statements = _statements(officer, "/")
    assert len(statements) > 1 and "Nominaciones hasta el" not in after


def test_each_user_gets_their_own_home_from_the_kept_pages(app, db):
    make_nominations_world(app)
    melipilla, alhue = app.test_client(), app.test_client()
    login(melipilla, "melipilla@example.com")
    login(alhue, "alhue@example.com")
    mine = melipilla.get("/").get_data(as_text=True)
    theirs = alhue.get("/").get_data(as_text=True)
    assert "Encargado comunal de Melipilla" in mine
    assert "Encargado comunal de Alhué" in theirs and "Encargado comunal de Melipilla" not in theirs


def test_a_coordinator_sees_which_weeks_wait_for_review_and_goes_there(app, db):
    from tests.test_review import submitted

    world = make_nominations_world(app, stands=3)
    first, _ = submitted(world, 2)
    submitted(world, 1, commune=world["alhue"], rut_start=20_000_000)
    db.session.commit()
    coordinator = app.test_client()
    login(coordinator, "coordinador@example.com")
    html = coordinator.get("/").get_data(as_text=True)
    queue = f'href="/review/slots/{world["slot"].id}"'
    assert "3 nominaciones por revisar" in html and queue in html
    assert f'href="/rotation/slots/{world["slot"].id}"' in html  # the week itself
    queue_page = coordinator.get(f"/review/slots/{world['slot'].id}")
    assert queue_page.status_code == 200 and "Revisión de nominaciones" in queue_page.text
    # Approving one leaves two to review; the kept page follows at once.
    from app.domain import review

    review.approve(first, by=world["users"]["coordinator"])
    db.session.commit()
    assert "2 nominaciones por revisar" in coordinator.get("/").get_data(as_text=True)


def test_a_coordinator_with_nothing_to_review_gets_no_review_button(app, db):
    world = make_nominations_world(app)
    coordinator = app.test_client()
    login(coordinator, "coordinador@example.com")
    html = coordinator.get("/").get_data(as_text=True)
    assert "por revisar" not in html and f"/review/slots/{world['slot'].id}" not in html


def test_an_officer_sees_how_far_the_communes_list_has_got_and_a_way_to_nominate(app, db):
    from tests.test_review import submitted

    world = make_nominations_world(app, stands=3)
    submitted(world, 2)
    submitted(world, 1, commune=world["alhue"], rut_start=20_000_000)
    db.session.commit()
    officer = app.test_client()
    login(officer, "melipilla@example.com")
    html = officer.get("/").get_data(as_text=True)
    slot_id, melipilla = world["slot"].id, world["melipilla"].id
    assert "2 de 3 stands nominados" in html  # its own, not Alhué's
    assert f'href="/nominations/{slot_id}/{melipilla}"' in html and ">Nominar<" in html
    assert "por revisar" not in html and "/review/slots/" not in html


def test_a_viewer_sees_what_waits_for_review_but_is_not_asked_to_decide(app, db):
    from tests.test_review import submitted

    world = make_nominations_world(app, stands=3)
    submitted(world, 2)
    db.session.commit()
    viewer = app.test_client()
    login(viewer, "viewer@example.com")
    html = viewer.get("/").get_data(as_text=True)
    assert "2 nominaciones por revisar" in html and f"/review/slots/{world['slot'].id}" in html
    assert ">Ver nominaciones<" in html and ">Revisar<" not in html


def test_an_officer_is_reminded_of_drafts_the_mall_cannot_see_yet(app, db):
    from app.domain import nominations
    from tests.factories import register

    world = make_nominations_world(app, stands=3)
    officer_user = world["users"]["officer"]
    person = register(world["melipilla"], world["crafts"], "12345678-5", by=officer_user)
    nominations.nominate(world["slot"], person, by=officer_user)
    db.session.commit()
    officer = app.test_client()
    login(officer, "melipilla@example.com")
    html = officer.get("/").get_data(as_text=True)
    assert "1 de 3 stands nominados" in html and "1 sin enviar" in html
    nominations.submit_list(world["slot"], world["melipilla"], by=officer_user)
    db.session.commit()
    html = officer.get("/").get_data(as_text=True)
    assert "1 de 3 stands nominados" in html and "sin enviar" not in html


def test_once_the_mall_decides_an_officer_sees_how_many_got_a_stand(app, db):
    from app.domain import review
    from tests.test_review import close, submitted

    world = make_nominations_world(app, stands=2)
    main, _other, reserve = submitted(world, 3)  # the third goes on the reserve list
    db.session.commit()
    close(world)
    coordinator = world["users"]["coordinator"]
    review.approve(main, by=coordinator)
    review.decide(_other, "reject", by=coordinator, reason="Sin permiso")
    review.approve(reserve, by=coordinator)  # the reserve called up
    db.session.commit()
    officer = app.test_client()
    login(officer, "melipilla@example.com")
    html = officer.get("/").get_data(as_text=True)
    assert "2 de 2 stands asignados" in html and "nominados" not in html
    assert ">Ver nominaciones<" in html


def test_after_nominations_close_an_officer_sees_what_still_waits_for_the_mall(app, db):
    from tests.test_review import close, submitted

    world = make_nominations_world(app, stands=3)
    submitted(world, 2)
    db.session.commit()
    close(world)
    db.session.commit()
    officer = app.test_client()
    login(officer, "melipilla@example.com")
    html = officer.get("/").get_data(as_text=True)
    assert "0 de 3 stands asignados" in html and "2 esperan la revisión del mall" in html
