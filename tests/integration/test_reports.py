"""The supervision reports and the department scorecard against hand-computed figures.

A known month (October 2026, Asia/Shanghai) built with a fake clock: pauses, two reopen
cycles that make a complaint major by the "repeated" criterion, escalations by the timer
worker and by hand, a complaint filed under a second policy version whose reply clock
runs in working days across the National Day holiday, a repeat complaint from an
authority. Every figure is checked on the page, in the API's JSON, CSV and XLSX, which
must agree exactly, and every figure's list has exactly that many rows.
"""
from __future__ import annotations

import csv
import html
import io
import re
from datetime import datetime

import pytest
from sqlalchemy import select

from states.calendar import SHANGHAI
from states.policy import parse_policy_text
from states.process import Role
from tests.apisupport import bearer, make_app, make_users_and_tokens
from tests.conftest import DESK, NETWORK, OPERATOR, complaint_values
from tests.timers.helpers import FakeClock, worker_on
from workflow import services
from workflow.admin import policy as admin
from workflow.domain.model import Actor
from workflow.services import reports as svc
from workflow.store import reports as store
from workflow.store.schema import clock_events

MARKETING_H = Actor("lina", Role.handler, "marketing", "李娜")
HALL = Actor("zhaomin", Role.operator, "marketing", "赵敏 (营业厅)")
IT = Actor("sunit", Role.handler, "it_centre", "孙工")
LOGISTICS = Actor("zhoulog", Role.handler, "logistics", "周师傅")
OCTOBER = store.Period.month(2026, 10)


def at(day: int, hour: int, minute: int = 0, month: int = 10) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


def act(rt, cid, action, who, when, **fields):
    services.act(rt, cid, action, who, now=when, **fields)


def build(rt) -> dict[str, int]:
    """The known complaints; returns their ids by letter."""
    ids = {}

    def intake(letter, who, when, **values):
        ids[letter] = services.intake(rt, who, complaint_values(**values), now=when).complaint.id
        return ids[letter]

    # T: missed its reply deadline; the timer worker escalates it; the desk replies.
    t = intake("T", OPERATOR, at(12, 9), mobile="13900000001", district="luohu")
    act(rt, t, "assign", OPERATOR, at(12, 9, 30), department="network")
    act(rt, t, "accept", NETWORK, at(12, 9, 40))
    act(rt, t, "contact", NETWORK, at(12, 10), comment="已联系客户")
    clock = FakeClock(at(14, 9, 30))
    worker = worker_on(rt, clock)
    try:
        for _ in range(5):
            if not worker.sweep():
                break
    finally:
        worker.close()
    act(rt, t, "accept", DESK, at(14, 10))
    act(rt, t, "reply", DESK, at(14, 12), comment="已优化基站")
    act(rt, t, "close", OPERATOR, at(14, 13), satisfaction="satisfied")

    # A: two pauses, the second ended by the reply; closed unsatisfied.
    a = intake("A", OPERATOR, at(15, 9), mobile="13812345678", district="nanshan",
               location="科技园南区")
    act(rt, a, "assign", OPERATOR, at(15, 9, 20), department="network")
    act(rt, a, "accept", NETWORK, at(15, 9, 30))
    act(rt, a, "contact", NETWORK, at(15, 10), comment="已联系客户")
    act(rt, a, "pause", NETWORK, at(15, 11), reason="等待客户提供位置")
    act(rt, a, "resume", NETWORK, at(15, 15))
    act(rt, a, "pause", NETWORK, at(16, 9), reason="等待客户测试")
    act(rt, a, "reply", NETWORK, at(16, 12), comment="已处理")
    act(rt, a, "close", OPERATOR, at(16, 14), satisfaction="unsatisfied")

    # B: two reopen cycles; the second makes it major (criterion "repeated").
    b = intake("B", OPERATOR, at(16, 9), mobile="13900000002", cause="tariff",
               channel="web", district="futian")
    act(rt, b, "assign", OPERATOR, at(16, 9, 10), department="marketing")
    act(rt, b, "accept", MARKETING_H, at(16, 9, 20))
    act(rt, b, "contact", MARKETING_H, at(16, 9, 30), comment="已联系")
    act(rt, b, "reply", MARKETING_H, at(16, 12), comment="已解释资费")
    act(rt, b, "close", OPERATOR, at(16, 13), satisfaction="unsatisfied")
    act(rt, b, "reopen", OPERATOR, at(16, 14), reason="客户不认可")
    act(rt, b, "assign", OPERATOR, at(16, 14, 30), department="marketing")
    act(rt, b, "accept", MARKETING_H, at(16, 14, 40))
    act(rt, b, "contact", MARKETING_H, at(16, 15), comment="再次联系")
    act(rt, b, "reply", MARKETING_H, at(16, 17), comment="已退费")
    act(rt, b, "reopen", OPERATOR, at(17, 9), reason="仍不满意")
    act(rt, b, "accept", DESK, at(17, 9, 30))
    act(rt, b, "contact", DESK, at(17, 10), comment="重大投诉组联系")
    act(rt, b, "reply", DESK, at(17, 15), comment="已全额退费")
    act(rt, b, "close", DESK, at(17, 16), satisfaction="satisfied")

    # C: filed at a business hall (originating: marketing); assigned late; escalated by hand.
    c = intake("C", HALL, at(20, 9), mobile="13900000003", cause="billing_error",
               channel="business_hall")
    act(rt, c, "assign", HALL, at(20, 12), department="it_centre")
    act(rt, c, "accept", IT, at(20, 12, 10))
    act(rt, c, "escalate", DESK, at(20, 13), reason="客户情绪激动")
    act(rt, c, "accept", DESK, at(20, 13, 30))
    act(rt, c, "contact", DESK, at(20, 14), comment="已联系")
    act(rt, c, "reply", DESK, at(21, 10), comment="已更正账单")

    # D: from the communications administration, three customers, a repeat of A; untouched.
    intake("D", OPERATOR, at(22, 9), mobile="13812345678", source="gd_cab",
           complainant_count=3, district="nanshan")

    # E: first contact an hour late; closed as unreachable.
    e = intake("E", OPERATOR, at(25, 9), mobile="13900000005", cause="delivery",
               channel="app", district="baoan")
    act(rt, e, "assign", OPERATOR, at(25, 9, 30), department="logistics")
    act(rt, e, "accept", LOGISTICS, at(25, 9, 40))
    act(rt, e, "contact", LOGISTICS, at(26, 10), comment="已联系")
    act(rt, e, "reply", LOGISTICS, at(26, 11), comment="已补寄")
    act(rt, e, "close", OPERATOR, at(26, 12), satisfaction="unreachable")

    # F: policy version 2 (reply in 2 working days), filed the day before National Day.
    text = rt.policy.text.replace('reply = "48h"', 'reply = "2 workdays"', 1)
    number = admin.store(rt, parse_policy_text(text, "v2.toml").text, source="v2.toml",
                         by="admin", now=at(29, 9, month=9)).number
    admin.activate(rt, number, by="admin", now=at(29, 9, month=9))
    f = intake("F", OPERATOR, at(30, 10, month=9), mobile="13900000006", cause="tariff",
               district="futian")
    act(rt, f, "assign", OPERATOR, at(30, 10, 30, month=9), department="marketing")
    act(rt, f, "accept", MARKETING_H, at(30, 10, 40, month=9))
    act(rt, f, "contact", MARKETING_H, at(30, 11, month=9), comment="已联系")
    act(rt, f, "reply", MARKETING_H, at(8, 9), comment="已调整套餐")
    act(rt, f, "close", OPERATOR, at(8, 10), satisfaction="satisfied")
    return ids


#: October, all complaints together, computed by hand (see the timeline above).
TOTAL = {
    "received": 6, "closed": 6, "open_at_end": 2,
    "assign_rate": 85.7, "first_contact_rate": 85.7, "reply_rate": 88.9,
    "escalated_timer": 1, "escalated_criterion": 1, "escalated_manual": 1,
    "major": 4, "authority": 1, "repeat": 1, "reopened": 2, "reopen_rate": 25.0,
    "satisfied": 3, "satisfaction_rate": 50.0,
    "reply_median_s": 72000, "reply_p90_s": 687600,
}
#: The figures behind the rates, and their lists' lengths.
COUNTS = {"assign_due": 7, "assign_met": 6, "first_contact_due": 7, "first_contact_met": 6,
          "reply_due": 9, "reply_met": 8, "replied": 8, "missed": 4, "received": 6,
          "closed": 6, "open_at_end": 2, "major": 4, "authority": 1, "repeat": 1,
          "reopened": 2, "satisfied": 3, "escalated_timer": 1, "escalated_criterion": 1,
          "escalated_manual": 1, "escalations_caused": 3}
#: Grouped by handling department (escalations credited to the department they left).
BY_DEPARTMENT = {
    "customer_service": {"received": 4, "escalated_timer": 0, "escalated_manual": 0,
                         "reply_rate": 83.3, "reopened": 2},
    "network": {"received": 1, "escalated_timer": 1, "reply_rate": 100.0},
    "marketing": {"received": 0, "escalated_criterion": 1, "reply_rate": 100.0},
    "it_centre": {"escalated_manual": 1},
    "logistics": {"received": 1, "reply_rate": 100.0},
}
BY_DISTRICT = {"luohu": 1, "nanshan": 2, "futian": 1, "": 1, "baoan": 1}
SCORECARD = {
    "customer_service": {"received": 4, "reply_rate": 83.3, "missed": 2, "overdue_now": 1,
                         "escalations_caused": 0, "reopened": 2, "reopen_rate": 40.0,
                         "satisfaction_rate": 66.7},
    "network": {"received": 1, "reply_rate": 100.0, "missed": 0, "escalations_caused": 1,
                "satisfaction_rate": 0.0, "overdue_now": 0},
    "marketing": {"received": 0, "reply_rate": 100.0, "missed": 1, "escalations_caused": 1,
                  "satisfaction_rate": 100.0, "received_prev": 1, "received_change": -1,
                  "reply_rate_prev": None, "reply_rate_change": None},
    "it_centre": {"escalations_caused": 1, "received": 0, "reply_rate": None},
    "logistics": {"received": 1, "missed": 1, "satisfaction_rate": 0.0},
}


@pytest.fixture
def known(rt):
    ids = build(rt)
    tok = make_users_and_tokens(rt)
    return rt, ids, tok


def _num(text: str):
    if text in ("", None):
        return None
    return float(text) if "." in text else int(text)


def _page_cells(body: str) -> dict[tuple[str, str], object]:
    cells = re.findall(r'data-figure="([^"]+)" data-group="([^"]*)" data-value="([^"]*)"', body)
    return {(f, g): _num(v) for f, g, v in cells}


def test_the_known_month_gives_the_hand_computed_figures_in_every_output(known):
    rt, ids, tok = known
    with rt.engine.connect() as conn:
        reply_f = conn.execute(select(clock_events.c.event).where(
            clock_events.c.complaint_id == ids["F"], clock_events.c.kind == "reply",
            clock_events.c.event.in_(("met", "missed")))).scalars().all()
    assert reply_f == ["met"]       # 2 working days across the holiday: in time

    app = make_app(rt)
    api = app.test_client()
    q = {"from": "2026-10-01", "to": "2026-10-31"}
    body = api.get("/api/v1/reports", query_string={**q, "group": "department"},
                   headers=bearer(tok["liufang"])).get_json()
    assert body["total"] == TOTAL
    rows = {r["key"]: r for r in body["rows"]}
    for dept, expected in BY_DEPARTMENT.items():
        for code, value in expected.items():
            assert rows.get(dept, {}).get(code, 0 if value == 0 else None) == value, (dept, code)

    district = api.get("/api/v1/reports", query_string={**q, "group": "district"},
                       headers=bearer(tok["liufang"])).get_json()
    assert {r["key"]: r["received"] for r in district["rows"]} == BY_DISTRICT

    # CSV and XLSX: the same rows, the same values.
    csv_body = api.get("/api/v1/reports", query_string={**q, "group": "department",
                                                        "format": "csv"},
                       headers=bearer(tok["liufang"])).get_data(as_text=True)
    table = list(csv.reader(io.StringIO(csv_body.lstrip("\ufeff"))))
    xlsx = api.get("/api/v1/reports", query_string={**q, "group": "department",
                                                    "format": "xlsx"},
                   headers=bearer(tok["liufang"])).get_data()
    sheet = svc.read_xlsx(xlsx)[0][1:]           # the title line first
    assert len(table) == len(sheet) == len(body["rows"]) + 2
    for line, xline, row in zip(table[1:], sheet[1:], [*body["rows"], body["total"]]):
        values = [row[c] for c in svc.REPORT_COLUMNS]
        assert [_num(v) for v in line[1:]] == values == list(xline[1:])
        assert line[0] == xline[0]

    # The page: every cell's value, and every figure's list has that many rows.
    page_client = _signed_in_auditor(rt, app.test_client())
    page = page_client.get("/reports", query_string={**q, "group": "department"})
    assert page.status_code == 200
    cells = _page_cells(page.get_data(as_text=True))
    for code, value in TOTAL.items():
        assert cells[(code, "all")] == value, code
    for row in body["rows"]:
        for code in svc.REPORT_COLUMNS:
            assert cells[(code, row["key"])] == row[code], (row["key"], code)

    for code, n in COUNTS.items():
        listed = api.get("/api/v1/reports/list", query_string={**q, "figure": code},
                         headers=bearer(tok["liufang"])).get_json()
        assert listed.get("count") == len(listed.get("items", ())) == n, (code, listed)
        html_list = page_client.get("/reports/list", query_string={**q, "figure": code})
        assert html_list.get_data(as_text=True).count("<tr data-id=") == n, code
    # ... also per group: each department's figure has a list of that length.
    for row in body["rows"]:
        for code in ("received", "closed", "escalated_timer", "reopened", "major"):
            listed = api.get("/api/v1/reports/list", query_string={
                **q, "figure": code, "group": "department", "key": row["key"]},
                headers=bearer(tok["liufang"])).get_json()
            assert listed["count"] == row[code], (row["key"], code)

    # The times to reply behind the percentiles, paused time excluded.
    replies = api.get("/api/v1/reports/list", query_string={**q, "figure": "replied"},
                      headers=bearer(tok["liufang"])).get_json()["items"]
    assert sorted(r["value"] for r in replies) == [10800, 10800, 21600, 72000, 90000, 93600,
                                                    183600, 687600]
    assert next(r["value"] for r in replies if r["id"] == ids["A"]) == 20 * 3600


def _signed_in_auditor(rt, client):
    from sqlalchemy import update
    from werkzeug.security import generate_password_hash

    from workflow.store.schema import users
    with rt.uow() as uow:
        uow.conn.execute(update(users).where(users.c.username == "liufang").values(
            password_hash=generate_password_hash("pw-2026-test", method="pbkdf2:sha256:1000")))
        uow.commit()
    token = re.search(r'name="csrf_token" value="([^"]+)"',
                      client.get("/login").get_data(as_text=True)).group(1)
    response = client.post("/login", data={"username": "liufang", "password": "pw-2026-test",
                                           "csrf_token": token})
    assert response.status_code == 302
    return client


def test_the_scorecard_credits_handling_and_originating_departments_month_on_month(known):
    rt, ids, tok = known
    api = make_app(rt).test_client()
    body = api.get("/api/v1/reports/scorecard", query_string={"month": "2026-10"},
                   headers=bearer(tok["liufang"])).get_json()
    rows = {r["key"]: r for r in body["rows"]}
    assert list(rows) == list(svc.DEPARTMENTS)
    for dept, expected in SCORECARD.items():
        for code, value in expected.items():
            assert rows[dept][code] == value, (dept, code)
    origin = api.get("/api/v1/reports/scorecard", query_string={"month": "2026-10",
                                                                "by": "originating"},
                     headers=bearer(tok["liufang"])).get_json()
    received = {r["key"]: r["received"] for r in origin["rows"] if r["received"]}
    assert received == {"customer_service": 5, "marketing": 1}

    csv_body = api.get("/api/v1/reports/scorecard", query_string={"month": "2026-10",
                                                                  "format": "csv"},
                       headers=bearer(tok["liufang"])).get_data(as_text=True)
    table = list(csv.reader(io.StringIO(csv_body.lstrip("\ufeff"))))
    xlsx = svc.read_xlsx(api.get("/api/v1/reports/scorecard", query_string={
        "month": "2026-10", "format": "xlsx"}, headers=bearer(tok["liufang"])).get_data())[0][1:]
    page_client = _signed_in_auditor(rt, make_app(rt).test_client())
    cells = _page_cells(page_client.get("/reports/scorecard?month=2026-10").get_data(as_text=True))
    columns = body["columns"]
    for line, xline, (key, row) in zip(table[1:], xlsx[1:], rows.items()):
        values = [row[c] for c in columns]
        assert [_num(v) for v in line[1:]] == values == list(xline[1:])
        assert [cells[(c, key)] for c in columns] == values
        assert html.unescape(line[0]) == xline[0]


def test_only_auditors_the_desk_and_administrators_read_the_reports(rt):
    tok = make_users_and_tokens(rt)
    api = make_app(rt).test_client()
    assert api.get("/api/v1/reports", headers=bearer(tok["zhangwei"])).status_code == 403
    assert api.get("/api/v1/reports", headers=bearer(tok["chenjg"])).status_code == 200
    bad = api.get("/api/v1/reports?group=nonsense", headers=bearer(tok["liufang"]))
    assert bad.status_code == 422 and "group" in bad.get_json()["errors"]
    for query, field in (("month=2026-13", "month"), ("from=2026-11-30&to=2026-11-01", "to"),
                         ("format=pdf", "format")):
        bad = api.get(f"/api/v1/reports?{query}", headers=bearer(tok["liufang"]))
        assert bad.status_code == 422 and field in bad.get_json()["errors"], query
    bad = api.get("/api/v1/reports/list?figure=", headers=bearer(tok["liufang"]))
    assert bad.status_code == 422 and "figure" in bad.get_json()["errors"]
