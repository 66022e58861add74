"""The demo data as the centre would see it after a day without anyone acting: the demo
complaints (`workflow.admin.demo`), one timer-worker sweep over them (missed reply
clocks escalated by the system, other missed clocks fired and still open), and the
outbox the sweep wrote, with some notifications sent and some failed. Used by the page
crawl (tests/web/test_chinese_text.py) and the browser tests (tests/e2e)."""
from __future__ import annotations

from datetime import timedelta

from tests.conftest import make_runtime
from timers.notify import deliver
from timers.worker import Worker
from workflow.admin import demo
from workflow.store import migrate
from workflow.store.db import make_engine
from workflow.store.schema import utcnow


class _FlakySender:
    """Sends every other notification; the rest fail with the mail server's answer."""

    def __init__(self):
        self.calls = 0

    def send(self, row) -> None:
        self.calls += 1
        if self.calls % 2:
            raise OSError("[Errno 111] Connection refused (smtp://127.0.0.1:2525)")


def build(path, *, count: int = 300, seed: int = 2004):
    """A runtime on a new SQLite file at `path` holding the swept demo data."""
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    rt = make_runtime(url)
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
