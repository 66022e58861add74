"""The unit of work: one database transaction, with the policy, calendar and process
the work inside it decides by; and `track_writes`, which tells whether one that writes
began (so that a request that failed without writing may safely run again).
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from sqlalchemy.engine import Connection

from states.calendar import BusinessCalendar
from states.policy import Policy
from states.process import Process
from workflow.store import db
from workflow.store.database import Binding, Database
from workflow.store.policy_registry import PolicyRegistry


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


class UnitOfWork:
    """One database transaction; rolls back on exit unless `commit()` was called.

    `autocommit` (PostgreSQL; ignored on SQLite) runs each statement as its own
    transaction, saving the BEGIN and COMMIT round trips, for work whose only write is a
    single statement (`workflow.store.complaints.one_statement`): it is atomic by itself,
    and the reads before it are checked by its version condition.
    """

    def __init__(self, database: Database, policies: PolicyRegistry, calendar: BusinessCalendar,
                 process: Process, write: bool = True, autocommit: bool = False):
        self.database, self.policies, self.write = database, policies, write
        # `policy` is the active version (for new complaints); an existing complaint's
        # rules come from the version it is pinned to: `policy_for`.
        self.policy, self.calendar, self.process = policies.active, calendar, process
        self.conn: Connection | None = None
        self.autocommit = autocommit and database.dialect == "postgresql"
        self._binding: Binding | None = None
        self._driver = None
        self._lock = None

    def __enter__(self) -> "UnitOfWork":
        # SQLite has one writer: writers queue on the database's lock, which hands over
        # at once, not in SQLite's sleeping busy handler. PostgreSQL needs none of this.
        self._lock = self.database.sqlite_writer if self.write else None
        if self.write:
            tracker = _writes.get()
            if tracker is not None:
                tracker.begun = True
        if self._lock:
            self._lock.acquire()
        try:
            self._binding = self.database.take_bound()
            self.conn = self._binding.conn if self._binding else self.database.engine.connect()
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

    def policy_version(self, number: int) -> Policy:
        """Policy version `number`, read in this transaction when not yet cached."""
        return self.policies.version(number, self.conn)

    def policy_for(self, complaint) -> Policy:
        """The policy version `complaint` is pinned to."""
        return self.policy_version(complaint.policy_version)
