"""A million complaints on SQLite and PostgreSQL: the work queue, the complaint page, the
API list and each search, with 10,000,000 history events and the clocks.

Seeds each database once in bulk (not through the services): `--rows` complaints in
every state with varied Chinese texts and names, their clocks (3-5 each, with one
`started` entry each in the clock history) and 10 history events each. SQLite by
`executemany` (the search table filled by its triggers); PostgreSQL by COPY (the
search's bigrams computed in Python, `workflow.store.search.bigrams`), with the
secondary indexes and the foreign-key triggers off while it loads and the indexes
built afterwards. `--sqlite PATH` and `--pg NAME` keep the databases for the next run
(they are seeded only when empty). Then, server-side through the Flask test client,
signed in, the median of `--repeat` requests of:

- baseline: the sign-in page (a template and a session, no complaint query);
- queue: the work queue in every scope (mine, dept, all) for the major-complaint desk,
  a department handler and a front-line operator (`queue_ms` is the slowest);
- complaint: one complaint's page; api: the API list (first page, a state, overdue,
  a cursor deep in the table; `api_ms` is the slowest);
- search (the queue, all complaints): a two-character phrase (车库), a longer phrase
  (地下车库), a customer name, a mobile number's last four digits, a full complaint
  number; each also as the plan the database chooses, printed;
- the floor under a search: the database alone reading the state of each of 车库's
  matches through the index (one grouped count, no page, no application):
  `search2_vs_floor` is what the page, the order and the application add to it.

Run: `.venv/bin/python bench/million.py --rows 1000000 --sqlite /tmp/m.db --pg bench_million`
(`--only sqlite|postgresql`). The last line is `result: sqlite_queue_ms=...
pg_queue_ms=... sqlite_search2_ms=... ...` with `*_vs_baseline` ratios; the target is
under 300 ms each.
"""
from __future__ import annotations

import argparse
import importlib.util
import os
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
    sys.path.pop(0)        # `import web` must find the application, not bench/web.py

from sqlalchemy import create_engine, func, select, text, update
from sqlalchemy.engine import make_url
from werkzeug.security import generate_password_hash

from states.catalogue import AUTHORITIES, CAUSES, CHANNELS
from states.policy import load_policy
from states.process import Role
from web import create_app
from workflow.admin import tokens
from workflow.admin.directory import create_user, ensure_departments
from workflow.domain.model import Actor
from workflow.store import counts, migrate, policies, search
from workflow.store.db import make_engine
from workflow.store.queries import Filters, _where
from workflow.store.runtime import Runtime
from workflow.store.schema import complaints, users

# bench/web.py's complaint mix, clocks, sign-in and timing (loaded by path: the name `web`
# is the application's).
_spec = importlib.util.spec_from_file_location("bench_web", Path(__file__).with_name("web.py"))
bench_web = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_web)
PASSWORD, STATES, PATH = bench_web.PASSWORD, bench_web.STATES, bench_web.PATH
clocks, signed_in, median_ms = bench_web.clocks, bench_web.signed_in, bench_web.median_ms

PG_ADMIN = os.environ.get("BENCH_POSTGRES_URL",
                          "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
EVENTS_PER_COMPLAINT = 10
CHUNK = 50_000
DISTRICTS = ["东城", "西城", "朝阳", "海淀", "丰台", "石景山", "通州", "顺义", "昌平", "大兴",
             "房山", "门头沟", "怀柔", "平谷", "密云", "延庆"]
ESTATES = ["阳光", "幸福", "和平", "翠湖", "金地", "万科", "碧桂园", "龙湖", "保利", "世纪",
           "锦绣", "花园", "新村", "家园", "嘉园", "名苑", "华府", "雅居", "丽景", "天悦"]
SPOTS = ["家中", "客厅", "卧室", "办公室", "楼道", "电梯", "地下车库", "商场", "学校", "医院",
         "地铁站", "公交站", "路口", "阳台", "厨房", "门口", "楼顶", "车站", "公园", "超市"]
PROBLEMS = ["手机信号差", "无法上网", "网速很慢", "通话经常中断", "宽带频繁掉线", "5G信号弱",
            "套餐被多扣费", "营业厅态度不好", "装机一直没人上门", "短信收不到", "话费余额不对",
            "光猫经常重启", "WiFi连不上", "视频卡顿", "号码被停机", "积分兑换失败"]
ASKS = ["要求尽快处理", "希望派人上门", "要求退还费用", "请给个说法", "要求回电说明",
        "希望今天解决", "已经反映多次", "要求赔偿"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛",
         "明", "超", "秀英", "华", "建国", "先生", "女士"]


TEN_MINUTES = timedelta(minutes=10)
DURATIONS = {"assign": "2h", "reply": "48h", "outer_limit": "15 days", "first_contact": "24h",
             "progress_contact": "48h", "auto_close": "7 days"}


def generate(first: int, last: int, now: datetime, policy, rng, fmt):
    """The rows of complaints `first`..`last`: (complaints, deadlines, clock events, events),
    each time (UTC) written by `fmt`."""
    causes, channels, authorities = list(CAUSES), list(CHANNELS), list(AUTHORITIES)
    cs, ds, ces, evs = [], [], [], []
    for cid in range(first, last + 1):
        state, cause = rng.choice(STATES), rng.choice(causes)
        dept = policy.department_for(cause)
        start = now - timedelta(minutes=rng.randrange(10, 60 * 24 * 365 * 3))
        if state not in ("closed", "replied"):      # the open ones are recent
            start = now - timedelta(minutes=rng.randrange(10, 60 * 24 * 20))
        major = rng.random() < 0.05
        source = rng.choice(authorities) if rng.random() < 0.06 else "direct"
        of_clocks = clocks(state, start)
        live = [due for _, status, _, due in of_clocks if status == "active"]
        words = (rng.choice(DISTRICTS) + "区" + rng.choice(ESTATES) + "小区" + rng.choice(SPOTS)
                 + rng.choice(PROBLEMS) + "，" + rng.choice(ASKS) + "。")
        cs.append((cid, state, len(PATH[state]), f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}",
                   rng.choice(SURNAMES) + rng.choice(GIVEN), rng.choice(channels), source, cause,
                   words, dept, "customer_service" if major or source != "direct" else dept,
                   1 if major else 0, '["manual"]' if major else "[]", fmt(start), fmt(start),
                   fmt(min(live)) if live else None))
        begun = fmt(start)
        for kind, status, warn, due in of_clocks:
            warn, due = fmt(warn), fmt(due)
            ds.append((cid, kind, DURATIONS[kind], status, begun, warn, due,
                       warn if status == "active" else None))
            ces.append((cid, kind, DURATIONS[kind], begun, warn, due))
        steps = PATH[state] + ["contact"] * (EVENTS_PER_COMPLAINT - len(PATH[state]))
        for step, action in enumerate(steps):
            evs.append((cid, fmt(start + TEN_MINUTES * step), action, state,
                        "处理记录" if action in ("contact", "reply") else ""))
    return cs, ds, ces, evs


COMPLAINT_COLUMNS = (
    "id, state, version, mobile, customer_name, channel, source, cause, text, routed_department,"
    " department, escalation_level, major_reasons, created_at, updated_at, next_due_at")
TEXT, NAME = 8, 4        # where a complaint's text and customer name are in its row
FIXED = {"complainant_count": 1, "media": False, "leadership": False, "serious_deficiency": False,
         "originating_department": "customer_service", "repeat_count": 0, "reopen_count": 0,
         "cycle": 1, "pause_count": 0, "paused_seconds": 0, "policy_version": 1,
         "created_by": "desk"}
DEADLINE_COLUMNS = "complaint_id, kind, duration, status, started_at, warn_at, due_at, next_at"
DEADLINE_FIXED = {"track": "normal", "cycle": 1, "paused_seconds": 0,
                  "confirmed": True, "run": 1}
CLOCK_EVENT_COLUMNS = "complaint_id, kind, duration, at, warn_at, due_at"
CLOCK_EVENT_FIXED = {"run": 1, "event": "started", "policy_version": 1, "track": "normal",
                     "confirmed": True, "reason": "", "actor": "desk",
                     "data": "{}"}
EVENT_COLUMNS = "complaint_id, at, action, to_state, comment"
EVENT_FIXED = {"actor": "desk", "actor_role": "major_desk", "data": "{}"}
TABLES = (("complaints", COMPLAINT_COLUMNS, FIXED), ("deadlines", DEADLINE_COLUMNS, DEADLINE_FIXED),
          ("clock_events", CLOCK_EVENT_COLUMNS, CLOCK_EVENT_FIXED),
          ("events", EVENT_COLUMNS, EVENT_FIXED))


def _naive(value: datetime) -> datetime:
    return value.astimezone(timezone.utc).replace(tzinfo=None)


def prepare(url: str, now: datetime) -> None:
    """Migrate, add the policy, departments and the three users (desk, net, op)."""
    engine = make_engine(url)
    migrate.upgrade(engine)
    policies.ensure_first(engine, load_policy(), by="bench", now=now)
    with engine.begin() as conn:
        ensure_departments(conn)
        for name, role, dept in (("desk", "major_desk", "customer_service"),
                                 ("net", "handler", "network"),
                                 ("op", "operator", "customer_service")):
            create_user(conn, name, name, role, dept, None, now=now)
        conn.execute(update(users).values(
            password_hash=generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")))
    engine.dispose()


def _sqlite_time(value: datetime) -> str:
    """A naive UTC time as the SQLite columns store it."""
    return value.isoformat(" ", "microseconds")


def seed_sqlite(path: Path, rows: int, now: datetime) -> None:
    """Bulk-insert `rows` complaints with executemany; indexes rebuilt after the load."""
    prepare(f"sqlite:///{path}", now)
    db = sqlite3.connect(path, isolation_level=None)
    search.register(db)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=OFF")
    db.execute("PRAGMA cache_size=-1000000")
    names = [n for (n,) in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    indexes = [sql for (sql,) in db.execute(
        "SELECT sql FROM sqlite_master WHERE type='index' AND sql IS NOT NULL AND tbl_name IN "
        "('complaints', 'deadlines', 'clock_events', 'events')")]
    assert "complaint_search" in names
    # The queue's counts are taken once after the load (`counts.rebuild`), not row by row.
    triggers = [sql for (sql,) in db.execute(
        "SELECT sql FROM sqlite_master WHERE type='trigger' AND name LIKE 'queue_counts_%'")]
    db.execute("BEGIN")
    for statement in indexes:
        db.execute("DROP INDEX " + re.search(r"INDEX (\S+)", statement).group(1))
    for statement in triggers:
        db.execute("DROP TRIGGER " + re.search(r"TRIGGER (\S+)", statement).group(1))
    statements = []
    for table, columns, fixed in TABLES:
        names = columns.split(", ") + list(fixed)
        statements.append((f"INSERT INTO {table} ({', '.join(names)}) VALUES "
                           f"({', '.join('?' * len(names))})", tuple(fixed.values())))
    rng, policy = random.Random(2015), load_policy()
    for first in range(1, rows + 1, CHUNK):
        parts = generate(first, min(first + CHUNK - 1, rows), _naive(now), policy, rng,
                         _sqlite_time)
        for (statement, fixed), part in zip(statements, parts):
            db.executemany(statement, (row + fixed for row in part))
        print(f"  sqlite: {min(first + CHUNK - 1, rows)} complaints", flush=True)
    for statement in indexes + triggers:
        db.execute(statement)
    db.execute("COMMIT")
    db.close()
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        counts.rebuild(conn)
        conn.execute(text("ANALYZE"))
    engine.dispose()


def seed_postgres(url: str, rows: int, now: datetime) -> None:
    """COPY `rows` complaints; secondary indexes dropped and rebuilt, foreign keys unchecked
    while loading (`session_replication_role = replica`)."""
    prepare(url, now)
    engine = create_engine(url)
    with engine.begin() as conn:
        raw = conn.connection.driver_connection
        cur = raw.cursor()
        cur.execute("SET session_replication_role = replica")
        cur.execute("SET maintenance_work_mem = '512MB'")
        cur.execute("SET TimeZone = 'UTC'")          # the naive times below are UTC
        cur.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN "
                    "('complaints', 'deadlines', 'clock_events', 'events') AND indexname NOT LIKE 'pk_%'"
                    " AND indexdef NOT LIKE 'CREATE UNIQUE%'")
        indexes = cur.fetchall()
        for name, _ in indexes:
            cur.execute(f'DROP INDEX "{name}"')
        rng, policy = random.Random(2015), load_policy()
        for first in range(1, rows + 1, CHUNK):
            parts = generate(first, min(first + CHUNK - 1, rows), _naive(now), policy, rng,
                             lambda value: value)
            for (table, columns, fixed), part in zip(TABLES, parts):
                names = columns.split(", ") + list(fixed)
                tail = tuple(fixed.values())
                rows_of = [row + tail for row in part]
                if table == "complaints":       # the bigrams intake writes beside the text
                    names.append("search_bigrams")
                    rows_of = [row + (search.bigrams(row[TEXT], row[NAME]),) for row in rows_of]
                with cur.copy(f"COPY {table} ({', '.join(names)}) FROM STDIN") as copy:
                    for row in rows_of:
                        copy.write_row(row)
            print(f"  postgresql: {min(first + CHUNK - 1, rows)} complaints", flush=True)
        for table in ("complaints", "deadlines", "clock_events", "events"):
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT max(id) FROM {table}))")
        for _, definition in indexes:
            started = time.perf_counter()
            cur.execute(definition)
            print(f"  {definition[:90]}: {time.perf_counter() - started:.1f} s", flush=True)
        cur.execute("SET session_replication_role = DEFAULT")   # (COPY fired no trigger)
        counts.rebuild(conn)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    engine.dispose()


def count(url: str) -> int:
    """How many complaints the database holds (0 when it has no schema yet)."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT count(*) FROM complaints")).scalar()
    except Exception:
        return 0
    finally:
        engine.dispose()


def searches(engine, rows: int) -> dict[str, str]:
    """The searches measured: label -> query (the last four digits of a stored mobile)."""
    some = rows // 2 + 1
    with engine.connect() as conn:
        mobile = conn.execute(select(complaints.c.mobile).where(complaints.c.id == some)).scalar()
    return {"search2": "车库", "search_long": "地下车库", "search_name": "王建国",
            "search_last4": mobile[-4:], "search_number": f"TS20261201{some:06d}"}


def plans(engine, queries: dict[str, str]) -> None:
    """Print the plan each search gets (no nudging: the planner's own choice)."""
    desk = Actor("desk", Role.major_desk, "customer_service")
    with engine.connect() as conn:
        for label, query in queries.items():
            compiled = select(complaints.c.id).where(
                *_where(desk, Filters(text=query), datetime.now(timezone.utc))).compile(conn)
            if conn.dialect.name == "sqlite":
                params = tuple(compiled.params[n] for n in compiled.positiontup)
                lines = [r[-1] for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + str(compiled), params)]
            else:
                lines = [r[0] for r in conn.exec_driver_sql("EXPLAIN " + str(compiled), compiled.params)]
            print(f"  plan {label} ({query}): " + " | ".join(line.strip() for line in lines))


def measure(url: str, rows: int, repeat: int) -> dict[str, float]:
    """Every figure on the database at `url`."""
    rt = Runtime(make_engine(url), load_policy())
    now = datetime.now(timezone.utc)
    with rt.uow() as uow:
        uow.conn.execute(text("DELETE FROM api_tokens"))      # a fresh one each run
        token = tokens.create(uow.conn, "desk", "bench", now=now)[1]
        uow.commit()
    app = create_app({"TESTING": True, "SECRET_KEY": "bench"}, runtime=rt)
    clients = {name: signed_in(app, name) for name in ("desk", "net", "op")}
    desk = clients["desk"]
    figures = {"baseline": median_ms(desk, "/login", repeat)}
    for user in clients:
        for scope in ("mine", "dept", "all"):
            figures[f"queue_{scope}_{user}"] = median_ms(clients[user], f"/?scope={scope}", repeat)
    figures["complaint"] = median_ms(desk, f"/complaints/{rows // 2 + 1}", repeat)
    auth = {"Authorization": f"Bearer {token}"}
    for label, query in (("api", ""), ("api_state", "?state=handling"),
                         ("api_overdue", "?overdue=true"), ("api_deep", f"?cursor={rows // 2}")):
        figures[label] = median_ms(desk, "/api/v1/complaints" + query, repeat, headers=auth)
    queries = searches(rt.engine, rows)
    for label, query in queries.items():
        figures[label] = median_ms(desk, f"/?scope=all&q={query}", repeat)
    figures["floor_search2"] = match_floor_ms(rt.engine, queries["search2"], repeat)
    plans(rt.engine, queries)
    rt.engine.dispose()
    return figures


def match_floor_ms(engine, query: str, repeat: int) -> float:
    """The floor under a search's page: the database alone reading the state of every
    match through the index (one statement, grouped by state, no page, no application);
    the median of `repeat` after one warm-up."""
    statement = (select(complaints.c.state, func.count())
                 .where(search.text_clause(query)).group_by(complaints.c.state))
    times = []
    with engine.connect() as conn:
        for _ in range(repeat + 1):
            started = time.perf_counter()
            conn.execute(statement).all()
            times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times[1:])


def postgres_url(name: str) -> str:
    """The URL of database `name` on the server of `BENCH_POSTGRES_URL`, created if missing."""
    admin_url = make_url(PG_ADMIN)
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first():
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return admin_url.set(database=name).render_as_string(hide_password=False)


def run(label: str, url: str, seed, rows: int, repeat: int) -> dict[str, float]:
    """Seed `url` when empty, then measure; print the figures."""
    have = count(url)
    if have not in (0, rows):
        raise SystemExit(f"{label}: the database holds {have} complaints, not {rows}: "
                         "give another --sqlite/--pg or --rows")
    if not have:
        started = time.perf_counter()
        seed(rows)
        print(f"{label}: seeded {rows} complaints in {time.perf_counter() - started:.0f} s")
    figures = measure(url, rows, repeat)
    base = figures["baseline"]
    for key, ms in figures.items():
        print(f"{label:10} {key:22} {ms:8.1f} ms {ms / base:7.1f}x baseline")
    return figures


def main() -> None:
    """Seed (when needed), measure both databases and print the `result:` line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--sqlite", help="the SQLite file to keep and reuse")
    parser.add_argument("--pg", help="the PostgreSQL database name to keep and reuse")
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    args = parser.parse_args()
    now = datetime.now(timezone.utc).replace(microsecond=0)
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        if args.only != "postgresql":
            path = Path(args.sqlite or Path(tmp) / "million.db")
            results["sqlite"] = run("sqlite", f"sqlite:///{path}",
                                    lambda n: seed_sqlite(path, n, now), args.rows, args.repeat)
        if args.only != "sqlite":
            name = args.pg or f"bench_million_{os.getpid()}"
            url = postgres_url(name)
            try:
                results["pg"] = run("postgresql", url, lambda n: seed_postgres(url, n, now),
                                    args.rows, args.repeat)
            finally:
                if not args.pg:
                    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
                    with admin.connect() as conn:
                        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                    admin.dispose()
    parts = []
    for db, figures in results.items():
        queue = max(v for k, v in figures.items() if k.startswith("queue_"))
        api = max(v for k, v in figures.items() if k.startswith("api"))
        keys = {"queue": queue, "complaint": figures["complaint"], "api": api,
                **{k: v for k, v in figures.items() if k.startswith("search")}}
        parts += [f"{db}_{k}_ms={v:.0f}" for k, v in keys.items()]
        parts.append(f"{db}_worst_vs_baseline={max(keys.values()) / figures['baseline']:.1f}")
        parts.append(f"{db}_baseline_ms={figures['baseline']:.1f}")
        parts.append(f"{db}_search_floor_ms={figures['floor_search2']:.0f}")
        parts.append(f"{db}_search2_vs_floor={figures['search2'] / figures['floor_search2']:.2f}")
    print("result: " + " ".join(parts) + f" rows={args.rows}")


if __name__ == "__main__":
    main()
