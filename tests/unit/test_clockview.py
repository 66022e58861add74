"""How a clock is shown (workflow.domain.clockview): one rule for the queue, the complaint
page and the dashboard, decided from the clock's row and `now` alone."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

from workflow.domain import clockview

T0 = datetime(2026, 12, 1, 2, 0, tzinfo=timezone.utc)


def _clock(**kw):
    base = dict(kind="reply", status="active", warn_at=T0 + timedelta(hours=36),
                due_at=T0 + timedelta(hours=48), warned_at=None, breached_at=None,
                stopped_at=None, paused_at=None, confirmed=True)
    return SimpleNamespace(**{**base, **kw})


def test_a_clock_is_running_then_warned_then_overdue_by_the_time_alone():
    clock = _clock()
    assert clockview.display(clock, T0).state == "running"
    warned = clockview.display(clock, T0 + timedelta(hours=40))
    assert warned.state == "warned" and warned.left == timedelta(hours=8)
    late = clockview.display(clock, T0 + timedelta(hours=50))
    assert late.state == "overdue" and late.overdue_for == timedelta(hours=2)


def test_a_fired_clock_stays_overdue_until_its_step_stops_it():
    fired = _clock(status="fired", breached_at=T0 + timedelta(hours=48))
    assert clockview.display(fired, T0 + timedelta(days=8)).overdue_for == timedelta(days=6)
    stopped = _clock(status="stopped", stopped_at=T0 + timedelta(hours=3))
    assert clockview.display(stopped, T0 + timedelta(days=8)).state == "done"


def test_a_paused_clock_says_since_when_for_how_long_what_is_left_and_resume_by():
    paused = _clock(status="paused", paused_at=T0 + timedelta(hours=10))
    d = clockview.display(paused, T0 + timedelta(hours=13), pause_allowance=timedelta(days=2))
    assert d.state == "paused" and d.paused_since == T0 + timedelta(hours=10)
    assert d.paused_for == timedelta(hours=3) and d.left == timedelta(hours=38)
    assert d.resume_by == T0 + timedelta(hours=10, days=2)


def test_the_headline_is_the_most_urgent_open_clock():
    now = T0 + timedelta(hours=40)
    shown = [clockview.display(c, now) for c in (
        _clock(kind="outer_limit", due_at=T0 + timedelta(days=15), warn_at=T0 + timedelta(days=11)),
        _clock(kind="reply"),                                               # warned
        _clock(kind="assign", status="stopped", stopped_at=T0),
        _clock(kind="first_contact", status="fired", due_at=T0 + timedelta(hours=24)))]
    assert clockview.headline(shown).kind == "first_contact"
    assert clockview.row_state(shown[:2]) == "warned"
    assert clockview.headline(shown[2:3]) is None and clockview.row_state(shown[2:3]) == "none"
