"""APScheduler wiring: an interval job that sweeps the deadlines, one that sends the outbox.

The jobs hold no state of their own (the deadlines live in our tables), so the
scheduler uses its in-memory job store. Both jobs must never be lost: every job has
`misfire_grace_time=None` (run however late), `coalesce=True` (one catch-up run, not
a burst) and `max_instances=1` (a sweep that drains a long backlog is not overlapped
by the next tick; APScheduler's "maximum number of running instances" notice for that
expected case is filtered out of the log).
"""
from __future__ import annotations

import logging
from datetime import datetime, timezone

from apscheduler.schedulers.background import BackgroundScheduler

log = logging.getLogger(__name__)

JOB_DEFAULTS = {"misfire_grace_time": None, "coalesce": True, "max_instances": 1}


class _SkipOverlapNotice(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "maximum number of running instances" not in record.getMessage()


def _scheduler_logger() -> logging.Logger:
    logger = logging.getLogger("timers.apscheduler")
    if not any(isinstance(f, _SkipOverlapNotice) for f in logger.filters):
        logger.addFilter(_SkipOverlapNotice())
    return logger


def build_scheduler(sweep, send, *, interval: float = 0.25, send_interval: float = 1.0):
    """A background scheduler running `sweep()` every `interval` s and `send()` every
    `send_interval` s (not started)."""
    # Four runs a second would flood the log with "Running job" lines.
    logging.getLogger("apscheduler.executors.default").setLevel(logging.WARNING)
    scheduler = BackgroundScheduler(timezone=timezone.utc, job_defaults=dict(JOB_DEFAULTS),
                                    logger=_scheduler_logger())
    # No first delay: everything overdue after downtime fires as soon as the worker starts.
    scheduler.add_job(sweep, "interval", seconds=interval, id="deadlines",
                      name="fire due deadlines", next_run_time=datetime.now(timezone.utc))
    scheduler.add_job(send, "interval", seconds=send_interval, id="outbox",
                      name="send the outbox", next_run_time=datetime.now(timezone.utc))
    return scheduler
