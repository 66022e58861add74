"""One writer at a time per process on SQLite.

SQLite allows one writer; a write unit of work takes the lock at BEGIN IMMEDIATE and
others wait in SQLite's busy handler, which sleeps up to 100 ms between tries. Under
concurrent API requests that sleep made p99 latency ≈ 1 s (bench/api.py). Threads of one
process therefore queue on a Python lock, which hands over at once; other processes
(another gunicorn worker, the timer worker) still meet at SQLite's own lock.
PostgreSQL needs none of this.
"""
from __future__ import annotations

import threading
from contextlib import contextmanager

_SQLITE_WRITER = threading.Lock()


@contextmanager
def writer(rt):
    """Hold this process's SQLite write turn around a write unit of work (no-op elsewhere)."""
    if rt.engine.dialect.name != "sqlite":
        yield
        return
    with _SQLITE_WRITER:
        yield
