"""Page timing: the work queue and the complaint page on 100,000 complaints (SQLite).

Fills a fresh SQLite file with `--rows` complaints in every state (bulk executemany,
not through the services), each with its clocks and 2-7 history events, then measures
server-side through the Flask test client, signed in, the median of `--repeat`
requests of:

- baseline:  the sign-in page (a template and a session, no complaint query);
- queue:     the major-complaint desk's work queue (it may act on every complaint:
             the worst case), nearest deadline first, page 1 of 50 rows, with counts;
- queue variants: a department handler's queue, the overdue filter, a text search,
             page 200;
- complaint: one complaint's page (facts, clocks, history, diagram, action forms).

Run: `.venv/bin/python bench/web.py` (`--rows 100000 --repeat 7`). The last line is
`result: queue_ms=... complaint_ms=...` (the target is under 300 ms each).
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

from states.catalogue import CAUSES, CHANNELS
from states.policy import load_policy
from web import create_app
from workflow.admin.directory import create_user, ensure_departments
from workflow.store import migrate, policies
from workflow.store.db import make_engine
from workflow.store.runtime import Runtime
from workflow.store.schema import users

NOW = datetime.now(timezone.utc).replace(microsecond=0)
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
                                 ("net", "handler", "network")):
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
        rows_of_clocks = clocks(state, start)
        live = [due for _, status, _, due in rows_of_clocks if status == "active"]
        mobile = f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}"
        complaints.append((cid, state, len(PATH[state]), mobile,
                           rng.choice("王李张刘陈杨黄赵") + "先生", rng.choice(channels), cause,
                           f"客户反映{CAUSES[cause][0]}问题,要求尽快处理。编号{cid}",
                           dept, "customer_service" if major else dept, 1 if major else 0,
                           '["manual"]' if major else "[]", ts(start), ts(start),
                           ts(min(live)) if live else None))
        for kind, status, warn, due in rows_of_clocks:
            deadlines.append((cid, kind, status, ts(start), ts(warn), ts(due),
                              ts(warn) if status == "active" else None))
        for step, action in enumerate(PATH[state]):
            events.append((cid, ts(start + timedelta(minutes=10 * step)), "desk", action,
                           state, "处理记录" if action in ("contact", "reply") else ""))
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    generated = time.perf_counter()
    db.execute("BEGIN")
    db.executemany(
        "INSERT INTO complaints (id, state, version, mobile, customer_name, channel, source, cause,"
        " text, complainant_count, media, leadership, serious_deficiency, routed_department,"
        " department, originating_department, escalation_level, major_reasons, repeat_count,"
        " reopen_count, cycle, pause_count, paused_seconds, policy_version, created_by,"
        " created_at, updated_at, next_due_at) VALUES (?, ?, ?, ?, ?, ?, 'direct', ?, ?, 1, 0, 0, 0,"
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


def median_ms(client, url: str, repeat: int) -> float:
    """The median server-side time of GET `url` in milliseconds (after one warm-up)."""
    assert client.get(url).status_code == 200, url
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(url)
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
        desk, net = signed_in(app, "desk"), signed_in(app, "net")
        some = args.rows // 2 + 1
        figures = {
            "baseline": median_ms(desk, "/login", args.repeat),
            "queue": median_ms(desk, "/", args.repeat),
            "queue_handler": median_ms(net, "/", args.repeat),
            "queue_overdue": median_ms(desk, "/?overdue=1", args.repeat),
            "queue_search": median_ms(desk, "/?q=13800", args.repeat),
            "queue_page_200": median_ms(desk, "/?page=200", args.repeat),
            "complaint": median_ms(desk, f"/complaints/{some}", args.repeat),
        }
        rt.engine.dispose()
    base = figures["baseline"]
    for key, ms in figures.items():
        print(f"{key:16} {ms:8.1f} ms   {ms / base:6.1f}x baseline")
    print(json.dumps({k: round(v, 1) for k, v in figures.items()}))
    print(f"result: queue_ms={figures['queue']:.0f} complaint_ms={figures['complaint']:.0f} "
          f"baseline_ms={base:.1f} rows={args.rows}")


if __name__ == "__main__":
    main()
