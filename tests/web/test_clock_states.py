"""Queue and complaint page show every clock alike: one function
(`workflow.domain.clockview`, unit-tested in tests/unit/test_clockview.py) decides a
clock's display state for both. Checked on the swept demo data (running, warned, paused,
missed-and-fired, overdue-not-yet-fired and stopped clocks), as the major-complaint desk
who sees every complaint."""
from __future__ import annotations

import re

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
