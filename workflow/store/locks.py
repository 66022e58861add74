"""SQLite's file locks beside the database: the writer lock and the timer worker's lease.

Both are an exclusive `fcntl.flock` on a file next to the database, which the kernel
hands to the next waiter the moment the holder lets go and drops when the holder
exits, even on `kill -9`.

- `WriterLock` (`<database>.write.lock`, blocking): SQLite lets one connection write at
  a time, and a writer that finds the database locked sleeps in SQLite's busy handler
  (up to 100 ms between tries), so under load the wait, not the work, made the latency
  (p99 of ~1 s with 32 API clients on two gunicorn processes). Every unit of work that
  writes first takes a `threading.RLock` (threads of one process), then this lock
  (processes: gunicorn workers, the timer worker, the CLI); BEGIN IMMEDIATE then finds
  the database free. Anything that writes without it (the sqlite3 shell, an older
  release) still meets SQLite's own lock and busy timeout, so correctness never
  depends on it; only the waiting does.
- `SqliteLease` (`<database>.worker.lock`, non-blocking): SQLite has no `SKIP LOCKED`,
  so two timer workers on one file would race for the write lock and gain nothing; the
  second one refuses to start instead, saying which process holds the lease.
  PostgreSQL workers need none (`NoLease`): they share the work with `FOR UPDATE SKIP
  LOCKED`.
"""
from __future__ import annotations

import logging
import os
import threading

from sqlalchemy.engine import Engine

try:
    import fcntl
except ImportError:  # pragma: no cover - not on Linux/macOS: no process locks
    fcntl = None

log = logging.getLogger(__name__)


class _LockFile:
    """An exclusive flock on one file, opened once per process."""

    def __init__(self, path: str):
        self.path = path
        self._fd: int | None = None
        self._pid: int | None = None

    def fd(self) -> int:
        """This process's descriptor of the file (opened, and created, on first use)."""
        # A descriptor inherited across fork shares its lock with the parent, so a forked
        # child (gunicorn --preload) opens its own.
        if self._fd is None or self._pid != os.getpid():
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            self._pid = os.getpid()
        return self._fd

    def lock(self, wait: bool = True) -> bool:
        """Take the lock (waiting for it, or not); False when it is held elsewhere."""
        if fcntl is None:
            return True
        try:
            fcntl.flock(self.fd(), fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            return False
        return True

    def unlock(self) -> None:
        """Give the lock up, if this process has the file open."""
        if self._fd is not None and self._pid == os.getpid() and fcntl is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)

    def close(self) -> None:
        """Close this process's descriptor (which drops a lock it alone still holds)."""
        if self._fd is not None and self._pid == os.getpid():
            os.close(self._fd)
        self._fd = None


class WriterLock:
    """Re-entrant in a thread; one holder across the processes that share `database`."""

    def __init__(self, database: str | None):
        self.path = f"{database}.write.lock" if database and database != ":memory:" else None
        self._thread_lock = threading.RLock()
        self._depth = 0
        self._lock_file = _LockFile(self.path) if self.path else None

    def acquire(self) -> None:
        """Wait for the thread lock, then (outermost only) for the file lock."""
        self._thread_lock.acquire()
        if self._depth == 0 and self._lock_file is not None:
            try:
                self._lock_file.lock()
            except BaseException:
                self._thread_lock.release()
                raise
        self._depth += 1

    def release(self) -> None:
        """Let go; the outermost release gives the file lock up."""
        self._depth -= 1
        try:
            if self._depth == 0 and self._lock_file is not None:
                self._lock_file.unlock()
        finally:
            self._thread_lock.release()

    __enter__ = acquire

    def __exit__(self, *exc_info) -> None:
        self.release()

    def _file(self) -> int:
        return self._lock_file.fd()


class WorkerRefused(RuntimeError):
    """Another timer worker already runs against this SQLite database."""


class SqliteLease:
    """An exclusive, non-blocking lock on `<database>.worker.lock` naming its holder."""

    def __init__(self, database: str):
        self.database, self.path = database, f"{database}.worker.lock"
        self._lock_file = _LockFile(self.path)

    def acquire(self) -> None:
        """Take the lock or raise WorkerRefused naming the holder."""
        if not self._lock_file.lock(wait=False):
            fd = self._lock_file.fd()
            holder = os.pread(fd, 64, 0).decode("ascii", "replace").strip() or "?"
            self._lock_file.close()
            raise WorkerRefused(
                f"另一个计时进程（pid {holder}）已在处理此 SQLite 数据库，本进程不启动。"
                f" Another timer worker (pid {holder}) already runs against {self.database}; "
                "SQLite allows one worker (use PostgreSQL for several).")
        fd = self._lock_file.fd()
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode("ascii"), 0)

    def release(self) -> None:
        """Give the lock up (also happens when the process dies)."""
        self._lock_file.unlock()
        self._lock_file.close()


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
