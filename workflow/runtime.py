"""The workflow runtime: engine, policy, calendar and process, and units of work on them."""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

from states.calendar import BusinessCalendar
from states.policy import Policy, load_policy
from states.process import PROCESS, Process
from workflow import db
from workflow.calendar_admin import calendar_from
from workflow.db import make_engine
from workflow.settings import Settings

log = logging.getLogger(__name__)
#: How often a long-running process re-reads administrator-loaded calendar days.
CALENDAR_REFRESH_SECONDS = 60


class UnitOfWork:
    """One database transaction; rolls back on exit unless `commit()` was called."""

    def __init__(self, runtime: "Runtime", write: bool = True):
        self.runtime, self.write = runtime, write
        self.policy, self.calendar, self.process = runtime.policy, runtime.calendar, runtime.process
        self.conn: Connection | None = None

    def __enter__(self) -> "UnitOfWork":
        # SQLite has one writer: threads of this process queue on a Python lock, which
        # hands over at once, instead of in SQLite's busy handler, which sleeps up to
        # 100 ms between tries (p99 ~1 s under 32 concurrent API clients). Other
        # processes still meet at SQLite's own lock. PostgreSQL needs none of this.
        self._lock = self.runtime.sqlite_writer if self.write else None
        if self._lock:
            self._lock.acquire()
        try:
            self.conn = self.runtime.engine.connect()
            self._tx = db.begin(self.conn, self.write)
        except BaseException:
            if self._lock:
                self._lock.release()
            raise
        return self

    def __exit__(self, *exc_info) -> None:
        try:
            if self._tx.is_active:
                self._tx.rollback()
        finally:
            self.conn.close()
            if self._lock:
                self._lock.release()

    def commit(self) -> None:
        """Commit everything done in this unit of work."""
        self._tx.commit()


class Runtime:
    """Everything a service needs, built once per process."""

    def __init__(self, engine: Engine, policy: Policy, process: Process = PROCESS):
        self.engine, self.policy, self.process = engine, policy, process
        self.calendar = BusinessCalendar()
        self.sqlite_writer = threading.RLock() if engine.dialect.name == "sqlite" else None
        self._calendar_checked = float("-inf")

    @classmethod
    def from_settings(cls, settings: Settings) -> "Runtime":
        """Build from settings; a bad policy file raises PolicyError before anything starts."""
        policy = load_policy(settings.policy_path)
        return cls(make_engine(settings.database_url), policy)

    def uow(self, write: bool = True) -> UnitOfWork:
        """A new unit of work (a transaction that writes, unless `write=False`)."""
        if time.monotonic() - self._calendar_checked >= CALENDAR_REFRESH_SECONDS:
            self._refresh_calendar()
        return UnitOfWork(self, write)

    @contextmanager
    def reader(self) -> Iterator[Connection]:
        """A connection outside any transaction, for single-statement reads on hot paths.

        Each statement stands alone (autocommit): no BEGIN and ROLLBACK around it (on
        PostgreSQL two round trips, and a ROLLBACK makes psycopg drop its prepared
        statements). Reads that must agree with each other belong in `uow(write=False)`.
        """
        conn = self.engine.connect()
        try:
            if conn.dialect.name != "sqlite":   # pysqlite already runs autocommit (see db.py)
                conn.execution_options(isolation_level="AUTOCOMMIT")
            yield conn
        finally:
            conn.close()

    def _refresh_calendar(self) -> None:
        # Days an administrator loaded in any process reach this one within a minute.
        self._calendar_checked = time.monotonic()
        try:
            self.reload_calendar()
        except DBAPIError as exc:  # before `db upgrade` the tables do not exist yet
            log.debug("calendar tables not readable yet: %s", exc)

    def reload_calendar(self) -> BusinessCalendar:
        """Load administrator-entered calendar days from the database."""
        with self.engine.connect() as conn:
            self.calendar = calendar_from(conn)
        return self.calendar
