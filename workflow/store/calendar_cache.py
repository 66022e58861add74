"""The working-day calendar a process computes deadlines with: the built-in years plus
the days administrators loaded into the database, re-read every minute so that a year
loaded in any process reaches this one.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable

from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from states.calendar import BusinessCalendar
from workflow.store.calendar import calendar_from

log = logging.getLogger(__name__)

#: How often a long-running process re-reads administrator-loaded calendar days.
CALENDAR_REFRESH_SECONDS = 60


class CalendarCache:
    """The current `BusinessCalendar`, reloaded from the database when due."""

    def __init__(self, engine: Engine, *, refresh_seconds: float = CALENDAR_REFRESH_SECONDS,
                 clock: Callable[[], float] = time.monotonic):
        self.engine, self.refresh_seconds, self.clock = engine, refresh_seconds, clock
        self.calendar = BusinessCalendar()
        self._checked = float("-inf")

    def refresh_if_due(self) -> BusinessCalendar:
        """Reload when the last look is `refresh_seconds` old; a database without the
        calendar tables yet (before `db upgrade`) keeps the built-in years."""
        if self.clock() - self._checked >= self.refresh_seconds:
            self._checked = self.clock()
            try:
                self.reload()
            except DBAPIError as exc:
                log.debug("calendar tables not readable yet: %s", exc)
        return self.calendar

    def reload(self) -> BusinessCalendar:
        """Load administrator-entered calendar days from the database now."""
        with self.engine.connect() as conn:
            self.calendar = calendar_from(conn)
        return self.calendar
