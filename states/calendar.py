"""The business calendar: clock time, and mainland-China statutory working days.

Working days come, in order of precedence, from days an administrator loaded (from
the State Council's notice; stored in the database and handed in here), then from the
`chinesecalendar` package, and for a year neither covers from a Monday-to-Friday
fallback, which is logged and reported as unconfirmed so that deadlines computed on it
can be found and recomputed when the year is loaded.
"""
from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import chinese_calendar

from states.durations import Duration

log = logging.getLogger(__name__)
SHANGHAI = ZoneInfo("Asia/Shanghai")


def _package_covers(year: int) -> bool:
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
        return True
    except NotImplementedError:
        return False


class BusinessCalendar:
    """Answers "is this a working day" and "when is N working days after t"."""

    def __init__(self, overrides: Mapping[date, bool] | None = None,
                 loaded_years: Iterable[int] = ()):
        self.overrides = dict(overrides or {})
        # Days loaded for a year the package lacks make that year loaded; days loaded
        # for a year it has are corrections, and the package still answers the others.
        self.loaded_years = frozenset(loaded_years) | {
            d.year for d in self.overrides if not _package_covers(d.year)}
        self._warned_years: set[int] = set()

    def is_workday(self, day: date) -> tuple[bool, bool]:
        """Return (is a working day, confirmed by real calendar data)."""
        if day in self.overrides:
            return self.overrides[day], True
        if day.year in self.loaded_years:
            return day.weekday() < 5, True
        try:
            return chinese_calendar.is_workday(day), True
        except NotImplementedError:
            if day.year not in self._warned_years:
                self._warned_years.add(day.year)
                log.warning("no holiday data for %s: counting Monday-Friday until an "
                            "administrator loads the year", day.year)
            return day.weekday() < 5, False

    def covers(self, year: int) -> bool:
        """Whether the calendar has confirmed data for `year`."""
        return year in self.loaded_years or _package_covers(year)

    def add(self, start: datetime, duration: Duration) -> tuple[datetime, bool]:
        """Return (due time in UTC, computed on confirmed data) for `duration` after `start`."""
        if start.tzinfo is None:
            raise ValueError("start must be timezone-aware")
        if not duration.is_workdays:
            return start + timedelta(seconds=duration.seconds), True
        local = start.astimezone(SHANGHAI)
        day, counted, confirmed = local.date(), 0, True
        while counted < duration.workdays:
            day += timedelta(days=1)
            workday, sure = self.is_workday(day)
            confirmed = confirmed and sure
            counted += workday
        due = datetime.combine(day, local.timetz().replace(tzinfo=None), SHANGHAI)
        return due.astimezone(timezone.utc), confirmed
