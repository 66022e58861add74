"""The service's app plus floor endpoints, for `bench/api_floor.py` only (never deployed).

`POST /bench/floor/<variant>/<complaint id>` does what an API `contact` action does in the
database and nothing else: no Flask JSON body handling, no domain code, no SQLAlchemy
execution, no answer but `{"ok": true}`. What it costs is what any implementation of the
action would pay at least, on the same gunicorn, Flask and load generator as the real
endpoint. Variants:

- `statements`: the statements of the statement-by-statement plan (SQLite's path, and
  PostgreSQL's with `workflow.store.plan.ONE_STATEMENT` off), the service's own
  (`workflow.store.plan.separately` and the complaint-with-clocks read, run through
  `workflow.store.fastsql.Prepared` on the bare DB-API cursor of a pooled connection):
  token read, BEGIN, complaint and clocks read, versioned update with the next due time,
  history insert, clock stop, clock restart, one insert of the two clock-history
  entries (first contact met, progress started), clocks read, COMMIT. The plan's values
  are made up here, not decided by the domain.
- `fewest`: the same writes in the fewest statements. On PostgreSQL three, each standing
  alone in autocommit (no BEGIN or COMMIT round trips): the token read, one read of the
  complaint with its clocks, and one data-modifying WITH for all the writes (versioned
  update with the next due time, history insert, clock stop, clock upsert, the clock
  history entries). The service
  (`workflow.store.pgwrite`) sends three as well in autocommit: token, complaint with its
  clocks, one WITH that also answers the clocks. SQLite has no data-modifying WITH:
  token read, BEGIN IMMEDIATE, one joined read, the five writes, COMMIT (no read back).
"""
from __future__ import annotations

import hashlib
from datetime import timedelta

from flask import Blueprint, abort, current_app, request

from web import create_app, runtime_of
from workflow.admin import tokens
from workflow.domain.clocks import OPEN, ClockPlan, entry
from workflow.store import complaints as actions
from workflow.store import plan
from workflow.store.schema import utcnow

floor = Blueprint("bench_floor", __name__)

_FEWEST_READ = """SELECT c.version, c.state, c.policy_version, (SELECT json_agg(d ORDER BY d.due_at)
  FROM deadlines d WHERE d.complaint_id = c.id) FROM complaints c WHERE c.id = %(id)s"""
_COLUMNS = ("complaint_id, kind, track, cycle, duration, status, started_at, warn_at, due_at, "
            "next_at, warned_at, breached_at, stopped_at, paused_at, paused_seconds, confirmed")
_LOG_COLUMNS = ("complaint_id, kind, run, at, event, policy_version, track, duration, warn_at, "
                "due_at, confirmed, seconds, reason, actor, data")
_FEWEST_WRITE = f"""WITH u AS (UPDATE complaints SET state = %(state)s, version = version + 1,
    updated_at = %(now)s, next_due_at = %(due)s WHERE id = %(id)s AND version = %(version)s
    RETURNING id),
 e AS (INSERT INTO events (complaint_id, at, actor, actor_role, action, from_state,
       to_state, comment, data)
   SELECT id, %(now)s, %(actor)s, %(role)s, 'contact', %(state)s, %(state)s, %(comment)s,
          '{{}}'::json FROM u),
 s AS (UPDATE deadlines SET status = 'stopped', next_at = NULL, stopped_at = %(now)s
   WHERE complaint_id IN (SELECT id FROM u) AND kind IN ('first_contact')
     AND status IN ('active', 'paused', 'fired') RETURNING complaint_id, run, warn_at, due_at),
 h AS (INSERT INTO clock_events ({_LOG_COLUMNS})
   SELECT complaint_id, 'first_contact', run, %(now)s, 'met', %(policy)s, 'normal', '24h',
          warn_at, due_at, true, 0, 'contact', %(actor)s, '{{}}'::json FROM s
   UNION ALL SELECT id, 'progress_contact', 1, %(now)s, 'started', %(policy)s, 'normal', '48h',
          %(warn)s, %(due)s, true, NULL, 'contact', %(actor)s, '{{}}'::json FROM u),
 i AS (INSERT INTO deadlines ({_COLUMNS})
   SELECT id, 'progress_contact', 'normal', 1, '48h', 'active', %(now)s, %(warn)s, %(due)s,
          %(warn)s, NULL, NULL, NULL, NULL, 0, true FROM u
   ON CONFLICT (complaint_id, kind) DO UPDATE SET track = excluded.track,
     cycle = excluded.cycle, duration = excluded.duration, status = excluded.status,
     started_at = excluded.started_at, warn_at = excluded.warn_at, due_at = excluded.due_at,
     next_at = excluded.next_at, warned_at = NULL, breached_at = NULL, stopped_at = NULL,
     paused_at = NULL, paused_seconds = 0, confirmed = true)
SELECT count(*) FROM u"""


def _run(cursor, dialect, prepared, params: dict, fetch: str | None = None):
    """Execute one of the service's statements on the bare cursor, bound as it binds it."""
    entry = prepared._entry(dialect, tuple(params))
    cursor.execute(entry.sql, prepared._args(entry, params))
    if fetch == "one":
        return cursor.fetchone()
    if fetch == "all":
        return cursor.fetchall()
    return cursor.rowcount


def _many(cursor, dialect, prepared, rows: list[dict]) -> None:
    """Execute one of the service's statements for several rows at once."""
    entry = prepared._entry(dialect, tuple(rows[0]))
    cursor.executemany(entry.sql, [prepared._args(entry, row) for row in rows])


def _token_hash() -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        abort(401)
    return hashlib.sha256(token.strip().encode()).hexdigest()


class _Bare:
    """What `workflow.store.fastsql.Prepared` needs of a connection, on a pooled DB-API one:
    the service's statements, run on the bare cursor."""

    def __init__(self, dialect, dbapi):
        self.dialect, self.connection = dialect, dbapi


@floor.post("/bench/floor/statements/<int:cid>")
def statements(cid: int):
    rt = runtime_of(current_app)
    engine = rt.engine
    dialect = engine.dialect
    dbapi = engine.raw_connection()       # a pool checkout, as the service's request does
    lock = rt.sqlite_writer
    try:
        cursor = dbapi.driver_connection.cursor()
        if _run(cursor, dialect, tokens._RESOLVE, {"token_hash": _token_hash()}, "one") is None:
            abort(401)
        if lock:
            lock.acquire()
        try:
            if dialect.name == "sqlite":
                cursor.execute("BEGIN IMMEDIATE")
            conn = _Bare(dialect, dbapi)
            found = actions._WITH_CLOCKS.all(conn, {"id": cid})
            if not found:
                abort(404)
            version, policy = found[0]["version"], found[0]["policy_version"]
            clocks = {row["clock_kind"]: row for row in found}
            now = utcnow()
            due = now + timedelta(hours=48)
            started = dict(track="normal", cycle=1, duration="48h", status="active",
                           started_at=now, warn_at=due, due_at=due, next_at=due, warned_at=None,
                           breached_at=None, stopped_at=None, paused_at=None, paused_seconds=0,
                           confirmed=True)
            updates, inserts, entries = [], [], []
            first = clocks.get("first_contact")
            if first and first["clock_status"] in OPEN:
                updates.append((first["clock_id"], dict(status="stopped", next_at=None,
                                                        stopped_at=now)))
                entries.append(entry(dict(started, complaint_id=cid, kind="first_contact",
                                          run=1, duration="24h"), "met", now, policy,
                                     seconds=0, reason="contact", actor="bench"))
            progress = clocks.get("progress_contact")
            run = progress["clock_run"] + 1 if progress else 1
            if progress:
                updates.append((progress["clock_id"], dict(started, run=run)))
            else:
                inserts.append(dict(started, complaint_id=cid, kind="progress_contact", run=1))
            entries.append(entry(dict(started, complaint_id=cid, kind="progress_contact", run=run),
                                 "started", now, policy, reason="contact", actor="bench"))
            event = dict(complaint_id=cid, at=now, actor="bench", actor_role="operator",
                         action="contact", from_state="received", to_state="received",
                         comment=request.get_data(as_text=True), data={})
            written = plan.separately(conn, plan.WritePlan.of(
                cid, ClockPlan(inserts, updates, entries, due), dict(state="received",
                                                                     updated_at=now),
                version=version, policy_version=policy, event=event), answer=True)
            if written is None:
                abort(409)
            dbapi.commit()
        finally:
            if lock:
                lock.release()
        cursor.close()
    finally:
        dbapi.close()
    return {"ok": True}


_SQLITE_READ = """SELECT c.version, c.state, c.policy_version, d.id, d.kind, d.status, d.due_at
  FROM complaints c LEFT JOIN deadlines d ON d.complaint_id = c.id WHERE c.id = ?"""
_SQLITE_WRITES = (
    "UPDATE complaints SET state = ?, version = version + 1, updated_at = ?, next_due_at = ? "
    "WHERE id = ? AND version = ?",
    "INSERT INTO events (complaint_id, at, actor, actor_role, action, from_state, to_state, "
    "comment, data) VALUES (?, ?, 'bench', 'operator', 'contact', ?, ?, ?, '{}')",
    "UPDATE deadlines SET status = 'stopped', next_at = NULL, stopped_at = ? "
    "WHERE complaint_id = ? AND kind IN ('first_contact') "
    "AND status IN ('active', 'paused', 'fired')",
    f"INSERT INTO deadlines ({_COLUMNS}) VALUES (?, 'progress_contact', 'normal', 1, '48h', "
    "'active', ?, ?, ?, ?, NULL, NULL, NULL, NULL, 0, 1) ON CONFLICT (complaint_id, kind) DO "
    "UPDATE SET track = excluded.track, cycle = excluded.cycle, duration = excluded.duration, "
    "status = excluded.status, started_at = excluded.started_at, warn_at = excluded.warn_at, "
    "due_at = excluded.due_at, next_at = excluded.next_at, warned_at = NULL, breached_at = NULL, "
    "stopped_at = NULL, paused_at = NULL, paused_seconds = 0, confirmed = 1",
    f"INSERT INTO clock_events ({_LOG_COLUMNS}) VALUES (?, ?, 1, ?, ?, ?, 'normal', ?, ?, ?, 1, "
    "?, 'contact', 'bench', '{}')",
)


def _fewest_sqlite(rt, cid: int) -> None:
    dbapi = rt.engine.raw_connection()
    try:
        cursor = dbapi.driver_connection.cursor()
        cursor.execute(tokens._RESOLVE._entry(rt.engine.dialect, ("token_hash",)).sql,
                       (_token_hash(),))
        if cursor.fetchone() is None:
            abort(401)
        with rt.sqlite_writer:
            cursor.execute("BEGIN IMMEDIATE")
            rows = cursor.execute(_SQLITE_READ, (cid,)).fetchall()
            if not rows:
                abort(404)
            version, state, policy = rows[0][:3]
            now = utcnow().replace(tzinfo=None)
            stamp = now.isoformat(" ", "microseconds")
            due = (now + timedelta(hours=48)).isoformat(" ", "microseconds")
            update, event, stop, upsert, history = _SQLITE_WRITES
            if cursor.execute(update, (state, stamp, due, cid, version)).rowcount != 1:
                abort(409)
            cursor.execute(event, (cid, stamp, state, state, request.get_data(as_text=True)))
            cursor.execute(stop, (stamp, cid))
            cursor.execute(upsert, (cid, stamp, due, due, due))
            cursor.executemany(history, [
                (cid, "first_contact", stamp, "met", policy, "24h", due, due, 0),
                (cid, "progress_contact", stamp, "started", policy, "48h", due, due, None)])
            dbapi.commit()
        cursor.close()
    finally:
        dbapi.close()


@floor.post("/bench/floor/fewest/<int:cid>")
def fewest(cid: int):
    rt = runtime_of(current_app)
    engine = rt.engine
    if engine.dialect.name == "sqlite":
        _fewest_sqlite(rt, cid)
        return {"ok": True}
    dbapi = engine.raw_connection()
    try:
        driver = dbapi.driver_connection
        driver.autocommit = True
        try:
            cursor = driver.cursor()
            cursor.execute(tokens._RESOLVE._entry(engine.dialect, ("token_hash",)).sql,
                           {"token_hash": _token_hash()})
            if cursor.fetchone() is None:
                abort(401)
            cursor.execute(_FEWEST_READ, {"id": cid})
            row = cursor.fetchone()
            if row is None:
                abort(404)
            now = utcnow()
            due = now + timedelta(hours=48)
            cursor.execute(_FEWEST_WRITE, dict(
                state=row[1], now=now, due=due, warn=due, id=cid, version=row[0],
                actor="bench", role="operator", comment=request.get_data(as_text=True),
                policy=row[2]))
            if cursor.fetchone()[0] != 1:
                abort(409)
            cursor.close()
        finally:
            driver.autocommit = False
    finally:
        dbapi.close()
    return {"ok": True}


def make_app(app=None):
    """The service's app (built from the environment unless given) with the floor endpoints;
    gunicorn runs `bench.floor_app:make_app()`."""
    app = app or create_app()
    app.register_blueprint(floor)
    return app
