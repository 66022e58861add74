"""Calendar administration: load a year's holidays and 调休 working days, report coverage.

An administrator copies the State Council's notice into a file (TOML, JSON or CSV; see
`read_calendar_file`) and loads it. The days go into `calendar_days` / `calendar_years`
(which take precedence over the `chinesecalendar` package), and in the same
transaction every live deadline that was computed on the Monday-Friday fallback and
touches that year is recomputed on the confirmed data. Used by `complaints calendar`
(and open to the web's administration pages); a running timer worker reloads its
calendar when it sees a newer `calendar_years.loaded_at`.
"""
from __future__ import annotations

import csv
import io
import json
import logging
import re
import tomllib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import delete, select

from states.calendar import SHANGHAI, BusinessCalendar
from workflow.admin import moves
from workflow.admin.health import unconfirmed_clocks
from workflow.store.calendar import calendar_from
from workflow.store.schema import calendar_days, calendar_years
from workflow.store.schema import deadlines as t

log = logging.getLogger(__name__)
_WORK_WORDS = {"1", "true", "yes", "work", "workday", "班", "上班"}
_REST_WORDS = {"0", "false", "no", "holiday", "rest", "休", "休息"}


@dataclass
class LoadResult:
    """What a load changed."""

    year: int
    holidays: int
    workdays: int
    recomputed: int


class CalendarError(ValueError):
    """A calendar file the load refuses: `code` and `params` (web/messages.py has the
    Chinese of each code); `str()` is the English."""

    ENGLISH = {
        "file_type": "use a .toml, .json or .csv file",
        "unreadable": "cannot be read as {format}{where}",
        "bad_day": "{value!r} is not a day like 2027-10-01 (or a range 2027-10-01..2027-10-07)",
        "no_holidays": "no holidays listed",
        "csv_flag": "day {day}: workday must be 1/0 or 班/休",
        "csv_columns": "a CSV file needs the columns day,workday[,note]",
        "one_year": "a file must hold exactly one year, found {years}",
    }

    def __init__(self, code: str, **params):
        self.code, self.params = code, params
        super().__init__(self.ENGLISH[code].format(**params))


#: The formats a calendar may be written in.
FORMATS = ("toml", "json", "csv")


def _days(values, what) -> list[date]:
    days = []
    for value in values:
        text = str(value)
        try:
            if ".." in text:           # "2027-10-01..2027-10-07"
                first, last = (date.fromisoformat(p.strip()) for p in text.split(".."))
                days += [first + timedelta(n) for n in range((last - first).days + 1)]
            else:
                days.append(date.fromisoformat(text.strip()))
        except ValueError:
            raise CalendarError("bad_day", value=text) from None
    if not days and what == "holidays":
        raise CalendarError("no_holidays")
    return days


def _line(exc: Exception) -> str:
    found = re.search(r"line (\d+)", str(exc))
    return f" (line {found.group(1)})" if found else ""


def read_calendar_text(text: str, fmt: str) -> dict[date, bool]:
    """Read days from text in `fmt` ("toml", "json": `holidays = [...]`, `workdays = [...]`,
    ranges `a..b`; "csv": `day,workday[,note]` with workday 1/0 or 班/休); return
    {day: is working day}. Raise CalendarError saying what is wrong."""
    if fmt in ("toml", "json"):
        try:
            data = tomllib.loads(text) if fmt == "toml" else json.loads(text)
        except ValueError as exc:
            raise CalendarError("unreadable", format=fmt.upper(), where=_line(exc)) from None
        if not isinstance(data, dict):
            raise CalendarError("unreadable", format=fmt.upper(), where="")
        days = dict.fromkeys(_days(data.get("holidays", []), "holidays"), False)
        days.update(dict.fromkeys(_days(data.get("workdays", []), "workdays"), True))
        return days
    if fmt == "csv":
        days = {}
        reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
        if not reader.fieldnames or not {"day", "workday"} <= set(reader.fieldnames):
            raise CalendarError("csv_columns")
        for row in reader:
            flag = str(row.get("workday", "")).strip().lower()
            if flag not in _WORK_WORDS | _REST_WORDS:
                raise CalendarError("csv_flag", day=row.get("day"))
            days.update(dict.fromkeys(_days([row["day"]], "workdays"), flag in _WORK_WORDS))
        return days
    raise CalendarError("file_type")


def read_calendar_file(path: str | Path) -> dict[date, bool]:
    """Read days from a TOML, JSON or CSV file (see `read_calendar_text`)."""
    path = Path(path)
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise CalendarError("file_type")
    return read_calendar_text(path.read_text("utf-8-sig"), fmt)


def load_year(uow, days: dict[date, bool], *, loaded_by: str, now: datetime) -> LoadResult:
    """Replace one year's calendar days and recompute the fallback deadlines it affects."""
    years = {d.year for d in days}
    if len(years) != 1:
        raise CalendarError("one_year", years=", ".join(map(str, sorted(years))) or "none")
    year = years.pop()
    conn = uow.conn
    conn.execute(delete(calendar_days).where(calendar_days.c.day.like(f"{year}-%")))
    conn.execute(calendar_days.insert(), [
        {"day": d.isoformat(), "workday": w, "note": "调休上班" if w else "法定节假日"}
        for d, w in sorted(days.items())])
    conn.execute(delete(calendar_years).where(calendar_years.c.year == year))
    conn.execute(calendar_years.insert().values(year=year, loaded_at=now, loaded_by=loaded_by))
    calendar = calendar_from(conn)
    recomputed = recompute_unconfirmed(uow, calendar, year, by=loaded_by, now=now)
    uow.calendar = calendar
    holidays = sum(1 for w in days.values() if not w)
    log.info("calendar %s loaded by %s: %s holidays, %s working days, %s deadlines recomputed",
             year, loaded_by, holidays, len(days) - holidays, recomputed)
    return LoadResult(year, holidays, len(days) - holidays, recomputed)


def preview_year(uow, days: dict[date, bool], *, now: datetime) -> moves.Plan:
    """The running clocks on fallback data that loading `days` (one year) would move,
    without changing anything."""
    years = {d.year for d in days}
    if len(years) != 1:
        raise ValueError(f"a file must hold exactly one year, found {sorted(years) or 'none'}")
    year = years.pop()
    current = calendar_from(uow.conn)
    kept = {d: w for d, w in current.overrides.items() if d.year != year}
    candidate = BusinessCalendar({**kept, **days}, current.loaded_years | {year})
    return _plan(uow, candidate, year, now)


def _plan(uow, calendar: BusinessCalendar, year: int, now: datetime) -> moves.Plan:
    rows = [row for row in moves.running(uow.conn, where=(t.c.confirmed.is_(False),))
            if row["started_at"].astimezone(SHANGHAI).year <= year
            <= row["due_at"].astimezone(SHANGHAI).year]
    return moves.plan(rows, lambda row: uow.policy_version(row["policy_version"]),
                      calendar, now)


def recompute_unconfirmed(uow, calendar: BusinessCalendar, year: int, *, by: str = "system",
                          now: datetime) -> int:
    """Recompute the running clocks computed on fallback data whose span touches `year`
    (each move with its entry in the clock's history); return how many moved."""
    planned = _plan(uow, calendar, year, now)
    count = 0
    for move in planned.moves:
        count += moves.move(uow.conn, [move], version=move.clock["policy_version"],
                            reason="calendar", by=by, now=now)
    return count


def status(conn, calendar: BusinessCalendar, today: date) -> dict:
    """Which years have confirmed data, and how many live deadlines rest on the fallback."""
    loaded = {r.year: r for r in conn.execute(select(calendar_years).order_by(calendar_years.c.year))}
    years = sorted(set(range(today.year - 1, today.year + 3)) | set(loaded))
    unconfirmed = unconfirmed_clocks(conn)
    return {
        "years": [{"year": y, "source": ("loaded" if y in loaded else
                                         "package" if calendar.covers(y) else "fallback"),
                   "loaded_at": loaded[y].loaded_at if y in loaded else None,
                   "loaded_by": loaded[y].loaded_by if y in loaded else None} for y in years],
        "unconfirmed_deadlines": unconfirmed,
    }
