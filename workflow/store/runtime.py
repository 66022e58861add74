"""The workflow runtime: engine, policy, calendar and process, and units of work on them."""
from __future__ import annotations

import logging
import os
import threading
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
from workflow.store import db, policies
from workflow.store.calendar import calendar_from
from workflow.store.db import make_engine
from workflow.store.locks import WriterLock
from workflow.store.schema import utcnow

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
#: How often a process looks which policy version is active (a change reaches every
#: process on every machine within this).
POLICY_REFRESH_SECONDS = 2


class UnitOfWork:
    """One database transaction; rolls back on exit unless `commit()` was called.

    `autocommit` (PostgreSQL; ignored on SQLite) runs each statement as its own
    transaction, saving the BEGIN and COMMIT round trips, for work whose only write is a
    single statement (`workflow.store.complaints.one_statement`): it is atomic by itself, and the
    reads before it are checked by its version condition.
    """

    def __init__(self, runtime: "Runtime", write: bool = True, autocommit: bool = False):
        self.runtime, self.write = runtime, write
        # `policy` is the active version (for new complaints); an existing complaint's
        # rules come from the version it is pinned to: `policy_for`.
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

    def policy_for(self, complaint) -> Policy:
        """The policy version `complaint` is pinned to."""
        return self.runtime.policy_version(complaint.policy_version, self.conn)


def default_attachments_dir(engine: Engine) -> str:
    """Beside a SQLite database file (instance/attachments for the default database),
    else instance/attachments in the working directory."""
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if database and database != ":memory:":
        return os.path.join(os.path.dirname(os.path.abspath(database)), "attachments")
    return os.path.abspath(os.path.join("instance", "attachments"))


class _Binding:
    """A connection bound to the current request (see `Runtime.bound`)."""

    def __init__(self, conn: Connection):
        self.conn, self.busy = conn, False


class Runtime:
    """Everything a service needs, built once per process."""

    def __init__(self, engine: Engine, policy: Policy, process: Process = PROCESS,
                 attachments_dir: str | None = None):
        """`policy` (the file this process was started with) becomes the database's first
        version when it has none; after that the active version in the database rules.
        `attachments_dir`: where evidence files go (None: `default_attachments_dir`)."""
        self.engine, self.process = engine, process
        self.attachments_dir = attachments_dir or default_attachments_dir(engine)
        self.bootstrap_policy = policy
        self._policies: dict[int, Policy] = {}
        self._active: Policy = policy
        self._policy_checked = float("-inf")
        self._policy_lock = threading.Lock()
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
        engine = make_engine(settings.database_url, **settings.engine_options())
        return cls(engine, policy, attachments_dir=settings.attachments_dir)

    def uow(self, write: bool = True, autocommit: bool = False) -> UnitOfWork:
        """A new unit of work (a transaction that writes, unless `write=False`; see
        `UnitOfWork` for `autocommit`)."""
        clock = time.monotonic()
        if clock - self._policy_checked >= POLICY_REFRESH_SECONDS:
            self.refresh_policy()
        if clock - self._calendar_checked >= CALENDAR_REFRESH_SECONDS:
            self._refresh_calendar()
        return UnitOfWork(self, write, autocommit)

    @property
    def policy(self) -> Policy:
        """The active policy version: the one new complaints are pinned to (never the
        start-up file before it is known to be a stored version)."""
        if not self._active.number:
            self.refresh_policy()
        return self._active

    def refresh_policy(self) -> Policy:
        """Read which version is active now (storing the start-up file as version 1 in a
        database that has none)."""
        asked = time.monotonic()
        with self._policy_lock:     # threads of one process look once, not each
            if self._active.number and self._policy_checked >= asked:
                return self._active     # another thread looked while this one waited
            return self._refresh_policy()

    def _refresh_policy(self) -> Policy:
        self._policy_checked = time.monotonic()
        try:
            with self.engine.connect() as conn:
                number = policies.active_number(conn)
            if number is None:
                number = policies.ensure_first(self.engine, self.bootstrap_policy,
                                               by="system", now=utcnow())
        except DBAPIError as exc:
            if self._active.number:     # keep acting on the version read last
                log.debug("policy versions not readable now: %s", exc)
                return self._active
            # Never act on a policy that is not a stored version (a complaint pinned to
            # it could not be written): the caller fails as the database does, and the
            # next unit of work looks again.
            self._policy_checked = float("-inf")
            raise
        if number != self._active.number:
            self._active = self.policy_version(number)
            log.info("policy version %s is active (%s)", number, self._active.version)
            if self._active.digest != self.bootstrap_policy.digest:
                log.warning("the policy file %s differs from the active policy version %s "
                            "in the database, which is used; `complaints policy load` "
                            "stores a file as a new version", self.bootstrap_policy.source,
                            number)
        return self._active

    def policy_version(self, number: int, conn: Connection | None = None) -> Policy:
        """Policy version `number` (immutable: read once per process)."""
        found = self._policies.get(number)
        if found is not None:
            return found
        if conn is None:
            with self.engine.connect() as own:
                row = policies.get(own, number)
        else:
            row = policies.get(conn, number)
        if row is None:
            raise LookupError(f"no policy version {number} in the database")
        found = self._policies[number] = policies.parse_row(row)
        return found

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
