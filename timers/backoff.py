"""Riding out a database outage: a job that finds the database unavailable waits, longer
each time (0.5 s, 1 s, 2 s … at most 15 s), and resumes by itself when it answers again.

The scheduler keeps calling the job every tick; while it waits the call returns at once.
Nothing is lost meanwhile: a failed batch rolled back, so its deadlines fire on the next
pass, and outbox rows stay due. Other errors are not swallowed (the scheduler logs them).
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable

from workflow import metrics
from workflow.store.db import is_unavailable

log = logging.getLogger(__name__)


class DatabaseBackoff:
    """Wraps a job: on a database-unavailable error, skip calls for a growing delay."""

    def __init__(self, name: str, job: Callable, *, first: float = 0.5, longest: float = 15.0,
                 clock: Callable[[], float] = time.monotonic):
        self.name, self.job, self.first, self.longest, self.clock = name, job, first, longest, clock
        self.failures, self.resume_at, self.down_since = 0, float("-inf"), None

    @property
    def waiting(self) -> bool:
        """True while the job is backing off."""
        return self.clock() < self.resume_at

    def delay(self) -> float:
        """The wait after the current number of consecutive failures."""
        return min(self.longest, self.first * 2 ** max(0, self.failures - 1))

    def __call__(self):
        """Run the job unless backing off; None when skipped or failed for the database."""
        now = self.clock()
        if now < self.resume_at:
            return None
        try:
            result = self.job()
        except Exception as exc:
            if not is_unavailable(exc):
                raise
            self.failures += 1
            if self.down_since is None:
                self.down_since = now
            self.resume_at = now + self.delay()
            metrics.TIMER_DB_ERRORS.labels(self.name).inc()
            log.warning("数据库不可用 database unavailable for %s (failure %s, retry in %.1f s): %s",
                        self.name, self.failures, self.delay(), str(exc).splitlines()[0])
            return None
        if self.failures:
            log.warning("数据库已恢复 database reachable again: %s resumed after %.1f s",
                        self.name, now - self.down_since)
            self.failures, self.resume_at, self.down_since = 0, float("-inf"), None
        return result
