"""Running the timer worker: in its own process (`complaints worker`) or in the background.

`start_background(runtime)` is what `complaints serve` calls for the single-machine
SQLite default: a background scheduler in the web process, stopped with `.stop()`.
`run_forever(runtime)` runs the same until SIGTERM / Ctrl-C (`complaints worker`).
Both refuse to start on a SQLite database that already has a worker
(`workflow.store.locks.WorkerRefused`).
"""
from __future__ import annotations

import logging
import signal
import time
from collections.abc import Callable
from datetime import datetime

from timers import notify
from timers.backoff import DatabaseBackoff
from timers.scheduler import build_scheduler, reschedule_monthly
from timers.worker import Worker
from workflow.store.db import is_unavailable
from workflow.store.runtime import Runtime
from workflow.store.schema import utcnow
from workflow.text import SOURCE, Text

log = logging.getLogger(__name__)


class Background:
    """A running background worker; `stop()` ends it and gives the SQLite lease up."""

    def __init__(self, scheduler, worker: Worker):
        self.scheduler, self.worker = scheduler, worker

    def stop(self) -> None:
        """Stop the scheduler (a running sweep ends after its batch) and release the worker."""
        self.worker.stopping.set()
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)
        self.worker.close()


def _jobs(runtime, now, smtp_url, batch, texts):
    worker = Worker(runtime, now=now, batch=batch, texts=texts).start()
    sender = notify.make_sender(smtp_url)

    def send() -> None:
        notify.deliver(runtime, sender, now=now)

    return worker, send


def start_background(runtime: Runtime, *, now: Callable[[], datetime] = utcnow,
                     smtp_url: str | None = None, interval: float = 0.25,
                     batch: int = 500, texts: tuple[Text, ...] = (SOURCE,)) -> Background:
    """Start the timer worker and the outbox sender in background threads (`smtp_url`: the
    mail relay, `Settings.smtp_url`; None logs notifications instead of sending them;
    `texts`: the monthly mail's languages, from the catalogue the command line passes)."""
    worker, send = _jobs(runtime, now, smtp_url, batch, texts)
    scheduler = build_scheduler(DatabaseBackoff("deadlines", worker.sweep),
                                DatabaseBackoff("outbox", send),
                                compact=DatabaseBackoff("queue_counts", worker.compact_counts),
                                monthly=DatabaseBackoff("monthly_scorecard",
                                                        worker.queue_monthly_report),
                                calendar=lambda: runtime.calendar, interval=interval)
    worker.on_calendar_change.append(
        lambda: reschedule_monthly(scheduler, lambda: runtime.calendar))
    scheduler.start()
    return Background(scheduler, worker)


def run_forever(runtime: Runtime, *, now: Callable[[], datetime] = utcnow,
                smtp_url: str | None = None, interval: float = 0.25, batch: int = 500,
                texts: tuple[Text, ...] = (SOURCE,)) -> None:
    """Run the timer worker and the outbox sender until SIGTERM or SIGINT (main thread only).

    A database that is unavailable at start is waited for (0.5 s, 1 s, 2 s … at most 15 s
    between tries), as a running worker waits for it (`timers.backoff`).
    The signal handler only sets a flag (raising from it could land inside a lock held
    by the scheduler); the main thread sees the flag, stops the scheduler after the
    running batch and gives the lease up.
    """
    stop_requested: list[bool] = []
    previous = {sig: signal.signal(sig, lambda *_: stop_requested.append(True))
                for sig in (signal.SIGTERM, signal.SIGINT)}
    handle = None
    try:
        delay = 0.5
        while handle is None and not stop_requested:
            try:
                handle = start_background(runtime, now=now, smtp_url=smtp_url,
                                          interval=interval, batch=batch, texts=texts)
            except Exception as exc:
                if not is_unavailable(exc):
                    raise
                log.warning("数据库不可用 database unavailable at start, retry in %.1f s: %s",
                            delay, str(exc).splitlines()[0])
                _sleep_unless(stop_requested, delay)
                delay = min(15.0, delay * 2)
        while not stop_requested:
            time.sleep(0.2)
    finally:
        if handle is not None:
            handle.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    log.info("timer worker stopped")


def _sleep_unless(stop_requested: list, seconds: float) -> None:
    until = time.monotonic() + seconds
    while not stop_requested and time.monotonic() < until:
        time.sleep(0.1)
