"""`flask demo load` fills an empty database with the real setting, and only an empty one."""

from collections import Counter

import pytest
from sqlalchemy import func, select

from app.domain import rut
from app.models import Commune, Entrepreneur, Role, Slot, SlotAllocation, Stand, User
from tests.conftest import login


@pytest.mark.db
def test_demo_load_builds_the_province(app, db, backend):
    result = app.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    assert "Demostración cargada" in result.output

    communes = db.session.execute(select(Commune).order_by(Commune.ine_code)).scalars().all()
    assert [(c.name, c.ine_code) for c in communes] == [
        ("Melipilla", "13501"),
        ("Alhué", "13502"),
        ("Curacaví", "13503"),
        ("María Pinto", "13504"),
        ("San Pedro", "13505"),
    ]
    stands = db.session.execute(select(Stand)).scalars().all()
    assert len(stands) >= 20
    assert any(s.has_power for s in stands) and any(not s.has_power for s in stands)
    assert any(s.food_allowed for s in stands)

    officers = db.session.execute(select(User).where(User.role == Role.OFFICER)).scalars().all()
    assert sorted(u.email for u in officers) == [
        "alhue@example.com",
        "curacavi@example.com",
        "mariapinto@example.com",
        "melipilla@example.com",
        "sanpedro@example.com",
    ]
    per_commune = Counter(db.session.execute(select(Entrepreneur.commune_id)).scalars().all())
    assert len(per_commune) == 5 and min(per_commune.values()) >= 24
    assert all(rut.is_valid_rut(r) for r in db.session.execute(select(Entrepreneur.rut)).scalars())

    slots = db.session.execute(select(Slot)).scalars().all()
    assert len(slots) == 24  # two years of monthly weeks
    hosted = db.session.execute(
        select(func.count()).select_from(SlotAllocation).where(SlotAllocation.is_host)
    ).scalar_one()
    assert hosted == 24  # every week has a host commune from the planner


def test_demo_refuses_a_database_with_data(app, db):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    again = runner.invoke(args=["demo", "load"])
    assert again.exit_code != 0
    assert "no está vacía" in again.output
    assert runner.invoke(args=["demo", "load", "--if-empty"]).exit_code == 0


def test_demo_refuses_production(app, db):
    app.config["ENV_NAME"] = "production"
    result = app.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code != 0
    assert "producción" in result.output
    assert db.session.execute(select(func.count()).select_from(User)).scalar_one() == 0


def test_demo_users_log_in_with_the_demo_password(app, db):
    app.test_cli_runner().invoke(args=["demo", "load"])
    for email in ("admin@example.com", "coordinador@example.com", "sanpedro@example.com"):
        assert login(app.test_client(), email, "vitrina-demo").status_code == 302


def test_cli_creates_an_officer_for_a_commune(app, db):
    runner = app.test_cli_runner()
    runner.invoke(args=["demo", "load"])
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "Nueva@Example.com",
            "--role",
            "officer",
            "--commune",
            "curacavi",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "Contraseña inicial" in result.output
    user = db.session.execute(select(User).where(User.email == "nueva@example.com")).scalar_one()
    assert user.commune.slug == "curacavi" and user.must_change_password


def test_cli_refuses_an_officer_without_commune(app, db):
    result = app.test_cli_runner().invoke(
        args=["users", "create", "--email", "x@example.com", "--role", "officer"]
    )
    assert result.exit_code != 0
    assert "debe tener una comuna" in result.output


def test_the_demos_history_sends_no_mail(app, db):
    from app.models import OutboxMessage

    app.test_cli_runner().invoke(args=["demo", "load"])
    assert db.session.execute(select(func.count()).select_from(OutboxMessage)).scalar_one() == 0


def test_the_demos_staff_find_the_last_months_notices_in_their_inbox(app, db):
    """Replayed history e-mails nobody, but the notices of its last two weeks are in the staff's
    inboxes (lists sent, decisions), as after a month of real work: the inbox is not empty."""
    from app import clock
    from app.demo.loader import INBOX_DAYS
    from app.models import InboxItem, OutboxMessage

    app.test_cli_runner().invoke(args=["demo", "load"])
    items = list(db.session.execute(select(InboxItem)).scalars())
    assert items, "the demo's staff should have notices"
    now = clock.now_utc()
    assert all(now - INBOX_DAYS <= item.created_at <= now for item in items)
    # Staff who work the weeks: coordinators (lists sent) and, once the mall decided, officers.
    from app.models import Role, User

    roles = {db.session.get(User, item.user_id).role for item in items}
    assert Role.COORDINATOR in roles and roles <= {Role.COORDINATOR, Role.OFFICER}
    assert all(item.read_at is None and item.link.startswith("/") for item in items)
    assert db.session.execute(select(func.count()).select_from(OutboxMessage)).scalar_one() == 0
