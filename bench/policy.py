"""Policy preview and migration over many open complaints: how long the preview of a
new version takes over 100,000 open complaints with their running clocks, and how many
complaints a second the migration moves onto it, on SQLite and PostgreSQL.

Each database gets `--rows` complaints in handling, each with four running clocks
(reply, first contact, progress contact, outer limit; `timers.loadgen`). The candidate
version shortens the normal reply clock, so every complaint's reply clock moves. The
preview (`workflow.admin.policy.preview`) is timed against a floor measured in the same
run: reading the same rows with the same query and doing nothing with them
(`preview_vs_read`). The migration (`workflow.admin.policy.migrate`, one transaction per
complaint, each moved clock with its history entry) runs on `--migrate` complaints.
Target: preview under 10 s on each database.

    .venv/bin/python bench/policy.py [--rows 100000] [--migrate 2000] [--only sqlite]

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
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from states.policy import load_policy, parse_policy_text
from timers import loadgen
from workflow.admin import moves
from workflow.admin import policy as admin
from workflow.admin.directory import ensure_departments
from workflow.store import migrate
from workflow.store.db import make_engine
from workflow.store.runtime import Runtime
from workflow.store.schema import utcnow

PG_ADMIN = os.environ.get("BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
KINDS = ("reply", "first_contact", "progress_contact", "outer_limit")


def candidate():
    shipped = load_policy()
    return parse_policy_text(shipped.text.replace('reply = "48h"', 'reply = "24h"', 1),
                             "candidate.toml")


def run(url: str, rows: int, to_migrate: int) -> dict:
    engine = make_engine(url)
    migrate.upgrade(engine)
    rt = Runtime(engine, load_policy())
    with rt.uow() as uow:
        ensure_departments(uow.conn)
        uow.commit()
    now = utcnow()
    seeded = time.perf_counter()
    # Each clock as the shipped policy starts it (so only the reply clock moves), due
    # within the next days.
    spans = {k: timedelta(seconds=rt.policy.deadline("normal", k).seconds) for k in KINDS}
    loadgen.seed(engine, rows, lambda i: now + timedelta(hours=20, seconds=i), kinds=KINDS,
                 warned=False, chunk=10000, spans=spans)
    seeded = time.perf_counter() - seeded
    new = candidate()

    read = time.perf_counter()
    with rt.uow(write=False) as uow:
        looked = sum(1 for _ in moves.running(uow.conn))
    read = time.perf_counter() - read

    started = time.perf_counter()
    plan = admin.preview(rt, new, now=now)
    preview = time.perf_counter() - started
    assert plan.clocks_looked_at == looked == rows * len(KINDS), (plan.clocks_looked_at, looked)
    assert len(plan.moves) == rows and plan.by_clock() == {"reply": rows}

    stored = admin.store(rt, new.text, source="candidate.toml", by="bench", now=now)
    ids = list(range(1, to_migrate + 1))
    started = time.perf_counter()
    done = admin.migrate(rt, stored.number, by="bench", now=now, complaint_ids=ids)
    migrating = time.perf_counter() - started
    assert done.complaints == to_migrate and done.clocks == to_migrate
    engine.dispose()
    return dict(seed_s=seeded, read_s=read, preview_s=preview, migrate_s=migrating,
                apply_per_s=to_migrate / migrating)


def pg_database():
    admin_engine = create_engine(make_url(PG_ADMIN), isolation_level="AUTOCOMMIT")
    name = f"bench_policy_{uuid.uuid4().hex[:8]}"
    with admin_engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    return admin_engine, name, make_url(PG_ADMIN).set(database=name).render_as_string(
        hide_password=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000, help="open complaints")
    parser.add_argument("--migrate", type=int, default=2000, help="complaints migrated")
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    args = parser.parse_args()
    results = {}
    if args.only != "postgresql":
        with tempfile.TemporaryDirectory() as tmp:
            results["sqlite"] = run(f"sqlite:///{tmp}/policy.db", args.rows, args.migrate)
    if args.only != "sqlite":
        try:
            admin_engine, name, url = pg_database()
        except OperationalError as exc:
            print(f"PostgreSQL not reachable at {PG_ADMIN}: {exc.__class__.__name__}; skipped")
        else:
            try:
                results["postgresql"] = run(url, args.rows, args.migrate)
            finally:
                with admin_engine.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                admin_engine.dispose()
    print(f"{'database':12s} {'seed s':>8s} {'read s':>8s} {'preview s':>10s} "
          f"{'preview/read':>13s} {'migrate/s':>10s}")
    for db, r in results.items():
        print(f"{db:12s} {r['seed_s']:8.1f} {r['read_s']:8.2f} {r['preview_s']:10.2f} "
              f"{r['preview_s'] / r['read_s']:13.2f} {r['apply_per_s']:10.0f}")
    parts = [f"rows={args.rows}"]
    if "sqlite" in results:
        r = results["sqlite"]
        parts += [f"preview_s={r['preview_s']:.2f}",
                  f"preview_vs_read={r['preview_s'] / r['read_s']:.2f}",
                  f"apply_per_s={r['apply_per_s']:.0f}"]
    if "postgresql" in results:
        r = results["postgresql"]
        parts += [f"pg_preview_s={r['preview_s']:.2f}",
                  f"pg_preview_vs_read={r['preview_s'] / r['read_s']:.2f}",
                  f"pg_apply_per_s={r['apply_per_s']:.0f}"]
    print("result: " + " ".join(parts))


if __name__ == "__main__":
    main()
