"""The data version moves with schedule changes (so feeds revalidate) and not with others."""

import pytest

from app.domain import accounts, changes, rotation
from app.models import Role
from tests.factories import make_program, make_world


def test_schedule_changes_move_the_version_and_account_changes_do_not(db):
    world = make_world()
    before, _ = changes.current(db.session)
    program = make_program(world["venue"], year=2027)
    rotation.plan_year(program, 2027, by=None, apply=True)
    db.session.commit()
    planned, changed_at = changes.current(db.session)
    assert planned > before and changed_at is not None
    accounts.create_user(email="otra@example.com", name="Otra", role=Role.VIEWER, by=None)
    db.session.commit()
    assert changes.current(db.session)[0] == planned
    world["communes"][0].color = "#000000"
    db.session.commit()
    assert changes.current(db.session)[0] == planned + 1
    db.session.rollback()
    program.slots[0].notes = "x"
    db.session.rollback()  # a change that never commits leaves no trace
    assert changes.current(db.session)[0] == planned + 1


@pytest.mark.db
def test_a_session_reads_the_version_once_and_forgets_it_when_it_changes_data(db):
    from sqlalchemy import select

    from app.models import User

    world = make_world()
    db.session.commit()
    user, version = db.session.execute(
        changes.with_version(select(User).where(User.id == world["users"]["coordinator"].id))
    ).one()
    assert user.id == world["users"]["coordinator"].id and version == changes.current(db.session)[0]
    changes.note(db.session, version)
    assert changes.seen(db.session) == version
    # Its own schedule change forgets the stale read: the next look goes to the database.
    world["communes"][0].color = "#111111"
    db.session.flush()
    assert changes.seen(db.session) == version + 1


@pytest.mark.db
def test_a_rolled_back_change_forgets_the_version_it_moved(db, backend):
    world = make_world()
    db.session.commit()
    before = changes.seen(db.session)
    world["communes"][0].color = "#222222"
    db.session.flush()
    assert changes.seen(db.session) == before + 1  # this session's own, uncommitted change
    db.session.rollback()
    assert changes.seen(db.session) == before == changes.current(db.session)[0]


def test_every_model_is_either_tracked_or_listed_as_not_shown(app):
    from app.extensions import db as _db

    mapped = {mapper.class_ for mapper in _db.Model.registry.mappers}
    tracked, not_shown = set(changes.TRACKED), set(changes.NOT_SHOWN)
    assert not tracked & not_shown
    assert mapped == tracked | not_shown, "classify each new model in app/domain/changes.py"


@pytest.mark.db
def test_bulk_statements_move_the_version(db, backend):
    from sqlalchemy import update

    from app.models import Entrepreneur
    from tests.factories import make_category, register

    world = make_world()
    person = register(world["communes"][0], make_category(), "12345678-5", public_consent=True)
    db.session.commit()
    before = changes.current(db.session)[0]
    db.session.execute(
        update(Entrepreneur).where(Entrepreneur.id == person.id).values(public_consent=False)
    )
    db.session.commit()
    assert changes.current(db.session)[0] == before + 1


def test_an_import_withdrawing_consent_takes_the_person_off_the_showcase(app, db, client):
    """A person who says no to publication in the commune's spreadsheet leaves the public
    pages and feeds at once: the import's bulk update moves their validators."""
    from app.domain import csv_import
    from tests.factories import make_nominations_world, register

    w = make_nominations_world(app)
    register(w["melipilla"], w["crafts"], "12345678-5", public_consent=True)
    db.session.commit()
    first = client.get("/calendar/mall.ics")
    officer = w["users"]["officer"]
    content = (
        "RUT;Nombre del negocio;Titular;Rubro;Acepta publicación\n"
        "12.345.678-5;Negocio;Persona de Prueba;Artesania;no\n"
    ).encode()
    batch = csv_import.start_import(content, filename="c.csv", commune=w["melipilla"], by=officer)
    while batch.state.value == "checking":
        csv_import.check_next_chunk(batch)
    assert csv_import.preview(batch)["update_count"] == 1
    csv_import.commit_import(batch, by=officer)
    db.session.commit()
    again = client.get("/calendar/mall.ics", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 200
    assert again.headers["ETag"] != first.headers["ETag"]
