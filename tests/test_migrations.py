"""The Alembic history builds the same schema as the models, on SQLite and PostgreSQL."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from app.extensions import db as _db


@pytest.fixture
def app(app_config):
    # Unlike the other tests, the schema here comes from the migrations, not create_all().
    from app import create_app
    from app.config import TestConfig

    class Config(TestConfig):
        pass

    for key, value in app_config.items():
        setattr(Config, key, value)
    application = create_app(Config)
    with application.app_context():
        yield application
        _db.session.remove()
        _db.engine.dispose()


@pytest.mark.db
def test_migrations_upgrade_an_empty_database_to_the_models(app, backend):
    upgrade()
    with _db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), _db.metadata)
    assert diff == []


@pytest.mark.db
def test_migrations_downgrade_to_empty_and_up_again(app, backend):
    upgrade()
    downgrade(revision="base")
    with _db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), _db.metadata)
    assert any(d[0] == "add_table" for d in diff)
    upgrade()


def _slot_constraints(conn) -> list[str]:
    return list(
        conn.execute(
            text(
                "SELECT conname FROM pg_constraint WHERE contype = 'x' "
                "AND conrelid = 'slot'::regclass"
            )
        ).scalars()
    )


@pytest.mark.postgres_only
def test_0010_adds_the_slot_dates_exclusion_and_removes_it_on_downgrade(app, backend):
    upgrade()
    with _db.engine.connect() as conn:
        assert _slot_constraints(conn) == ["ex_slot_program_dates_overlap"]
    downgrade(revision="0009")
    with _db.engine.connect() as conn:
        assert _slot_constraints(conn) == []
    upgrade()


@pytest.mark.postgres_only
def test_0010_stops_with_the_overlapping_weeks_named(app, backend, capfd):
    upgrade(revision="0009")
    with _db.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO venue (id, name, slug, city, address, timezone) "
                "VALUES (1, 'Mall', 'mall', 'Melipilla', '', 'America/Santiago')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO program (id, venue_id, name, starts_on, ends_on, mode, week_rule, "
                "week_rule_n, week_rule_weekday, week_start_weekday, week_length_days, "
                "nominations_close_days, max_weeks_per_entrepreneur_year, created_at) VALUES "
                "(1, 1, 'P', '2027-01-01', '2027-12-31', 'host', 'nth_full_week', 2, 0, 0, 7, "
                "14, 2, now())"
            )
        )
        for slot_id, month, starts_on, ends_on in (
            (1, 3, "2027-03-08", "2027-03-14"),
            (2, 4, "2027-03-14", "2027-03-20"),
        ):
            conn.execute(
                text(
                    "INSERT INTO slot (id, program_id, year, month, starts_on, ends_on, state, "
                    "capacity, manual_dates, notes, sequence, updated_at) VALUES "
                    "(:id, 1, 2027, :m, :s, :e, 'planned', 0, true, '', 0, now())"
                ),
                {"id": slot_id, "m": month, "s": starts_on, "e": ends_on},
            )
    with pytest.raises(SystemExit):  # how Flask-Migrate reports a failed migration
        upgrade()
    assert "slot 1 (2027-03-08–2027-03-14) and 2 (2027-03-14–2027-03-20)" in capfd.readouterr().err
    with _db.engine.connect() as conn:
        assert _slot_constraints(conn) == []
