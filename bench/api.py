"""Benchmark: the API's action endpoint against a trivial endpoint, under gunicorn.

For SQLite (a file) and then PostgreSQL (a temporary database, dropped afterwards; skipped
with a note when unreachable): start gunicorn (gthread) on a free loopback port, then a
load generator of 32 threads, each with its own keep-alive http.client connection, hits
GET /api/v1/ping (the baseline) and POST /api/v1/complaints/{id}/actions/contact on
complaints of its own (no conflicts between clients), in alternating rounds (five by
default, so a shared machine slowing down part way weighs on both alike).
Prints throughput and p50/p99 latency; the last line is machine-readable:

    result: action_vs_trivial=… p99_ms=… action_rps=… pg_action_vs_trivial=… pg_p99_ms=…

Usage: .venv/bin/python bench/api.py [--seconds 10] [--clients 32] [--only sqlite]
         [--sqlite-server 2x1] [--pg-server 2x1]
Both databases run gunicorn with 2 workers × 1 thread by default (one worker per core of
the 2-core machine, the best of the shapes measured; SQLite writers of all processes
queue on workflow.store.locks).
Targets (issue 5): action throughput ≥ 40 % of the trivial endpoint's, action p99 < 100 ms.
"""
from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from states.policy import load_policy  # noqa: E402
from workflow import services  # noqa: E402
from workflow.admin import tokens  # noqa: E402
from workflow.admin.directory import actor_for, create_user, ensure_departments  # noqa: E402
from workflow.store import migrate  # noqa: E402
from workflow.store.db import make_engine  # noqa: E402
from workflow.store.runtime import Runtime  # noqa: E402
from workflow.store.schema import utcnow  # noqa: E402

PG_ADMIN = os.environ.get("BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
PER_CLIENT = 4


def prepare(url: str, clients: int) -> tuple[str, list[list[int]]]:
    """Migrate, add a user with a token and complaints for every client; return (token, ids)."""
    engine = make_engine(url)
    migrate.upgrade(engine)
    rt = Runtime(engine, load_policy())
    now = utcnow()
    with rt.uow() as uow:
        ensure_departments(uow.conn)
        create_user(uow.conn, "bench", "压测", "operator", "customer_service", None, now=now)
        token = tokens.create(uow.conn, "bench", "bench", now=now)[1]
        actor = actor_for(uow.conn, "bench")
        uow.commit()
    ids = [[services.intake(rt, actor, {
        "mobile": f"139{c:04d}{k:04d}", "channel": "hotline", "cause": "coverage",
        "text": "压测:小区信号差"}, now=now).complaint.id for k in range(PER_CLIENT)]
        for c in range(clients)]
    engine.dispose()
    return token, ids


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(url: str, workers: int, threads: int,
                   app: str = "web.wsgi:app") -> tuple[subprocess.Popen, int]:
    """gunicorn -k gthread on a free loopback port; returns once /api/v1/ping answers."""
    port = free_port()
    env = dict(os.environ, COMPLAINTS_DATABASE_URL=url, COMPLAINTS_SECRET_KEY="bench-" + "k" * 32,
               COMPLAINTS_API_RATE_LIMIT="1000000/1")
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-k", "gthread", "-w", str(workers), "--threads",
         str(threads), "-b", f"127.0.0.1:{port}", "--log-level", "warning", app],
        cwd=ROOT, env=env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/api/v1/ping")
            if conn.getresponse().status == 200:
                conn.close()
                return proc, port
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("gunicorn did not start")


def load(port: int, seconds: float, requests_for) -> dict:
    """Run one client thread per entry of `requests_for` (a list of request makers)."""
    latencies: list[list[float]] = [[] for _ in requests_for]
    failures = [0] * len(requests_for)
    start = threading.Barrier(len(requests_for) + 1)

    def client(i: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        make = requests_for[i]
        start.wait()
        stop = time.perf_counter() + seconds
        n = 0
        while True:
            t0 = time.perf_counter()
            if t0 >= stop:
                break
            method, path, body, headers = make(n)
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            latencies[i].append(time.perf_counter() - t0)
            if response.status != 200:
                failures[i] += 1
            n += 1
        conn.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(len(requests_for))]
    for t in threads:
        t.start()
    start.wait()
    began = time.perf_counter()
    for t in threads:
        t.join()
    return {"latencies": [x for per in latencies for x in per], "failures": sum(failures),
            "elapsed": time.perf_counter() - began}


def summarize(runs: list[dict]) -> dict:
    """Throughput and latency percentiles over several `load` runs of one kind."""
    flat = sorted(x for r in runs for x in r["latencies"])
    elapsed = sum(r["elapsed"] for r in runs)
    return {"requests": len(flat), "rps": len(flat) / elapsed,
            "failures": sum(r["failures"] for r in runs),
            "p50_ms": 1000 * statistics.median(flat),
            "p99_ms": 1000 * flat[min(len(flat) - 1, int(len(flat) * 0.99))]}


def run_case(name: str, url: str, args, workers: int, threads: int) -> dict:
    """Prepare the database, start gunicorn, measure ping then the action endpoint."""
    token, ids = prepare(url, args.clients)
    proc, port = start_gunicorn(url, workers, threads)
    print(f"{name:10} gunicorn gthread {workers} worker(s) × {threads} threads")
    auth = {"Authorization": f"Bearer {token}"}
    try:
        ping = [lambda n: ("GET", "/api/v1/ping", None, {})] * args.clients

        def action_maker(mine):
            body = json.dumps({"comment": "压测回访"}).encode()
            headers = {**auth, "Content-Type": "application/json"}
            return lambda n: ("POST", f"/api/v1/complaints/{mine[n % len(mine)]}/actions/contact",
                              body, headers)
        actions = [action_maker(m) for m in ids]
        load(port, 1.0, actions)           # warm-up: pools, caches, prepared statements
        # Alternate short rounds so that a machine slowing down or speeding up part way
        # (shared virtual machines do) weighs on both endpoints alike.
        runs: dict[str, list] = {"trivial": [], "action": []}
        for _ in range(args.rounds):
            runs["trivial"].append(load(port, args.seconds / args.rounds, ping))
            runs["action"].append(load(port, args.seconds / args.rounds, actions))
        trivial, action = summarize(runs["trivial"]), summarize(runs["action"])
    finally:
        proc.terminate()
        proc.wait(10)
    ratio = action["rps"] / trivial["rps"]
    for label, r in (("trivial GET /ping", trivial), ("POST …/actions/contact", action)):
        print(f"{name:10} {label:24} {r['rps']:8.0f} req/s  p50 {r['p50_ms']:6.1f} ms  "
              f"p99 {r['p99_ms']:6.1f} ms  ({r['requests']} requests, {r['failures']} not 200)")
    print(f"{name:10} action/trivial throughput = {ratio:.2f} (target ≥ 0.40); "
          f"action p99 {action['p99_ms']:.1f} ms (target < 100)")
    return {"ratio": ratio, "p99": action["p99_ms"], "rps": action["rps"],
            "failures": action["failures"]}


@contextlib.contextmanager
def temp_postgres(prefix: str):
    """Yield the URL of a new PostgreSQL database, dropped afterwards; None (with a note)
    when the server is unreachable."""
    admin_url = make_url(PG_ADMIN)
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    try:
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        print(f"PostgreSQL skipped: {PG_ADMIN} unreachable ({exc.__class__.__name__})")
        yield None
        return
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def postgres_case(args) -> dict | None:
    """The same on a temporary PostgreSQL database, or None (with a note) if unreachable."""
    with temp_postgres("bench_api") as url:
        return url and run_case("postgresql", url, args, *server_shape(args.pg_server))


def server_shape(spec: str) -> tuple[int, int]:
    """"2x8" -> (2 workers, 8 threads)."""
    workers, _, threads = spec.lower().partition("x")
    return int(workers), int(threads)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=5,
                        help="alternating trivial/action rounds the seconds are split into")
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    parser.add_argument("--sqlite-server", default="2x1", metavar="WORKERSxTHREADS",
                        help="gunicorn workers and threads for SQLite (default 2x1)")
    parser.add_argument("--pg-server", default="2x1", metavar="WORKERSxTHREADS",
                        help="gunicorn workers and threads for PostgreSQL (default 2x1)")
    args = parser.parse_args()
    print(f"{args.clients} clients, {args.seconds:g} s per case, {os.cpu_count()} CPUs")
    sqlite = pg = None
    if args.only != "postgresql":
        with tempfile.TemporaryDirectory() as tmp:
            sqlite = run_case("sqlite", f"sqlite:///{tmp}/bench.db", args,
                              *server_shape(args.sqlite_server))
    if args.only != "sqlite":
        pg = postgres_case(args)
    fields = []
    if sqlite:
        fields += [f"action_vs_trivial={sqlite['ratio']:.2f}", f"p99_ms={sqlite['p99']:.0f}",
                   f"action_rps={sqlite['rps']:.0f}"]
    if pg:
        fields += [f"pg_action_vs_trivial={pg['ratio']:.2f}", f"pg_p99_ms={pg['p99']:.0f}",
                   f"pg_action_rps={pg['rps']:.0f}"]
    else:
        fields += ["pg_action_vs_trivial=skipped", "pg_p99_ms=skipped"]
    print("result: " + " ".join(fields))


if __name__ == "__main__":
    main()
