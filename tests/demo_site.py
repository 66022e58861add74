"""The demo data as the centre would see it after a day without anyone acting: the demo
complaints (`workflow.admin.demo`), one timer-worker sweep over them (missed reply
clocks escalated by the system, other missed clocks fired and still open), and the
outbox the sweep wrote, with some notifications sent and some failed. Used by the page
crawl (tests/web/test_chinese_text.py) and the browser tests (tests/e2e), built once per
run for each size and copied (`build(..., cache=)`)."""
from __future__ import annotations

import fcntl
from datetime import timedelta
from pathlib import Path

from tests.conftest import make_runtime
from tests.databases import copy_sqlite, migrate_sqlite, seal_sqlite
from timers.notify import deliver
from timers.worker import Worker
from workflow.admin import demo
from workflow.store.schema import utcnow


class _FlakySender:
    """Sends every other notification; the rest fail with the mail server's answer."""

    def __init__(self):
        self.calls = 0

    def send(self, row) -> None:
        self.calls += 1
        if self.calls % 2:
            raise OSError("[Errno 111] Connection refused (smtp://127.0.0.1:2525)")


def build(path: Path, *, count: int = 300, seed: int = 2004, cache: Path | None = None):
    """A runtime on a new SQLite file at `path` holding the swept demo data.

    With `cache` (a folder the session's xdist workers share, see the `demo_cache`
    fixture) the data of one `count` and `seed` is built there once, under a file lock,
    and each caller gets a copy of the file."""
    if cache is None:
        return _populate(migrate_sqlite(Path(path)), count, seed)
    built = cache / f"demo-{count}-{seed}.db"
    with open(cache / f"demo-{count}-{seed}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)           # the other workers wait for the first
        if not built.exists():
            making = cache / f"demo-{count}-{seed}.building.db"
            seal_sqlite(_populate(migrate_sqlite(making), count, seed).engine, making)
            making.rename(built)
    return make_runtime(copy_sqlite(built, Path(path)))


def _populate(path: Path, count: int, seed: int):
    rt = make_runtime(f"sqlite:///{path}")
    now = utcnow()
    demo.populate(rt, count=count, seed=seed, now=now - timedelta(hours=1))
    worker = Worker(rt, now=lambda: now - timedelta(minutes=30), name="demo-worker",
                    heartbeat_every=0).start()
    try:
        worker.sweep()
    finally:
        worker.close()
    deliver(rt, _FlakySender(), now=lambda: now - timedelta(minutes=29))
    return rt
