"""APScheduler wiring: every timer job with its own trigger.

- `deadlines` (every `interval` s) sweeps the due deadlines; `outbox` (every
  `send_interval` s) sends the outbox;
- `queue_counts` (every `compact_every` s) folds the work queue's kept counts;
- `monthly_scorecard` runs on the first working day of each month by the business
  calendar (`FirstWorkdayTrigger`, 调休 included) and once at start, so a worker that was
  down that day catches up; one whose run fails (the database away) tries again a minute
  later rather than next month, and a calendar loaded again moves its next date
  (`reschedule_monthly`).

The jobs hold no state of their own (the deadlines live in our tables, and the monthly
mail is queued once in all by its outbox row's unique key), so the scheduler uses its
in-memory job store and several workers may run the same jobs. None must be lost: every
job has `misfire_grace_time=None` (run however late), `coalesce=True` (one catch-up run,
not a burst) and `max_instances=1` (a sweep that drains a long backlog is not overlapped
by the next tick; APScheduler's "maximum number of running instances" notice for that
expected case is filtered out of the log).
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, time, timedelta, timezone

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger

from states.calendar import SHANGHAI
from workflow.services.reports import first_workday

log = logging.getLogger(__name__)

JOB_DEFAULTS = {"misfire_grace_time": None, "coalesce": True, "max_instances": 1}
#: How soon a monthly run that could not check (the database away) is tried again.
RETRY_AFTER = timedelta(minutes=1)


class FirstWorkdayTrigger(BaseTrigger):
    """Fires at `at` (local time, Asia/Shanghai) on the first working day of every month.

    `calendar()` gives the business calendar at each computation (a reloaded calendar is
    seen by the next one). With no previous run, today counts when it is the day (the
    trigger then fires at once if `at` has passed)."""

    def __init__(self, calendar: Callable[[], object], at: time = time(0)):
        self.calendar, self.at = calendar, at

    def get_next_fire_time(self, previous_fire_time, now):
        local = (previous_fire_time or now).astimezone(SHANGHAI)
        year, month = local.year, local.month
        for _ in range(24):
            day = first_workday(self.calendar(), year, month)
            fire = datetime.combine(day, self.at, SHANGHAI)
            if previous_fire_time is not None and fire > previous_fire_time:
                return fire
            if previous_fire_time is None and day >= local.date():
                return max(fire, now)
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return None

    def __str__(self) -> str:
        return f"first working day of the month at {self.at:%H:%M} Asia/Shanghai"


class _SkipOverlapNotice(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "maximum number of running instances" not in record.getMessage()


def _scheduler_logger() -> logging.Logger:
    logger = logging.getLogger("timers.apscheduler")
    if not any(isinstance(f, _SkipOverlapNotice) for f in logger.filters):
        logger.addFilter(_SkipOverlapNotice())
    return logger


def _until_checked(scheduler, job: Callable, job_id: str) -> Callable[[], None]:
    """`job`, run again after `RETRY_AFTER` when it returns None (skipped while the
    database is away) or fails, instead of at its trigger's next date."""
    def run() -> None:
        try:
            checked = job()
        except Exception:
            log.exception("%s failed; tried again in %s", job_id, RETRY_AFTER)
            checked = None
        if checked is None:
            scheduler.add_job(run, "date", run_date=datetime.now(timezone.utc) + RETRY_AFTER,
                              id=f"{job_id}-retry", name=f"{job_id} again",
                              replace_existing=True)
    return run


def reschedule_monthly(scheduler, calendar) -> None:
    """Compute the monthly job's next date again from now (after a calendar change)."""
    if scheduler.get_job("monthly_scorecard") is not None:
        scheduler.reschedule_job("monthly_scorecard", trigger=FirstWorkdayTrigger(calendar))


def build_scheduler(sweep, send, *, compact=None, monthly=None, calendar=None,
                    interval: float = 0.25, send_interval: float = 1.0,
                    compact_every: float = 10.0):
    """A background scheduler (not started) running `sweep()` every `interval` s,
    `send()` every `send_interval` s, `compact()` every `compact_every` s, and `monthly()`
    on the first working day of each month by `calendar()` and once at start."""
    # Four runs a second would flood the log with "Running job" lines.
    logging.getLogger("apscheduler.executors.default").setLevel(logging.WARNING)
    scheduler = BackgroundScheduler(timezone=timezone.utc, job_defaults=dict(JOB_DEFAULTS),
                                    logger=_scheduler_logger())
    # No first delay: everything overdue after downtime fires as soon as the worker starts.
    start = datetime.now(timezone.utc)
    scheduler.add_job(sweep, "interval", seconds=interval, id="deadlines",
                      name="fire due deadlines", next_run_time=start)
    scheduler.add_job(send, "interval", seconds=send_interval, id="outbox",
                      name="send the outbox", next_run_time=start)
    if compact is not None:
        scheduler.add_job(compact, "interval", seconds=compact_every, id="queue_counts",
                          name="fold the queue counts", next_run_time=start)
    if monthly is not None:
        scheduler.add_job(_until_checked(scheduler, monthly, "monthly_scorecard"),
                          FirstWorkdayTrigger(calendar), id="monthly_scorecard",
                          name="queue the monthly scorecard", next_run_time=start)
    return scheduler
