"""The Alembic migrations produce exactly the tables of `workflow.store.schema`, on both databases."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from workflow.store import migrate
from workflow.store.db import make_engine
from workflow.store.schema import metadata


def test_the_migrated_database_matches_the_schema_module(database_url):
    engine = make_engine(database_url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []
        assert set(inspect(conn).get_table_names()) >= set(metadata.tables)
    assert migrate.current(engine) is not None
    engine.dispose()


def test_upgrading_an_up_to_date_database_changes_nothing(database_url):
    engine = make_engine(database_url)
    revision = migrate.current(engine)
    migrate.upgrade(engine)
    assert migrate.current(engine) == revision
    engine.dispose()
