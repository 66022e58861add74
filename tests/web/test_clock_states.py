"""Queue and complaint page show every clock alike: one function
(`workflow.domain.clockview`) decides a clock's display state for both. Checked on the
swept demo data (running, warned, paused, missed-and-fired, overdue-not-yet-fired and
stopped clocks), as the major-complaint desk who sees every complaint, and at the
function itself."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

from workflow.domain import clockview

ITEM = re.compile(r'class="clock-item[^"]*" data-kind="(\w+)" data-state="(\w+)"')
PAGE_CLOCK = re.compile(r'<li class="clock-row \w+" data-kind="(\w+)" data-state="(\w+)"')


def test_queue_and_complaint_page_give_every_clock_the_same_display_state(site):
    _, _, clients = site
    desk = clients["major_desk"]
    first = desk.get("/?scope=all").get_data(as_text=True)
    pages = int(re.search(r"第 1／(\d+) 页", first).group(1))
    bodies = [first] + [desk.get(f"/?scope=all&page={n}").get_data(as_text=True)
                        for n in range(2, pages + 1)]
    seen_states, compared, rows = set(), 0, 0
    for body in bodies:
        for cid, row_state, html in re.findall(
                r'<tr class="row-[a-z]+" data-id="(\d+)" data-state="(\w+)">(.*?)</tr>', body, re.S):
            rows += 1
            on_page = dict(PAGE_CLOCK.findall(desk.get(f"/complaints/{cid}").get_data(as_text=True)))
            in_queue = ITEM.findall(html)
            for kind, state in in_queue:                    # every clock the row names
                assert on_page.get(kind) == state, (cid, kind, state, on_page)
                compared += 1
            open_states = [s for s in on_page.values() if s != "done"]
            expected = min(open_states, key=clockview.STATES.index) if open_states else "none"
            assert row_state == expected, (cid, row_state, on_page)
            alerts = {k for k, s in on_page.items() if s in clockview.ALERT_STATES}
            assert alerts <= {k for k, _ in in_queue}, (cid, alerts, in_queue)   # all named
            seen_states |= set(on_page.values())
    assert rows == 300 and compared > 250
    assert seen_states == set(clockview.STATES)       # the data set has every state


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
