"""What the public showcase reads: the featured week, its consenting stands, the weeks to come."""

from __future__ import annotations

from datetime import date

import pytest

from app.domain import showcase
from app.domain.errors import NotFound
from app.models import SlotState
from tests.factories import make_showcase_world

DURING = date(2027, 1, 13)
BEFORE = date(2027, 1, 5)


@pytest.fixture
def mall(app, db):
    return make_showcase_world(app)


@pytest.mark.db
def test_the_week_on_now_shows_only_consenting_entrepreneurs_with_a_live_stand(mall, backend):
    show = showcase.mall_showcase(today=DURING)
    assert show.week.id == mall["slot"].id and show.is_current and show.roster_published
    # Beto did not agree to be shown; Dora's stand was released when she was cancelled.
    assert [(s.stand_code, s.business_name) for s in show.stands] == [
        (mall["stands"]["ana"].code, "Quesos Ana"),
        (mall["stands"]["carla"].code, "Cerámica Carla"),
    ]
    ana = show.stands[0]
    assert (ana.category, ana.description, ana.website, ana.commune.slug) == (
        "Artesania",
        "Quesos frescos de cabra hechos en Pomaire.",
        "https://quesosana.cl/tienda",
        "melipilla",
    )
    assert ana.website_label == "quesosana.cl"
    for private in ("owner_name", "rut", "email", "phone"):
        assert not hasattr(ana, private)
    assert set(show.map_marks()) == {s.stand_id for s in show.stands}
    assert show.venue is None  # no stand is placed on the plan: no map


@pytest.mark.db
def test_before_the_week_the_next_published_one_is_featured(mall, backend):
    show = showcase.mall_showcase(today=BEFORE)
    assert show.week.id == mall["slot"].id and not show.is_current
    assert [s.business_name for s in show.stands] == ["Quesos Ana", "Cerámica Carla"]


@pytest.mark.db
def test_an_unpublished_week_is_announced_without_its_stands(mall, db, backend):
    mall["slot"].state = SlotState.NOMINATIONS_CLOSED  # as if it had never been published
    db.session.commit()
    ahead = showcase.mall_showcase(today=BEFORE)
    assert ahead.week.id == mall["slot"].id and not ahead.is_current
    assert ahead.stands == [] and not ahead.roster_published
    during = showcase.mall_showcase(today=DURING)
    assert during.week.id == mall["slot"].id and during.is_current
    assert during.stands == [] and not during.roster_published


@pytest.mark.db
def test_upcoming_weeks_leave_out_cancelled_ones_and_the_featured_week(mall, backend):
    show = showcase.mall_showcase(today=BEFORE)
    ids = [s.id for s in show.upcoming]
    assert mall["february"].id in ids and mall["april"].id in ids
    assert mall["march"].id not in ids and mall["slot"].id not in ids
    assert len(ids) == showcase.UPCOMING_WEEKS
    assert ids == [s.id for s in sorted(show.upcoming, key=lambda s: s.starts_on)]


@pytest.mark.db
def test_a_commune_sees_its_turns_and_only_its_consenting_entrepreneurs(mall, backend):
    melipilla = showcase.commune_showcase(mall["melipilla"], today=DURING)
    turn_ids = [s.id for s in melipilla.turns]
    assert turn_ids[:2] == [mall["slot"].id, mall["april"].id]  # March was cancelled
    assert [s.business_name for s in melipilla.stands[mall["slot"].id]] == ["Quesos Ana"]
    assert set(melipilla.stands) == {mall["slot"].id}  # April's roster is not published
    alhue = showcase.commune_showcase(mall["alhue"], today=DURING)
    assert [s.id for s in alhue.turns] == [mall["slot"].id, mall["february"].id]
    assert [s.business_name for s in alhue.stands[mall["slot"].id]] == ["Cerámica Carla"]


def test_an_unknown_commune_is_not_found(mall):
    assert showcase.get_commune("melipilla").name == "Melipilla"
    with pytest.raises(NotFound, match="No existe la comuna «narnia»"):
        showcase.get_commune("narnia")


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        ("https://quesos.cl/a?b=1", "https://quesos.cl/a?b=1"),
        ("http://quesos.cl", "http://quesos.cl"),
        ("HTTPS://quesos.cl", "HTTPS://quesos.cl"),
        ("javascript:alert(1)", None),
        ("data:text/html,hola", None),
        ("//quesos.cl", None),
        ("quesos.cl", None),
        ("", None),
        (None, None),
    ],
)
def test_only_plain_web_addresses_become_links(stored, shown):
    assert showcase.safe_website(stored) == shown
