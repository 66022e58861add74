"""One timer worker per SQLite database: an exclusive OS file lock beside the file.

SQLite has no `SKIP LOCKED`, so two workers on one file would race for the write
lock and gain nothing; the second one refuses to start instead, saying which process
holds the lock. The OS drops the lock when the holder exits, even on `kill -9`.
PostgreSQL workers need no lease: they share the work with `FOR UPDATE SKIP LOCKED`.
"""
from __future__ import annotations

import fcntl
import logging
import os
from pathlib import Path

from sqlalchemy.engine import Engine

log = logging.getLogger(__name__)


class WorkerRefused(RuntimeError):
    """Another timer worker already runs against this SQLite database."""


class SqliteLease:
    """An exclusive, non-blocking lock on `<database>.worker.lock`."""

    def __init__(self, database: str):
        self.database, self.path = database, Path(f"{database}.worker.lock")
        self._file = None

    def acquire(self) -> None:
        """Take the lock or raise WorkerRefused naming the holder."""
        handle = open(self.path, "a+", encoding="ascii")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "?"
            handle.close()
            raise WorkerRefused(
                f"另一个计时进程(pid {holder})已在处理此 SQLite 数据库,本进程不启动。"
                f" Another timer worker (pid {holder}) already runs against {self.database}; "
                "SQLite allows one worker (use PostgreSQL for several).") from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self._file = handle

    def release(self) -> None:
        """Give the lock up (also happens when the process dies)."""
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None


class NoLease:
    """PostgreSQL: any number of workers may run."""

    def acquire(self) -> None:
        """Nothing to take."""

    def release(self) -> None:
        """Nothing to give up."""


def lease_for(engine: Engine):
    """The lease a worker on this engine must hold."""
    if engine.dialect.name == "sqlite":
        database = engine.url.database
        if not database or database == ":memory:":
            return NoLease()
        return SqliteLease(os.path.abspath(database))
    return NoLease()
