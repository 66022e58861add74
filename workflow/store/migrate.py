"""Schema migrations (Alembic) driven from code: `complaints db upgrade` calls `upgrade`."""
from __future__ import annotations

from contextlib import contextmanager
from functools import cache
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
    with _migrating(engine) as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Take the database back to `revision` (for tests of an upgrade with data in it)."""
    cfg = alembic_config()
    with _migrating(engine) as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


@contextmanager
def _migrating(engine: Engine):
    """One transaction for the whole migration. On SQLite the foreign keys are off during
    it and checked before the commit (SQLite's own recipe for schema changes): Alembic's
    batch mode rebuilds a table by dropping it, which foreign keys refuse while other
    rows refer to it."""
    with engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:           # a no-op inside a transaction: set before BEGIN
            conn.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
        try:
            with conn.begin():
                yield conn
                broken = sqlite and conn.exec_driver_sql("PRAGMA foreign_key_check").all()
                if broken:
                    raise RuntimeError(f"the migration broke foreign keys: {broken[:5]}")
        finally:
            if sqlite:
                conn.connection.driver_connection.execute("PRAGMA foreign_keys=ON")


def current(engine: Engine) -> str | None:
    """The database's current revision, or None for an empty database."""
    from alembic.runtime.migration import MigrationContext
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


@cache
def heads() -> frozenset[str]:
    """The newest revisions this code knows (one, once the revisions are chained)."""
    from alembic.script import ScriptDirectory
    return frozenset(ScriptDirectory.from_config(alembic_config()).get_heads())


@cache
def known() -> frozenset[str]:
    """Every revision this code knows."""
    from alembic.script import ScriptDirectory
    return frozenset(r.revision for r in ScriptDirectory.from_config(alembic_config()).walk_revisions())


def schema_problem(conn) -> str | None:
    """What is wrong with the schema version on `conn` (None: current), bilingual."""
    from alembic.runtime.migration import MigrationContext
    current = frozenset(MigrationContext.configure(conn).get_current_heads())
    if current == heads():
        return None
    if not current:
        return "数据库尚无表结构 the database has no schema: run `complaints db upgrade`"
    unknown = current - known()
    if unknown:
        return (f"数据库版本比程序新 the database is at revision {', '.join(sorted(unknown))}, "
                f"which this code does not know (it expects {', '.join(sorted(heads()))}): "
                "deploy the newer code")
    return (f"数据库版本过旧 the database is at revision {', '.join(sorted(current))}, the code "
            f"expects {', '.join(sorted(heads()))}: run `complaints db upgrade`")
