"""Officers see the outcome where the entrepreneur is: the stand given, the rejection's reason;
and the home page says what changed since their last visit."""

import re

import pytest

from app.domain import review
from tests.conftest import login
from tests.factories import make_nominations_world
from tests.test_review import close, submitted


@pytest.fixture
def world(app, db):
    return make_nominations_world(app, stands=10)


def row(page: str, nomination_id: int) -> str:
    match = re.search(rf'<li id="nomination-{nomination_id}"[^>]*>(.*?)</li>', page, re.S)
    assert match, f"nomination {nomination_id} is not in the list"
    return match.group(1)


def test_the_officers_list_shows_each_stand_and_each_reason_beside_the_entrepreneur(
    client, world, db
):
    approved, rejected, waiting = submitted(world, 3)
    close(world)
    coordinator = world["users"]["coordinator"]
    stand = review.approve(approved, by=coordinator).stand
    review.decide(rejected, "reject", by=coordinator, reason="Rubro repetido esta semana")
    db.session.commit()
    login(client, "melipilla@example.com")
    page = client.get(f"/nominations/{world['slot'].id}/{world['melipilla'].id}").get_data(
        as_text=True
    )
    assert f"Stand {stand.code}" in row(page, approved.id)
    turned_down = row(page, rejected.id)
    assert "Rechazada" in turned_down and "Motivo: Rubro repetido esta semana" in turned_down
    assert "Stand" not in row(page, waiting.id)
    # Not tucked away in the collapsed record at the bottom.
    assert "<details" not in page.split(f'id="nomination-{rejected.id}"')[0][-2000:]


def test_the_home_page_says_what_changed_since_the_previous_sign_in(app, client, world, db):
    from datetime import timedelta

    from app import clock

    start = clock.now_utc()
    approved, rejected, _waiting = submitted(world, 3)
    db.session.commit()
    login(client, "melipilla@example.com")  # the first sign-in: nothing to compare with
    assert 'data-testid="since-visit"' not in client.get("/").get_data(as_text=True)
    client.post("/logout", data={})
    with clock.frozen_at(start + timedelta(hours=1)):
        close(world)
        coordinator = world["users"]["coordinator"]
        stand = review.approve(approved, by=coordinator).stand
        review.decide(rejected, "reject", by=coordinator, reason="Rubro repetido")
        db.session.commit()
    with clock.frozen_at(start + timedelta(hours=2)):
        other = app.test_client()
        login(other, "melipilla@example.com")
        page = other.get("/").get_data(as_text=True)
    section = page.split('data-testid="since-visit"')[1].split("</section>")[0]
    assert "Desde su última visita" in page
    assert "1 aprobada" in section and "1 rechazada" in section
    name = approved.entrepreneur.business_name
    assert f"Aprobó a {name}, stand {stand.code}" in section
    assert f"Rechazó a {rejected.entrepreneur.business_name}" in section
    assert "Rubro repetido" in section
    assert section.count("stand") == 1  # the stand given is part of the approval, once


def test_the_mall_sees_lists_sent_since_its_previous_sign_in(app, world, db):
    from datetime import timedelta

    from app import clock

    start = clock.now_utc()
    first = app.test_client()
    login(first, "coordinador@example.com")
    with clock.frozen_at(start + timedelta(hours=1)):
        submitted(world, 2)
        db.session.commit()
    with clock.frozen_at(start + timedelta(hours=2)):
        again = app.test_client()
        login(again, "coordinador@example.com")
        page = again.get("/").get_data(as_text=True)
    assert "2 nominaciones enviadas a revisión" in page
