"""Schema migrations (Alembic) driven from code: `complaints db upgrade` calls `upgrade`."""
from __future__ import annotations

from importlib import resources

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine


def alembic_config(url: str | None = None) -> Config:
    """An Alembic config pointing at this package's migrations."""
    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("workflow.store") / "migrations"))
    if url:
        cfg.set_main_option("sqlalchemy.url", url)
    return cfg


def upgrade(engine: Engine, revision: str = "head", policy=None) -> None:
    """Bring the database to `revision` (the newest by default).

    `policy` (a `states.policy.Policy`) becomes the first policy version of a database
    that holds complaints from before versions existed (the shipped default if None)."""
    cfg = alembic_config()
    cfg.attributes["policy"] = policy
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def current(engine: Engine) -> str | None:
    """The database's current revision, or None for an empty database."""
    from alembic.runtime.migration import MigrationContext
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()
