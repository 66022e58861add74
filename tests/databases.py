"""Migrated databases for the tests, paid for once per session.

Migrating a fresh database through every revision costs 0.3–0.6 s; the suite needs a
fresh one for hundreds of tests. So each test session (each xdist worker is one)
migrates one template of each kind and copies it per test:

- SQLite: the template file, checkpointed and closed, copied with `shutil.copyfile`
  (a few milliseconds);
- PostgreSQL: `CREATE DATABASE … TEMPLATE`, which needs a template no one is connected
  to (≈70 ms). Dropping a database makes the server checkpoint (1–3 s on this busy
  machine, where other suites dirty the buffers), so the copies are dropped by a few
  threads of their own while the next tests run (drops that wait together share one
  checkpoint), and the session waits for them at the end.
"""
from __future__ import annotations

import shutil
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url

from workflow.store import migrate
from workflow.store.db import make_engine

#: Threads dropping the copies of a session's PostgreSQL template.
DROPPERS = 4


def migrate_sqlite(path: Path) -> Path:
    """Create the SQLite file `path`, migrate it to the newest revision and leave it
    closed with its write-ahead log folded in, so that a plain file copy is complete."""
    engine = make_engine(f"sqlite:///{path}")
    try:
        migrate.upgrade(engine)
    finally:
        seal_sqlite(engine, path)
    return path


def seal_sqlite(engine: Engine, path: Path) -> None:
    """Fold the write-ahead log of the SQLite file `path` into it and close `engine`, so
    that the file alone holds everything (ready to be copied)."""
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    wal = path.with_name(path.name + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0, f"{wal} was not folded into {path}"


def copy_sqlite(template: Path, path: Path) -> str:
    """A copy of the migrated `template` at `path`; returns its URL."""
    shutil.copyfile(template, path)
    return f"sqlite:///{path}"


class PostgresTemplates:
    """A migrated template database on the server of `base_url`, and fresh copies of it.

    The template's name is unique to the session, so xdist workers and parallel runs on
    one server never share one (CREATE DATABASE refuses a template in use)."""

    def __init__(self, base_url: str):
        self.base = make_url(base_url)
        self.admin: Engine = create_engine(self.base, isolation_level="AUTOCOMMIT")
        self.tag = uuid.uuid4().hex[:10]
        self.template = f"complaints_tpl_{self.tag}"
        self._execute(f'CREATE DATABASE "{self.template}"')
        engine = make_engine(self.url(self.template))
        try:
            migrate.upgrade(engine)
        finally:
            engine.dispose()         # a template must have no open connection
        self.count = 0
        self._dropping = ThreadPoolExecutor(max_workers=DROPPERS, thread_name_prefix="pg-drop")
        self._drops: list[Future] = []

    def url(self, name: str) -> str:
        """The URL of database `name` on this server."""
        return self.base.set(database=name).render_as_string(hide_password=False)

    def copy(self) -> str:
        """A new database copied from the template; returns its name."""
        self.count += 1
        name = f"complaints_test_{self.tag}_{self.count}"
        self._execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
        return name

    def drop(self, name: str) -> None:
        """Have database `name` dropped (soon, by a dropping thread), ending any
        connection a test left open to it."""
        self._drops.append(self._dropping.submit(self._drop_now, name))

    def close(self) -> None:
        """Wait until every copy is dropped, drop the template and let go of the server."""
        self._dropping.shutdown(wait=True)
        failures = [f.exception() for f in self._drops if f.exception() is not None]
        self._drop_now(self.template)
        self.admin.dispose()
        assert not failures, f"copies of {self.template} not dropped: {failures}"

    def _drop_now(self, name: str) -> None:
        self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def _execute(self, statement: str) -> None:
        with self.admin.connect() as conn:
            conn.execute(text(statement))
