"""The claim-and-fire loop: due deadline rows, oldest first, each fired exactly once.

A pass peeks at the oldest live `next_at` (one index probe, no write lock); when
something is due it claims a batch in due order from the deadline store — on
PostgreSQL with `FOR UPDATE SKIP LOCKED`, so several workers share the work and never
take the same row (`workflow.store.deadlines.claim`) — and hands each row to the
"deadline due" service (`workflow.services.deadline_due`), in careful mode in a
savepoint per row. The firing and the marking of the rows commit together: a worker
killed mid-batch loses nothing and its rows fire once on the next pass. Passes keep
claiming while batches come back full, so a backlog drains at full speed. The clock is
the injected `now` callable. The worker's other jobs (`queue_monthly_report`,
`compact_counts`) run on their own triggers (`timers.scheduler`), not inside the sweep.
"""
from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite

from workflow import metrics
from workflow.domain.errors import Conflict
from workflow.services.deadline_due import fire
from workflow.services.reports import queue_monthly_report
from workflow.store import counts, deadlines, outbox
from workflow.store.db import is_unavailable
from workflow.store.locks import lease_for
from workflow.store.runtime import Runtime
from workflow.store.schema import calendar_years, utcnow, workers
from workflow.text import SOURCE, Text

log = logging.getLogger(__name__)

RETRY_AFTER = timedelta(seconds=5)


def _heartbeat(dialect: str):
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(workers)
    return stmt.on_conflict_do_update(index_elements=[workers.c.name], set_={
        "heartbeat_at": stmt.excluded.heartbeat_at, "lag_seconds": stmt.excluded.lag_seconds,
        "fired_total": workers.c.fired_total + stmt.excluded.fired_total})


class Worker:
    """Fires due deadlines of one database; `sweep()` is one wake-up."""

    def __init__(self, rt: Runtime, *, now: Callable[[], datetime] = utcnow,
                 name: str | None = None, batch: int = 500, heartbeat_every: float = 2.0,
                 texts: tuple[Text, ...] = (SOURCE,)):
        self.rt, self.now, self.batch = rt, now, batch
        self.texts = texts  # the monthly mail's languages (`workflow.text`)
        self.name = name or f"{socket.gethostname()}:{os.getpid()}"
        self.heartbeat_every = heartbeat_every
        self.dialect = rt.engine.dialect.name
        self._heartbeat_stmt = _heartbeat(self.dialect)
        self._lease = lease_for(rt.engine)
        self._last_beat = float("-inf")
        self._unreported, self._lag = 0, 0.0
        self._calendar_stamp = None
        self.counts: Counter = Counter()
        self.stopping = threading.Event()
        self.last_batch: list = []
        #: Called after the calendar is loaded again (the monthly job recomputes its date).
        self.on_calendar_change: list[Callable[[], None]] = []

    def start(self) -> "Worker":
        """Take the lease (SQLite: refuse when another worker runs) and load the calendar."""
        self._lease.acquire()
        try:
            self._refresh_calendar()
            with self.rt.engine.begin() as conn:
                conn.execute(workers.delete().where(workers.c.name == self.name))
                now = self.now()
                conn.execute(workers.insert().values(name=self.name, started_at=now, heartbeat_at=now,
                                                     lag_seconds=0, fired_total=0))
        except BaseException:
            self._lease.release()      # a start that failed (database away) holds nothing
            raise
        log.info("timer worker %s started on %s", self.name, self.dialect)
        return self

    def close(self) -> None:
        """Stop between batches and give the lease up."""
        self.stopping.set()
        self._lease.release()

    def sweep(self) -> int:
        """Fire everything due now, batch after batch while batches come back full."""
        fired = 0
        while not self.stopping.is_set():
            now = self.now()
            with self.rt.engine.connect() as conn:
                oldest = deadlines.peek(conn)
            if oldest is None or oldest > now:
                if not fired:
                    metrics.TIMER_LAG.set(0)
                break
            lag = (now - oldest).total_seconds()
            if not fired:
                metrics.TIMER_LAG.set(lag)
            self._lag = max(self._lag, lag)
            claimed, done = self._batch(now)
            fired += done
            if claimed < self.batch or done == 0:
                break
        self._unreported += fired
        if fired or time.monotonic() - self._last_beat >= self.heartbeat_every:
            self._beat()
        return fired

    def queue_monthly_report(self) -> bool:
        """The `monthly_scorecard` job: on or after the month's first working day, queue
        last month's scorecard mail (once in all: the outbox row's unique key decides
        between workers). Return whether this call queued it."""
        queued = queue_monthly_report(self.rt, self.now(), self.texts)
        if queued:
            log.info("monthly scorecard queued by %s", self.name)
        return queued

    def compact_counts(self) -> int:
        """The `queue_counts` job: fold the queue's counts (`workflow.store.counts`)."""
        with self.rt.uow() as uow:
            folded = counts.compact(uow.conn)
            uow.commit()
        if folded:
            log.debug("queue counts: %s rows folded", folded)
        return folded

    def _batch(self, now: datetime) -> tuple[int, int]:
        try:
            return self._fire_batch(now, careful=False)
        except Exception as exc:  # any failure: redo the batch carefully
            if is_unavailable(exc):   # the database is gone: nothing to redo row by row
                raise
            # Rare (someone changed a complaint meanwhile): redo the batch with a
            # savepoint per row, so only the rows that fail wait for a later pass.
            log.info("batch rolled back (%s); firing row by row", exc)
            return self._fire_batch(now, careful=True)

    def _fire_batch(self, now: datetime, careful: bool) -> tuple[int, int]:
        outcomes: Counter = Counter()
        with self.rt.uow() as uow:
            rows = deadlines.claim(uow.conn, now, self.batch)
            notes: list[dict] = []
            for row in rows:
                if not careful:
                    outcomes[fire(uow, row, now, notes)] += 1
                    continue
                mine: list[dict] = []
                try:
                    with uow.conn.begin_nested():
                        outcomes[fire(uow, row, now, mine)] += 1
                    notes += mine
                except Conflict as exc:
                    log.info("deadline %s of complaint %s retried on the next pass: %s",
                             row.id, row.complaint_id, exc)
                except Exception:  # one bad row must not block the rest
                    log.exception("deadline %s of complaint %s failed; retried in %s",
                                  row.id, row.complaint_id, RETRY_AFTER)
                    deadlines.retry_at(uow.conn, row.id, now + RETRY_AFTER)
            outbox.write(uow, notes)
            uow.commit()
        self.counts.update(outcomes)
        _count(outcomes)
        self.last_batch = rows          # committed: what the benchmark times
        done = sum(outcomes.values())
        if rows:
            log.debug("fired %s of %s claimed deadlines", done, len(rows))
        return len(rows), done

    def _beat(self) -> None:
        now = self.now()
        with self.rt.engine.begin() as conn:
            conn.execute(self._heartbeat_stmt, dict(
                name=self.name, started_at=now, heartbeat_at=now,
                lag_seconds=int(self._lag), fired_total=self._unreported))
            stamp = conn.execute(select(func.max(calendar_years.c.loaded_at))).scalar()
        self._unreported, self._lag = 0, 0.0
        self._last_beat = time.monotonic()
        if stamp != self._calendar_stamp:
            self._refresh_calendar()

    def _refresh_calendar(self) -> None:
        self.rt.reload_calendar()
        with self.rt.engine.connect() as conn:
            self._calendar_stamp = conn.execute(select(func.max(calendar_years.c.loaded_at))).scalar()
        for listener in self.on_calendar_change:
            listener()


def _count(outcomes: Counter) -> None:
    """The committed batch's outcomes as metrics (fired, warnings, escalations)."""
    for outcome, n in outcomes.items():
        metrics.FIRED.labels(outcome).inc(n)
    if outcomes.get("warned"):
        metrics.WARNINGS.inc(outcomes["warned"])
    if outcomes.get("escalated"):
        metrics.ESCALATIONS.labels("deadline").inc(outcomes["escalated"])
