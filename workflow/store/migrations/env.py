"""Alembic environment: migrates the database given by the caller's connection or URL."""
from alembic import context
from sqlalchemy import pool

from workflow.store.db import make_engine
from workflow.store.schema import include_name, metadata

config = context.config


def run_migrations_online() -> None:
    """Run migrations on the connection passed in, or on a new engine for the URL."""
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=metadata,
                          include_name=include_name, render_as_batch=True, compare_type=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url"), poolclass=pool.NullPool)
    with engine.connect() as conn:
        context.configure(connection=conn, target_metadata=metadata, include_name=include_name,
                          render_as_batch=True, compare_type=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations_online()
