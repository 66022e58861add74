"""Hot-issue page timing on 1,000,000 complaints, SQLite and PostgreSQL.

Seeds `--rows` complaints spread over the last 365 days (bulk: executemany on SQLite,
COPY on PostgreSQL; not through the services: the hot issues read only `complaints`),
with districts (70 %), free-text locations (30 %), 400,000 different numbers, and one
planted cluster (3 customers, coverage, 南山区, yesterday) that the page must show.
Then measures server-side through the Flask test client, signed in as the major desk,
the median of `--repeat` requests of:

- baseline: the sign-in page (a template and a session, no query);
- hot_7d:   /reports/hot, the default period (the last 7 days and the 7 before);
- hot_30d:  /reports/hot for the last 30 days (and the 30 before): ~160,000 rows read.

`pg_hot_s` / `sqlite_hot_s` are the 30-day page (the worse one; target < 2 s PG, < 5 s
SQLite). Run: `.venv/bin/python bench/hot_issues.py [--rows 1000000 --repeat 5
--pg postgresql+psycopg://postgres@127.0.0.1:5432/postgres]` (without `--pg`, or when
PostgreSQL is not reachable, SQLite only). The last line is `result: ...`.
"""
from __future__ import annotations

import argparse
import random
import re
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path.pop(0)

from sqlalchemy import text, update
from sqlalchemy.engine import make_url
from werkzeug.security import generate_password_hash

from states.calendar import SHANGHAI
from states.catalogue import CAUSES, CHANNELS, DISTRICTS
from states.policy import load_policy
from web import create_app
from workflow.admin.directory import create_user, ensure_departments
from workflow.store import migrate, policies, search
from workflow.store.db import make_engine
from workflow.store.runtime import Runtime
from workflow.store.schema import users

NOW = datetime.now(timezone.utc).replace(microsecond=0)
PASSWORD = "bench-pass-2026"
COLUMNS = ("id", "state", "version", "mobile", "customer_name", "channel", "source", "cause",
           "text", "complainant_count", "media", "leadership", "serious_deficiency",
           "routed_department", "department", "originating_department", "escalation_level",
           "major_reasons", "repeat_count", "reopen_count", "cycle", "pause_count",
           "paused_seconds", "policy_version", "created_by", "created_at", "updated_at",
           "district", "location")
STATES = ["received", "assigned", "handling", "handling", "replied", "closed", "closed", "closed"]


def rows_of(count: int, seed_value: int = 2004):
    """The complaints to insert, as tuples in COLUMNS order (times as datetimes)."""
    rng, policy = random.Random(seed_value), load_policy()
    causes, channels, districts = list(CAUSES), list(CHANNELS), list(DISTRICTS)
    weights = [rng.randint(1, 10) for _ in causes]
    estates = [f"{rng.choice('福华莲桃梅景')}{rng.choice('园苑城庭')}{n}栋" for n in range(5000)]
    numbers = [f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}" for _ in range(400_000)]
    planted = NOW - timedelta(days=1)
    for cid in range(1, count + 1):
        if cid <= 3:
            at, cause, district, mobile = planted + timedelta(minutes=cid), "coverage", "nanshan", \
                f"1380000000{cid}"
            location = ""
        else:
            at = NOW - timedelta(seconds=rng.randrange(365 * 86400))
            cause = rng.choices(causes, weights)[0]
            district = rng.choice(districts) if rng.random() < 0.7 else ""
            location = rng.choice(estates) if rng.random() < 0.3 else ""
            mobile = rng.choice(numbers)
        dept = policy.department_for(cause)
        state = rng.choice(STATES)
        yield (cid, state, 3, mobile, "黄先生", rng.choice(channels), "direct", cause,
               f"客户反映{CAUSES[cause][0]}问题。", 1, False, False, False, dept, dept,
               "customer_service", 0, "[]", 0, 0, 1, 0, 0, 1, "bench", at, at, district, location)


def prepare(url: str) -> None:
    """Migrate, store the policy, add departments and the desk user."""
    engine = make_engine(url)
    migrate.upgrade(engine)
    policies.ensure_first(engine, load_policy(), by="bench", now=NOW)
    with engine.begin() as conn:
        ensure_departments(conn)
        create_user(conn, "desk", "desk", "major_desk", "customer_service", None, now=NOW)
        conn.execute(update(users).values(
            password_hash=generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")))
    engine.dispose()


def seed_sqlite(path: Path, count: int) -> float:
    """Bulk-insert into a fresh SQLite file; return the seconds it took."""
    prepare(f"sqlite:///{path}")
    started = time.perf_counter()
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("BEGIN")

    def as_sqlite(row):
        row = list(row)
        for i in (25, 26):
            row[i] = row[i].strftime("%Y-%m-%d %H:%M:%S.%f")
        for i in (10, 11, 12):
            row[i] = int(row[i])
        return row
    marks = ", ".join("?" * len(COLUMNS))
    db.executemany(f"INSERT INTO complaints ({', '.join(COLUMNS)}) VALUES ({marks})",
                   (as_sqlite(r) for r in rows_of(count)))
    db.execute("COMMIT")
    db.execute("ANALYZE")
    db.close()
    return time.perf_counter() - started


def seed_pg(url: str, count: int) -> float:
    """COPY into a fresh PostgreSQL database; return the seconds it took."""
    prepare(url)
    engine = make_engine(url)
    started = time.perf_counter()
    with engine.begin() as conn:
        raw = conn.connection.driver_connection
        names = ", ".join(COLUMNS + ("search_bigrams",))     # the bigrams intake writes
        text_at, name_at = COLUMNS.index("text"), COLUMNS.index("customer_name")
        with raw.cursor().copy(f"COPY complaints ({names}) FROM STDIN") as copy:
            for row in rows_of(count):
                copy.write_row(row + (search.bigrams(row[text_at], row[name_at]),))
        conn.execute(text("SELECT setval(pg_get_serial_sequence('complaints', 'id'), :n)"),
                     {"n": count})
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE complaints"))
    engine.dispose()
    return time.perf_counter() - started


def measure(url: str, repeat: int) -> dict[str, float]:
    """Median seconds of the sign-in page and the hot-issue page for 7 and 30 days."""
    rt = Runtime(make_engine(url), load_policy())
    app = create_app({"TESTING": True, "SECRET_KEY": "bench"}, runtime=rt)
    client = app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"',
                      client.get("/login").get_data(as_text=True)).group(1)
    assert client.post("/login", data={"username": "desk", "password": PASSWORD,
                                       "csrf_token": token}).status_code == 302
    today = NOW.astimezone(SHANGHAI).date()
    month = f"/reports/hot?from={(today - timedelta(days=29)).isoformat()}&to={today.isoformat()}"
    out = {}
    for key, path in (("baseline", "/login"), ("hot_7d", "/reports/hot"), ("hot_30d", month)):
        body = client.get(path).get_data(as_text=True)
        if key != "baseline":
            assert 'data-cause="coverage" data-place="nanshan"' in body, "planted cluster missing"
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            assert client.get(path).status_code == 200
            times.append(time.perf_counter() - started)
        out[key] = statistics.median(times)
    rt.engine.dispose()
    return out


def pg_database(base: str) -> tuple[str, str] | None:
    """A fresh database on the server of `base` (its URL and name), or None when unreachable."""
    name = f"bench_hot_{int(time.time())}"
    admin = make_engine(base)
    try:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        print(f"PostgreSQL not used: {exc.__class__.__name__}: {str(exc).splitlines()[0]}")
        return None
    finally:
        admin.dispose()
    return make_url(base).set(database=name).render_as_string(hide_password=False), name


def drop_pg(base: str, name: str) -> None:
    admin = make_engine(base)
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def report(label: str, seeded: float, times: dict, rows: int) -> None:
    base = times["baseline"]
    print(f"{label}: {rows:,} complaints seeded in {seeded:.1f} s")
    for key in ("baseline", "hot_7d", "hot_30d"):
        print(f"  {key:9s} {times[key] * 1000:8.1f} ms  ({times[key] / base:6.1f}x the sign-in page)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    args = parser.parse_args()
    result = {}
    if args.only != "postgresql":
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "hot.db"
            seeded = seed_sqlite(path, args.rows)
            times = measure(f"sqlite:///{path}", args.repeat)
            report("SQLite", seeded, times, args.rows)
            result.update(sqlite_hot_s=times["hot_30d"], sqlite_hot_7d_s=times["hot_7d"])
    if args.only != "sqlite" and args.pg:
        made = pg_database(args.pg)
        if made:
            url, name = made
            try:
                seeded = seed_pg(url, args.rows)
                times = measure(url, args.repeat)
                report("PostgreSQL", seeded, times, args.rows)
                result.update(pg_hot_s=times["hot_30d"], pg_hot_7d_s=times["hot_7d"])
            finally:
                drop_pg(args.pg, name)
    print("result: " + " ".join(f"{k}={v:.3f}" for k, v in result.items()) + f" rows={args.rows}")


if __name__ == "__main__":
    main()
