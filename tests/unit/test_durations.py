"""Policy durations: clock time down to seconds, and working days."""
from __future__ import annotations

import pytest

from states.durations import parse_duration


@pytest.mark.parametrize("text,seconds", [
    ("90s", 90), ("30m", 1800), ("48h", 172800), ("7 days", 604800), ("1 day", 86400),
    ("2 hours", 7200), ("1.5h", 5400), (" 15 days ", 1296000), ("48H", 172800),
])
def test_clock_durations_are_read_down_to_the_second(text, seconds):
    duration = parse_duration(text)
    assert duration.seconds == seconds and not duration.is_workdays


@pytest.mark.parametrize("text,days", [("5 workdays", 5), ("1 workday", 1),
                                       ("3 working days", 3), ("2wd", 2)])
def test_working_day_durations_count_working_days(text, days):
    duration = parse_duration(text)
    assert duration.workdays == days and duration.is_workdays and duration.seconds == 0


@pytest.mark.parametrize("text,why", [
    ("", "not a duration"), ("soon", "not a duration"), ("48", "not a duration"),
    ("0h", "longer than zero"), ("-5h", "not a duration"), ("3 weeks", "unknown unit 'weeks'"),
    ("1.5 workdays", "whole number"), (48, "expected a duration string"),
])
def test_a_bad_duration_says_what_is_wrong_with_it(text, why):
    with pytest.raises(ValueError, match=why):
        parse_duration(text)


def test_a_duration_prints_as_the_policy_wrote_it():
    assert str(parse_duration(" 5 workdays")) == "5 workdays"
