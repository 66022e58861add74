"""The business calendar: statutory working days (调休 included), fallbacks and overrides."""
from __future__ import annotations

import logging
from datetime import date, datetime, timedelta, timezone

from states.calendar import SHANGHAI, BusinessCalendar
from states.durations import parse_duration


def shanghai(*args) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


def test_five_working_days_after_the_national_day_eve_end_on_october_13():
    due, confirmed = BusinessCalendar().add(shanghai(2026, 9, 30, 18, 0), parse_duration("5 workdays"))
    assert due == shanghai(2026, 10, 13, 18, 0)
    assert due.tzinfo == timezone.utc and confirmed


def test_declared_working_weekend_days_count_as_working_days():
    calendar = BusinessCalendar()
    assert calendar.is_workday(date(2026, 10, 10)) == (True, True)   # Saturday, 调休
    assert calendar.is_workday(date(2026, 9, 20)) == (True, True)    # Sunday, 调休
    assert calendar.is_workday(date(2026, 10, 3)) == (False, True)   # National Day holiday
    due, _ = calendar.add(shanghai(2026, 9, 18, 10, 0), parse_duration("1 workday"))
    assert due == shanghai(2026, 9, 20, 10, 0)   # Saturday 19th off, Sunday 20th worked


def test_clock_durations_ignore_the_calendar():
    start = shanghai(2026, 10, 1, 9, 0)
    due, confirmed = BusinessCalendar().add(start, parse_duration("48h"))
    assert due == start + timedelta(hours=48) and confirmed


def test_a_year_without_holiday_data_falls_back_to_monday_to_friday_unconfirmed(caplog):
    calendar = BusinessCalendar()
    with caplog.at_level(logging.WARNING, logger="states.calendar"):
        due, confirmed = calendar.add(shanghai(2026, 12, 30, 9, 0), parse_duration("5 workdays"))
        calendar.add(shanghai(2027, 3, 1, 9, 0), parse_duration("2 workdays"))
    assert due == shanghai(2027, 1, 6, 9, 0)   # Dec 31, then Jan 1, 4, 5, 6 counted Mon-Fri
    assert confirmed is False
    assert not calendar.covers(2027) and calendar.covers(2026)
    warnings = [r for r in caplog.records if "2027" in r.getMessage()]
    assert len(warnings) == 1 and warnings[0].levelno == logging.WARNING


def test_days_an_administrator_loaded_take_precedence_over_the_package():
    overrides = {date(2026, 10, 10): False, date(2027, 1, 1): False, date(2027, 1, 2): True}
    calendar = BusinessCalendar(overrides, loaded_years=[2027])
    due, confirmed = calendar.add(shanghai(2026, 9, 30, 18, 0), parse_duration("5 workdays"))
    assert due == shanghai(2026, 10, 14, 18, 0)   # the working Saturday was struck out
    due, confirmed = calendar.add(shanghai(2026, 12, 31, 9, 0), parse_duration("1 workday"))
    assert due == shanghai(2027, 1, 2, 9, 0) and confirmed   # a loaded year is confirmed
    assert calendar.covers(2027)


def test_a_naive_start_time_is_refused():
    try:
        BusinessCalendar().add(datetime(2026, 9, 30, 18, 0), parse_duration("1 workday"))
    except ValueError as exc:
        assert "timezone-aware" in str(exc)
    else:
        raise AssertionError("a naive start was accepted")
