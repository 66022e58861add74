"""Durations as the policy writes them: clock time ("90s", "48h", "7 days") or working days.

A `Duration` is either a number of clock seconds or a number of working days; the
business calendar (`states.calendar`) turns it into a due time.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

_UNITS = {
    "s": 1, "sec": 1, "secs": 1, "second": 1, "seconds": 1,
    "m": 60, "min": 60, "mins": 60, "minute": 60, "minutes": 60,
    "h": 3600, "hr": 3600, "hrs": 3600, "hour": 3600, "hours": 3600,
    "d": 86400, "day": 86400, "days": 86400,
}
_WORKDAY_UNITS = {"workday", "workdays", "working day", "working days", "wd"}
_PATTERN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-z][a-z ]*?)\s*$")


@dataclass(frozen=True)
class Duration:
    """A policy duration: `seconds` of clock time, or `workdays` working days."""

    text: str
    seconds: float = 0.0
    workdays: int = 0

    @property
    def is_workdays(self) -> bool:
        """True when the duration counts working days rather than clock time."""
        return self.workdays > 0

    def __str__(self) -> str:
        return self.text


def parse_duration(text: str) -> Duration:
    """Parse "48h", "90s", "7 days", "5 workdays"; raise ValueError saying what is wrong."""
    if not isinstance(text, str):
        raise ValueError(f"expected a duration string like \"48h\", got {text!r}")
    match = _PATTERN.match(text.lower())
    if not match:
        raise ValueError(f"{text!r} is not a duration like \"90s\", \"48h\", \"7 days\" or \"5 workdays\"")
    number, unit = float(match.group(1)), match.group(2).strip()
    if number <= 0:
        raise ValueError(f"{text!r} must be longer than zero")
    if unit in _WORKDAY_UNITS:
        if number != int(number):
            raise ValueError(f"{text!r}: working days must be a whole number")
        return Duration(text.strip(), workdays=int(number))
    if unit not in _UNITS:
        raise ValueError(f"{text!r}: unknown unit {unit!r} (use s, m, h, days or workdays)")
    return Duration(text.strip(), seconds=number * _UNITS[unit])
