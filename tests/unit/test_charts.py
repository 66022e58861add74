"""The SVG charts parse as XML, scale their bars and points to the figures, escape every
label, link to the complaints behind a figure and carry their accessible names."""
from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from web.charts import Compliance, Item, Series, bars, compliance, trend

NS = {"s": "http://www.w3.org/2000/svg"}
XLINK_FREE = "{http://www.w3.org/2000/svg}"


def parse(svg) -> ET.Element:
    return ET.fromstring(str(svg))


def widths(root, css):
    return [float(r.get("width")) for r in root.iter(f"{XLINK_FREE}rect") if r.get("class") == css]


def test_bar_lengths_are_proportional_to_the_values_and_the_largest_fills_the_span():
    root = parse(bars([Item("网络维护中心", 40), Item("市场部", 10), Item("IT技术中心", 0)],
                      title="各部门受理量"))
    w = widths(root, "bar")
    assert w[0] == pytest.approx(400 - 118 - 52)
    assert w[1] == pytest.approx(w[0] / 4) and w[2] == 0
    assert [r.get("data-value") for r in root.iter(f"{XLINK_FREE}rect")
            if r.get("class") == "bar"] == ["40", "10", "0"]


def test_a_chart_is_an_accessible_image_that_scales_to_its_column():
    root = parse(bars([Item("信号覆盖", 3)], title="热点投诉原因"))
    assert root.get("role") == "img" and root.get("aria-label") == "热点投诉原因"
    assert root.get("width") == "100%" and root.get("viewBox").startswith("0 0 400 ")
    assert root.find("s:title", NS).text == "热点投诉原因"
    bar = next(r for r in root.iter(f"{XLINK_FREE}rect") if r.get("class") == "bar")
    assert bar.find("s:title", NS).text == "信号覆盖：3件"


def test_labels_and_links_are_escaped():
    evil = '<script>alert("x")</script>&'
    svg = str(bars([Item(evil, 2, href='/queue?a=1&b="2"')], title=evil))
    assert "<script>" not in svg
    root = parse(svg)                       # still well-formed XML
    assert root.get("aria-label") == evil
    link = root.find(".//s:a", NS)
    assert link.get("href") == '/queue?a=1&b="2"'


def test_the_previous_period_is_drawn_on_the_same_scale():
    root = parse(bars([Item("信号覆盖", 5, previous=10), Item("资费争议", 10, previous=2)],
                      title="热点"))
    now, before = widths(root, "bar"), widths(root, "previous")
    assert now[1] == pytest.approx(before[0]) and now[0] == pytest.approx(before[0] / 2)
    assert before[1] == pytest.approx(now[1] / 5)


def test_trend_points_sit_at_their_values_and_periods():
    svg = trend(["12-01", "12-02", "12-03"],
                [Series("受理", [0, 5, 10], ["/q?d=1", "/q?d=2", "/q?d=3"]), Series("办结", [2, 2, 2])],
                title="受理与办结趋势")
    root = parse(svg)
    lines = list(root.iter(f"{XLINK_FREE}polyline"))
    assert [p.get("data-series") for p in lines] == ["受理", "办结"]
    pts = [tuple(map(float, p.split(","))) for p in lines[0].get("points").split()]
    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
    assert xs[1] - xs[0] == pytest.approx(xs[2] - xs[1])
    # y grows downwards: 10 is the top, 0 the bottom, 5 exactly between
    assert ys[1] == pytest.approx((ys[0] + ys[2]) / 2) and ys[2] < ys[0]
    assert len(root.findall(".//s:a", NS)) == 3
    titles = [c.find("s:title", NS).text for c in root.iter(f"{XLINK_FREE}circle")]
    assert "12-02 受理：5件" in titles and "12-03 办结：2件" in titles


def test_compliance_splits_each_bar_by_timely_and_missed_and_shows_the_rate():
    root = parse(compliance([Compliance("派单", 3, 1), Compliance("回复", 0, 0)], title="时限达标"))
    timely, missed = widths(root, "timely"), widths(root, "missed")
    assert timely[0] == pytest.approx(3 * missed[0])
    assert timely[0] + missed[0] == pytest.approx(400 - 118 - 52)
    assert timely[1] == missed[1] == 0
    texts = [t.text for t in root.iter(f"{XLINK_FREE}text")]
    assert "75.0%" in texts and "—" in texts


@pytest.mark.parametrize("svg", [bars([], title="空"), trend([], [], title="空"),
                                 compliance([], title="空")])
def test_an_empty_chart_says_there_is_no_data(svg):
    assert "无数据" in [t.text for t in parse(svg).iter(f"{XLINK_FREE}text")]
