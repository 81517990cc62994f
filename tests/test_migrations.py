"""The Alembic history builds the same schema as the models, on SQLite and PostgreSQL."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

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
