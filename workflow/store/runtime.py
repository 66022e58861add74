"""The workflow runtime: engine, policy, calendar and process, and units of work on them."""
from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

from states.calendar import BusinessCalendar
from states.policy import Policy, load_policy
from states.process import PROCESS, Process
from workflow import metrics
from workflow.settings import Settings
from workflow.store import db
from workflow.store.calendar import calendar_from
from workflow.store.db import make_engine
from workflow.store.locks import WriterLock

log = logging.getLogger(__name__)


class WriteTracker:
    """Whether a unit of work that writes began while it was active (`track_writes`)."""

    begun = False


_writes: ContextVar[WriteTracker | None] = ContextVar("complaints_writes", default=None)


@contextmanager
def track_writes() -> Iterator[WriteTracker]:
    """Note whether any writing unit of work begins inside the block (in this thread or
    task): when one did not, a failed request wrote nothing and may safely run again."""
    tracker = WriteTracker()
    token = _writes.set(tracker)
    try:
        yield tracker
    finally:
        _writes.reset(token)


#: How often a long-running process re-reads administrator-loaded calendar days.
CALENDAR_REFRESH_SECONDS = 60


class UnitOfWork:
    """One database transaction; rolls back on exit unless `commit()` was called.

    `autocommit` (PostgreSQL; ignored on SQLite) runs each statement as its own
    transaction, saving the BEGIN and COMMIT round trips, for work whose only write is a
    single statement (`workflow.store.complaints.one_statement`): it is atomic by itself, and the
    reads before it are checked by its version condition.
    """

    def __init__(self, runtime: "Runtime", write: bool = True, autocommit: bool = False):
        self.runtime, self.write = runtime, write
        self.policy, self.calendar, self.process = runtime.policy, runtime.calendar, runtime.process
        self.conn: Connection | None = None
        self._binding: _Binding | None = None
        self.autocommit = autocommit and runtime.engine.dialect.name == "postgresql"
        self._driver = None

    def __enter__(self) -> "UnitOfWork":
        # SQLite has one writer: threads and processes queue for it on a lock that hands
        # over at once (see workflow.store.locks), not in SQLite's sleeping busy handler.
        # PostgreSQL needs none of this.
        self._lock = self.runtime.sqlite_writer if self.write else None
        if self.write:
            tracker = _writes.get()
            if tracker is not None:
                tracker.begun = True
        if self._lock:
            self._lock.acquire()
        try:
            self._binding = self.runtime._take_bound()
            self.conn = self._binding.conn if self._binding else self.runtime.engine.connect()
            if self.autocommit:
                self._driver = db.driver_autocommit(self.conn)
            self._tx = db.begin(self.conn, self.write)
        except BaseException:
            self._release()
            raise
        return self

    def __exit__(self, *exc_info) -> None:
        try:
            if self._tx.is_active:
                self._tx.rollback()
        finally:
            self._release()

    def _release(self) -> None:
        try:
            if self._driver is not None:
                db.driver_transactional(self._driver)
            if self._binding:
                self._binding.busy = False       # the request's connection stays open
            elif self.conn is not None:
                self.conn.close()
        finally:
            if self._lock:
                self._lock.release()

    def commit(self) -> None:
        """Commit everything done in this unit of work."""
        self._tx.commit()


class _Binding:
    """A connection bound to the current request (see `Runtime.bound`)."""

    def __init__(self, conn: Connection):
        self.conn, self.busy = conn, False


class Runtime:
    """Everything a service needs, built once per process."""

    def __init__(self, engine: Engine, policy: Policy, process: Process = PROCESS):
        self.engine, self.policy, self.process = engine, policy, process
        metrics.watch_pool(engine)
        self.calendar = BusinessCalendar()
        self.sqlite_writer = (WriterLock(engine.url.database)
                              if engine.dialect.name == "sqlite" else None)
        self._calendar_checked = float("-inf")
        self._bound: ContextVar[_Binding | None] = ContextVar(f"bound_{id(self)}", default=None)

    @classmethod
    def from_settings(cls, settings: Settings) -> "Runtime":
        """Build from settings; a bad policy file raises PolicyError before anything starts."""
        policy = load_policy(settings.policy_path)
        timeout = settings.db_connect_timeout
        engine = make_engine(settings.database_url,
                             connect_timeout=timeout if isinstance(timeout, float) else 5.0)
        return cls(engine, policy)

    def uow(self, write: bool = True, autocommit: bool = False) -> UnitOfWork:
        """A new unit of work (a transaction that writes, unless `write=False`; see
        `UnitOfWork` for `autocommit`)."""
        if time.monotonic() - self._calendar_checked >= CALENDAR_REFRESH_SECONDS:
            self._refresh_calendar()
        return UnitOfWork(self, write, autocommit)

    @contextmanager
    def bound(self) -> Iterator[None]:
        """Run a request's readers and units of work on one connection, checked out once.

        A pool checkout and check-in cost about as much as the statements of a short
        API call; with this, a request that authenticates and then acts pays them once.
        Units of work still begin and end their own transactions on it; one opened
        while another is active (nested) gets a connection of its own, as without this.
        """
        if self._bound.get() is not None:
            yield
            return
        binding = _Binding(self.engine.connect())
        token = self._bound.set(binding)
        try:
            yield
        finally:
            self._bound.reset(token)
            try:
                db.end_reads(binding.conn)
            finally:
                binding.conn.close()

    def _take_bound(self) -> _Binding | None:
        binding = self._bound.get()
        if binding is None or binding.busy or binding.conn.in_transaction():
            return None
        binding.busy = True
        return binding

    @contextmanager
    def reader(self) -> Iterator[Connection]:
        """A connection outside any transaction, for single-statement reads on hot paths.

        Each statement stands alone (autocommit): no BEGIN and ROLLBACK around it (on
        PostgreSQL two round trips, and a ROLLBACK makes psycopg drop its prepared
        statements). Reads that must agree with each other belong in `uow(write=False)`.
        Inside `bound()` the request's connection is used, in autocommit too, so the
        request's next unit of work may run in autocommit as well.
        """
        binding = self._take_bound()
        if binding is not None:
            driver = db.driver_autocommit(binding.conn)
            try:
                yield binding.conn
            finally:
                if driver is not None:
                    db.driver_transactional(driver)
                binding.busy = False
            return
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
