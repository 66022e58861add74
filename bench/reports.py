"""The monthly all-department scorecard over 1,000,000 complaints with their history and
clocks: how long `workflow.services.reports.scorecard_sheet` takes (a month, every
department, with the previous month for the comparison) on SQLite and PostgreSQL.

`seed(url, rows)` fills a migrated database set-wise in SQL (no Python loop per row):
`rows` complaints filed evenly over twelve months (2025-12 .. 2026-11), every cause,
channel, district and department, a tenth escalated (half by the timer), 90 % closed;
per complaint its events (intake, assign, escalate, reply, close) and clock history
(started, and met or missed for assign, first contact and reply), and a running reply
clock for the open ones. The other benchmarks of the supervision pages reuse it.
Targets: under 2 s on PostgreSQL, under 5 s on SQLite; the baseline measured in the
same run is `count(*)` of the month's events (one index range), printed as a ratio.

    .venv/bin/python bench/reports.py [--rows 1000000] [--only sqlite|postgresql]

PostgreSQL: a scratch database on BENCH_POSTGRES_URL (default the machine's
postgres@127.0.0.1:5432), dropped afterwards; skipped when it cannot be reached.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from states.catalogue import CAUSES, CHANNELS, DISTRICTS
from states.policy import load_policy
from workflow.admin.directory import ensure_departments
from workflow.services import hot
from workflow.services import reports as svc
from workflow.store import migrate, search
from workflow.store import reports as store
from workflow.store.db import make_engine
from workflow.store.runtime import Runtime
from workflow.store.schema import events

PG_ADMIN = os.environ.get("BENCH_POSTGRES_URL",
                          "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
BASE = "2025-12-01 00:00:00"
TEXT, NAME = "压测数据", "测试客户"        # every seeded complaint's text and name
MONTH = store.Period.month(2026, 10)
AT_NOW = datetime(2026, 12, 1, 2, tzinfo=timezone.utc)


def _case(expr: str, values) -> str:
    values = list(values)
    whens = " ".join(f"WHEN {i} THEN '{v}'" for i, v in enumerate(values))
    return f"(CASE ({expr}) % {len(values)} {whens} END)"


def _sql(dialect: str, rows: int) -> list[str]:
    """The seeding statements for `dialect`, each one INSERT .. SELECT over 1..rows."""
    step = max(1, 365 * 86400 // rows)
    routing = load_policy().routing
    causes = list(CAUSES)
    if dialect == "sqlite":
        series = (f"WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s "
                  f"WHERE i < {rows})")

        def ts(offset: str) -> str:
            return (f"strftime('%Y-%m-%d %H:%M:%S.000000', '{BASE}', '+' || "
                    f"(i * {step} + {offset}) || ' seconds')")

        def js(*pairs) -> str:
            inner = " || ', ' || ".join(f"'\"{k}\": \"' || {v} || '\"'" for k, v in pairs)
            return f"('{{' || {inner} || '}}')" if pairs else "'{}'"
        true, false = "1", "0"
    else:
        series = f"WITH s(i) AS (SELECT generate_series(1, {rows}))"

        def ts(offset: str) -> str:
            return f"(timestamptz '{BASE}+00' + make_interval(secs => i * {step} + {offset}))"

        def js(*pairs) -> str:
            if not pairs:
                return "'{}'::json"
            return "json_build_object(" + ", ".join(f"'{k}', {v}" for k, v in pairs) + ")"
        true, false = "true", "false"
    cause = _case("i", causes)
    routed = _case("i", [routing[c] for c in causes])
    dept = f"(CASE WHEN i % 10 = 0 THEN 'customer_service' ELSE {routed} END)"
    closed = "(i % 10 <> 3)"
    mobile = ("('138' || substr('00000000' || (i % 50000000), -8, 8))" if dialect == "sqlite"
              else "('138' || lpad((i % 50000000)::text, 8, '0'))")
    district = _case("i", [*DISTRICTS, ""])
    # Every row has the same text and name: PostgreSQL's search column holds their bigrams
    # as Python decides them (`search.bigrams`), written out as a constant.
    bigrams_column, bigrams = "", ""
    if dialect != "sqlite":
        bigrams_column = ", search_bigrams"
        bigrams = ", ARRAY[" + ", ".join(
            "'" + g.replace("'", "''") + "'" for g in search.bigrams(TEXT, NAME)) + "]::text[]"
    out = [
        f"""INSERT INTO complaints (id, state, version, mobile, customer_name, channel, source,
            cause, text, complainant_count, media, leadership, serious_deficiency,
            routed_department, department, originating_department, escalation_level,
            major_reasons, repeat_count, reopen_count, cycle, satisfaction, pause_count,
            paused_seconds, policy_version, created_by, created_at, updated_at, next_due_at,
            district, location{bigrams_column})
        {series} SELECT i, CASE WHEN {closed} THEN 'closed' ELSE 'handling' END, 5, {mobile},
            '{NAME}', {_case("i", CHANNELS)}, CASE WHEN i % 50 = 0 THEN 'gd_cab' ELSE 'direct' END,
            {cause}, '{TEXT}', 1, {false}, {false}, {false}, {routed}, {dept},
            CASE WHEN i % 5 = 0 THEN 'marketing' ELSE 'customer_service' END,
            CASE WHEN i % 10 = 0 THEN 1 ELSE 0 END, {js() if dialect == "sqlite" else "'[]'::json"},
            0, 0, 1, CASE WHEN {closed} THEN (CASE WHEN i % 4 = 0 THEN 'unsatisfied' ELSE
            'satisfied' END) END, 0, 0, 1, 'bench', {ts("0")},
            CASE WHEN {closed} THEN {ts("108000")} ELSE {ts("3600")} END,
            CASE WHEN {closed} THEN NULL ELSE {ts("172800")} END, {district}, ''{bigrams}
        FROM s""",
    ]

    def event(action, offset, where="1=1", data=None, to_state="'assigned'"):
        return (f"""INSERT INTO events (complaint_id, at, actor, actor_role, action, from_state,
                    to_state, comment, data)
                {series} SELECT i, {ts(offset)}, 'bench', 'operator', '{action}', NULL,
                    {to_state}, '', {data or js()} FROM s WHERE {where}""")
    out += [
        event("intake", "0", to_state="'received'"),
        event("assign", "3600", data=js(("department", routed))),
        event("escalate", "7200", "i % 10 = 0", data=(
            f"CASE WHEN i % 20 = 0 THEN "
            f"{js(('criterion', repr('deadline:reply')), ('from_department', routed))} "
            f"ELSE {js(('from_department', routed))} END")),
        event("reply", "72000", closed, to_state="'replied'"),
        event("close", "108000", closed, to_state="'closed'", data=js(("satisfaction", (
            "(CASE WHEN i % 4 = 0 THEN 'unsatisfied' ELSE 'satisfied' END)")))),
    ]

    def clock(kind, event_sql, offset, where="1=1", seconds="600"):
        return (f"""INSERT INTO clock_events (complaint_id, kind, run, at, event, policy_version,
                    track, duration, warn_at, due_at, confirmed, seconds, reason, actor, data)
                {series} SELECT i, '{kind}', 1, {ts(offset)}, {event_sql}, 1, 'normal', '48h',
                    {ts("129600")}, {ts("172800")}, {true}, {seconds}, '', 'bench', {js()}
                FROM s WHERE {where}""")
    out += [
        clock("reply", "'started'", "0", seconds="NULL"),
        clock("assign", "CASE WHEN i % 7 = 0 THEN 'missed' ELSE 'met' END", "3600"),
        clock("first_contact", "CASE WHEN i % 9 = 0 THEN 'missed' ELSE 'met' END", "10800"),
        clock("reply", "CASE WHEN i % 6 = 0 THEN 'missed' ELSE 'met' END", "72000", closed),
        f"""INSERT INTO deadlines (complaint_id, kind, track, cycle, duration, status, started_at,
                warn_at, due_at, next_at, paused_seconds, confirmed, run)
            {series} SELECT i, 'reply', 'normal', 1, '48h', 'active', {ts("0")}, {ts("129600")},
                {ts("172800")}, {ts("172800")}, 0, {true}, 1 FROM s WHERE NOT {closed}""",
    ]
    return out


def seed(url: str, rows: int) -> float:
    """Fill the (migrated or empty) database at `url` with `rows` complaints and their
    history; return the seconds it took."""
    engine = make_engine(url)
    migrate.upgrade(engine)
    rt = Runtime(engine, load_policy())
    with rt.uow() as uow:
        ensure_departments(uow.conn)
        uow.commit()
    started = time.perf_counter()
    with engine.begin() as conn:
        for statement in _sql(engine.dialect.name, rows):
            conn.execute(text(statement))
        if engine.dialect.name == "postgresql":
            conn.execute(text("SELECT setval(pg_get_serial_sequence('complaints', 'id'), "
                              "(SELECT max(id) FROM complaints))"))
    with engine.connect() as conn:
        conn.execute(text("ANALYZE"))
        conn.commit()
    engine.dispose()
    return time.perf_counter() - started


def timed(url: str) -> dict:
    engine = make_engine(url)
    with engine.connect() as conn:
        t0 = time.perf_counter()
        conn.execute(select(func.count()).select_from(events).where(
            events.c.at >= MONTH.start, events.c.at < MONTH.end)).scalar()
        floor = time.perf_counter() - t0
        best = float("inf")
        for _ in range(3):
            t0 = time.perf_counter()
            sheet = svc.scorecard_sheet(conn, MONTH, at_now=AT_NOW)
            best = min(best, time.perf_counter() - t0)
        received = sum(v[0] or 0 for _k, _l, v in sheet.rows)
    # The hot-issue page's figures for the month (against the month before): rising
    # causes, clusters by district and location, recurring numbers (workflow.services.hot).
    rt, hot_best = Runtime(engine, load_policy()), float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        report = hot.report(rt, MONTH.start, MONTH.end)
        hot_best = min(hot_best, time.perf_counter() - t0)
    engine.dispose()
    return {"scorecard_s": best, "floor_s": floor, "received": received, "hot_s": hot_best,
            "clusters": len(report.clusters)}


def pg_database():
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    name = f"bench_reports_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_ADMIN).set(database=name).render_as_string(hide_password=False)
    return admin, name, url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="complaints")
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    args = parser.parse_args()
    results = {}
    if args.only != "postgresql":
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite:///{tmp}/reports.db"
            seconds = seed(url, args.rows)
            results["sqlite"] = {"seed_s": seconds, **timed(url)}
    if args.only != "sqlite":
        try:
            admin_engine, name, url = pg_database()
        except OperationalError as exc:
            print(f"PostgreSQL not reachable at {PG_ADMIN}: {exc.__class__.__name__}; skipped")
        else:
            try:
                seconds = seed(url, args.rows)
                results["postgresql"] = {"seed_s": seconds, **timed(url)}
            finally:
                with admin_engine.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                admin_engine.dispose()
    print(f"{'database':12s} {'seed s':>8s} {'floor s':>8s} {'scorecard s':>12s} "
          f"{'vs floor':>9s} {'received':>9s} {'hot s':>7s} {'vs floor':>9s}")
    for db, r in results.items():
        print(f"{db:12s} {r['seed_s']:8.1f} {r['floor_s']:8.3f} {r['scorecard_s']:12.2f} "
              f"{r['scorecard_s'] / max(r['floor_s'], 1e-6):9.1f} {r['received']:9d} "
              f"{r['hot_s']:7.2f} {r['hot_s'] / max(r['floor_s'], 1e-6):9.1f}")
    parts = [f"rows={args.rows}"]
    if "postgresql" in results:
        parts.append(f"pg_s={results['postgresql']['scorecard_s']:.2f}")
    if "sqlite" in results:
        parts.append(f"sqlite_s={results['sqlite']['scorecard_s']:.2f}")
    for db, key in (("postgresql", "pg_hot_s"), ("sqlite", "sqlite_hot_s")):
        if db in results:
            parts.append(f"{key}={results[db]['hot_s']:.2f}")
    print("result: " + " ".join(parts))


if __name__ == "__main__":
    main()
