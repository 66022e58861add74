"""Page timing: the work queue and the complaint page on 100,000 complaints (SQLite).

Fills a fresh SQLite file with `--rows` complaints in every state (bulk executemany,
not through the services), each with its clocks and 2-7 history events, then measures
server-side through the Flask test client, signed in, the median of `--repeat`
requests of:

- baseline:  the sign-in page (a template and a session, no complaint query);
- queue:     the major-complaint desk's work queue ("waiting on me"), nearest deadline
             first, page 1 of 50 rows, with the counts per state of the scope;
- queue variants: every scope for the desk, a department handler and a front-line
             operator; every sort; every filter (state, department, severity, cause,
             channel, source, received dates, overdue, warned, due within 4 h); search
             by number, number tail, mobile, last 4 digits, name and text; page 200 and
             a page past the last;
- dashboard: the desk's and a handler's (counts of three scopes);
- complaint: one complaint's page (facts, clocks, history, diagram, action forms).

Run: `.venv/bin/python bench/web.py` (`--rows 100000 --repeat 7`). The last line is
`result: queue_ms=... queue_worst_ms=... dashboard_ms=... complaint_ms=...` (the target
is under 300 ms each; `queue_worst_ms` is the slowest of every queue variant).
"""
from __future__ import annotations

import argparse
import json
import random
import re
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

# This script is itself called web.py: drop its folder from the path so that
# `import web` finds the application package, not this file.
if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path.pop(0)

from sqlalchemy import update
from werkzeug.security import generate_password_hash

from states.catalogue import AUTHORITIES, CAUSES, CHANNELS
from states.policy import load_policy
from web import create_app
from workflow.admin.directory import create_user, ensure_departments
from workflow.store import migrate, policies, search
from workflow.store.db import make_engine
from workflow.store.runtime import Runtime
from workflow.store.schema import users

NOW = datetime.now(timezone.utc).replace(microsecond=0)
AUTHORITIES_LIST = list(AUTHORITIES)
PASSWORD = "bench-pass-2026"
STATES = ["received"] * 15 + ["assigned"] * 15 + ["handling"] * 20 + ["replied"] * 10 + \
         ["closed"] * 30 + ["reopened"] * 10
PATH = {"received": ["intake"], "assigned": ["intake", "assign"],
        "handling": ["intake", "assign", "accept", "contact"],
        "replied": ["intake", "assign", "accept", "contact", "reply"],
        "closed": ["intake", "assign", "accept", "contact", "reply", "close"],
        "reopened": ["intake", "assign", "accept", "contact", "reply", "reopen"]}


def ts(value: datetime) -> str:
    """A UTC time as the SQLite columns store it."""
    return value.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")


def clocks(state: str, start: datetime) -> list[tuple]:
    """(kind, status, warn_at, due_at) rows for a complaint in `state`."""
    def live(kind, hours):
        due = start + timedelta(hours=hours)
        return (kind, "active", start + (due - start) * 0.75, due)

    def stopped(kind, hours):
        return (kind, "stopped", start, start + timedelta(hours=hours))

    if state == "closed":
        return [stopped("assign", 2), stopped("reply", 48), stopped("auto_close", 168)]
    if state == "replied":
        return [stopped("assign", 2), stopped("reply", 48), live("auto_close", 168)]
    rows = [live("assign", 2) if state in ("received", "reopened") else stopped("assign", 2),
            live("reply", 48), live("outer_limit", 360)]
    rows.append(stopped("first_contact", 24) if state == "handling" else live("first_contact", 24))
    if state == "handling":
        rows.append(live("progress_contact", 48))
    return rows


def seed(path: Path, rows: int, seed_value: int = 2004) -> None:
    """Migrate, add departments and users, and bulk-insert `rows` complaints."""
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    policies.ensure_first(engine, load_policy(), by="bench", now=datetime.now(timezone.utc))
    with engine.begin() as conn:
        ensure_departments(conn)
        for name, role, dept in (("desk", "major_desk", "customer_service"),
                                 ("net", "handler", "network"),
                                 ("op", "operator", "customer_service")):
            create_user(conn, name, name, role, dept, None, now=NOW)
        conn.execute(update(users).values(
            password_hash=generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")))
    engine.dispose()
    policy, rng = load_policy(), random.Random(seed_value)
    complaints, deadlines, events = [], [], []
    causes, channels = list(CAUSES), list(CHANNELS)
    for cid in range(1, rows + 1):
        state, cause = rng.choice(STATES), rng.choice(causes)
        dept = policy.department_for(cause)
        start = NOW - timedelta(minutes=rng.randrange(10, 60 * 24 * 20))
        major = rng.random() < 0.05
        source = rng.choice(AUTHORITIES_LIST) if rng.random() < 0.06 else "direct"
        rows_of_clocks = clocks(state, start)
        live = [due for _, status, _, due in rows_of_clocks if status == "active"]
        mobile = f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}"
        complaints.append((cid, state, len(PATH[state]), mobile,
                           rng.choice("王李张刘陈杨黄赵") + "先生", rng.choice(channels), source,
                           cause, f"客户反映{CAUSES[cause][0]}问题，要求尽快处理。编号{cid}",
                           dept, "customer_service" if major or source != "direct" else dept,
                           1 if major else 0,
                           '["manual"]' if major else "[]", ts(start), ts(start),
                           ts(min(live)) if live else None))
        for kind, status, warn, due in rows_of_clocks:
            deadlines.append((cid, kind, status, ts(start), ts(warn), ts(due),
                              ts(warn) if status == "active" else None))
        for step, action in enumerate(PATH[state]):
            events.append((cid, ts(start + timedelta(minutes=10 * step)), "desk", action,
                           state, "处理记录" if action in ("contact", "reply") else ""))
    db = sqlite3.connect(path, isolation_level=None)
    search.register(db)     # the search table's triggers call it
    db.execute("PRAGMA journal_mode=WAL")
    generated = time.perf_counter()
    db.execute("BEGIN")
    db.executemany(
        "INSERT INTO complaints (id, state, version, mobile, customer_name, channel, source, cause,"
        " text, complainant_count, media, leadership, serious_deficiency, routed_department,"
        " department, originating_department, escalation_level, major_reasons, repeat_count,"
        " reopen_count, cycle, pause_count, paused_seconds, policy_version, created_by,"
        " created_at, updated_at, next_due_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, 0, 0, 0,"
        " ?, ?, 'customer_service', ?, ?, 0, 0, 1, 0, 0, 1, 'desk', ?, ?, ?)", complaints)
    db.executemany(
        "INSERT INTO deadlines (complaint_id, kind, track, cycle, duration, status, started_at,"
        " warn_at, due_at, next_at, paused_seconds, confirmed) VALUES"
        " (?, ?, 'normal', 1, '-', ?, ?, ?, ?, ?, 0, 1)", deadlines)
    db.executemany(
        "INSERT INTO events (complaint_id, at, actor, actor_role, action, from_state, to_state,"
        " comment, data) VALUES (?, ?, ?, 'major_desk', ?, NULL, ?, ?, '{}')", events)
    db.execute("COMMIT")
    db.execute("ANALYZE")
    db.close()
    print(f"inserted in {time.perf_counter() - generated:.1f} s")


def signed_in(app, username: str):
    """A test client signed in as `username`."""
    client = app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"',
                      client.get("/login").get_data(as_text=True)).group(1)
    response = client.post("/login", data={"username": username, "password": PASSWORD,
                                           "csrf_token": token})
    assert response.status_code == 302, "sign-in failed"
    return client


def median_ms(client, url: str, repeat: int, headers=None) -> float:
    """The median server-side time of GET `url` in milliseconds (after one warm-up)."""
    assert client.get(url, headers=headers).status_code == 200, url
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(url, headers=headers)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, url
    return statistics.median(times)


def main() -> None:
    """Seed, measure and print the figures and the `result:` line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--db", help="keep the seeded SQLite file here and reuse it next time")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(args.db or Path(tmp) / "bench.db")
        if not path.exists():
            started = time.perf_counter()
            seed(path, args.rows)
            print(f"seeded {args.rows} complaints in {time.perf_counter() - started:.1f} s")
        rt = Runtime(make_engine(f"sqlite:///{path}"), load_policy())
        app = create_app({"TESTING": True, "SECRET_KEY": "bench"}, runtime=rt)
        clients = {name: signed_in(app, name) for name in ("desk", "net", "op")}
        desk = clients["desk"]
        some = args.rows // 2 + 1
        figures = {"baseline": median_ms(desk, "/login", args.repeat),
                   "queue": median_ms(desk, "/", args.repeat)}
        for label, user, url in queue_variants(some):
            figures[label] = median_ms(clients[user], url, args.repeat)
        figures["dashboard"] = median_ms(desk, "/dashboard", args.repeat)
        figures["dashboard_handler"] = median_ms(clients["net"], "/dashboard", args.repeat)
        figures["complaint"] = median_ms(desk, f"/complaints/{some}", args.repeat)
        rt.engine.dispose()
    base = figures["baseline"]
    for key, ms in figures.items():
        print(f"{key:28} {ms:8.1f} ms   {ms / base:6.1f}x baseline")
    print(json.dumps({k: round(v, 1) for k, v in figures.items()}))
    worst = max((ms, key) for key, ms in figures.items() if key.startswith("queue"))
    dashboard = max(figures["dashboard"], figures["dashboard_handler"])
    print(f"slowest queue variant: {worst[1]}")
    print(f"result: queue_ms={figures['queue']:.0f} queue_worst_ms={worst[0]:.0f} "
          f"dashboard_ms={dashboard:.0f} complaint_ms={figures['complaint']:.0f} "
          f"baseline_ms={base:.1f} rows={args.rows}")


def queue_variants(some: int) -> list[tuple[str, str, str]]:
    """(label, user, URL) of every scope, sort, filter and search the queue offers."""
    day = (NOW - timedelta(days=3)).date().isoformat()
    number = f"TS{(NOW + timedelta(hours=8)):%Y%m%d}{some:06d}"
    variants = [(f"queue_{scope}_{user}", user, f"/?scope={scope}")
                for user in ("desk", "net", "op") for scope in ("mine", "dept", "all")]
    variants += [(f"queue_sort_{sort}", "desk", f"/?scope=all&sort={sort}")
                 for sort in ("due", "received_new", "received_old", "severity")]
    variants += [("queue_sort_severity_handler", "net", "/?scope=all&sort=severity")]
    variants += [(f"queue_filter_{name}", "desk", f"/?scope=all&{query}") for name, query in (
        ("state", "state=handling"), ("department", "department=network"),
        ("severity", "severity=major"), ("cause", "cause=coverage"), ("channel", "channel=web"),
        ("source", "source=escalated"), ("received", f"from={day}&to={day}"),
        ("overdue", "overdue=1"), ("warned", "warned=1"), ("within_4h", "within=4"),
        ("mine_overdue", "scope=mine&overdue=1"))]
    variants += [("queue_filter_overdue_handler", "net", "/?scope=all&overdue=1"),
                 ("queue_filter_warned_handler", "net", "/?scope=mine&warned=1")]
    variants += [(f"queue_search_{name}", "desk", f"/?scope=all&q={q}") for name, q in (
        ("number", number), ("number_tail", f"{some:06d}"), ("mobile", "13800138000"),
        ("mobile_last4", "1234"), ("name", "王先生"), ("text", "信号覆盖"))]
    variants += [("queue_page_200", "desk", "/?scope=all&page=200"),
                 ("queue_page_past_last", "desk", "/?scope=all&page=99999")]
    return variants


if __name__ == "__main__":
    main()
