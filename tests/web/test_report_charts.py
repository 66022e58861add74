"""The charts on the reports page and the scorecard draw the figures the tables show,
and each bar and point links to the list behind it."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from tests.web.conftest import file, page, sign_in

#: On both databases: the figures are SQL of each dialect.
pytestmark = pytest.mark.both_databases

SVG = "{http://www.w3.org/2000/svg}"


def charts(body: str) -> dict[str, ET.Element]:
    found = {}
    for svg in re.findall(r"<svg .*?</svg>", body, re.S):
        root = ET.fromstring(svg)
        found[root.get("aria-label")] = root
    return found


def test_the_reports_page_charts_the_received_and_the_scorecard_the_departments(rt, client):
    for n in range(3):
        file(rt, mobile=f"1390000000{n}")                       # coverage: network
    file(rt, mobile="13900000009", cause="tariff")               # marketing
    sign_in(client, "audit")
    drawn = charts(page(client.get("/reports")))
    assert {"每日受理与办结", "各组受理量", "各时限按时与超时"} <= set(drawn)
    trend = drawn["每日受理与办结"]
    received = [c for c in trend.iter(f"{SVG}circle")
                if c.find(f"{SVG}title").text.split(" ")[1].startswith("受理")]
    assert sum(int(c.get("data-value")) for c in received) == 4
    bars = {r.find(f"{SVG}title").text: int(r.get("data-value"))
            for r in drawn["各组受理量"].iter(f"{SVG}rect") if r.get("class") == "bar"}
    assert bars == {"网络维护中心：3件": 3, "市场部：1件": 1}
    link = next(a.get("href") for a in drawn["各组受理量"].iter(f"{SVG}a"))
    listed = page(client.get(link))
    assert "/reports/list" in link and len(re.findall(r'<tr data-id="', listed)) == 3
    card = charts(page(client.get("/reports/scorecard")))
    assert {"各组受理量", "各部门答复时限按时与超时"} <= set(card)
