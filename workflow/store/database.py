"""The database a process works on: its engine, the SQLite writer lock, and connections
bound to a request.

`workflow.store.db` makes engines and holds the dialect's helpers; a `Database` is the one
object per process around an engine that units of work and hot-path readers take their
connections from.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from sqlalchemy.engine import Connection, Engine

from workflow import metrics
from workflow.store import db
from workflow.store.locks import WriterLock


class Binding:
    """A connection bound to the current request (see `Database.bound`)."""

    def __init__(self, conn: Connection):
        self.conn, self.busy = conn, False


class Database:
    """An engine, its writer lock (SQLite only) and the request-bound connection."""

    def __init__(self, engine: Engine):
        self.engine = engine
        #: SQLite has one writer: threads and processes queue for it on a lock that hands
        #: over at once (see workflow.store.locks). None on PostgreSQL, which needs none.
        self.sqlite_writer = (WriterLock(engine.url.database)
                              if engine.dialect.name == "sqlite" else None)
        self._bound: ContextVar[Binding | None] = ContextVar(f"bound_{id(self)}", default=None)
        metrics.watch_pool(engine)

    @property
    def dialect(self) -> str:
        """The dialect's name: "sqlite" or "postgresql"."""
        return self.engine.dialect.name

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
        binding = Binding(self.engine.connect())
        token = self._bound.set(binding)
        try:
            yield
        finally:
            self._bound.reset(token)
            try:
                db.end_reads(binding.conn)
            finally:
                binding.conn.close()

    def take_bound(self) -> Binding | None:
        """The request's bound connection, marked busy, when it is free (else None: the
        caller opens one of its own); the caller sets `busy = False` when done."""
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
        statements). Reads that must agree with each other belong in a unit of work.
        Inside `bound()` the request's connection is used, in autocommit too, so the
        request's next unit of work may run in autocommit as well.
        """
        binding = self.take_bound()
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
