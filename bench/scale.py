"""Benchmark: does the service scale out on PostgreSQL? (on 2 cores: does it not fall)

1. Action throughput through the API with 1, 2 and 4 gunicorn worker processes
   (gthread, 1 thread each, `gunicorn.conf.py` as in production) on one temporary
   PostgreSQL database: 32 keep-alive clients (bench/api.py's load generator) fire
   `contact` on complaints of their own. The three servers run side by side and are
   measured in alternating rounds, so a shared machine's changes of speed weigh on all.
2. The timer burst: N deadlines due at once, fired by 1 and by 2 `complaints worker`
   processes (FOR UPDATE SKIP LOCKED shares the rows), alternating, each case on a fresh
   database. The rate is N / (last fire − first fire) read from the clock history, so
   the workers' start-up is not in it.

The last line is machine-readable:

    result: web2_vs_web1=… web4_vs_web1=… workers2_vs_workers1=… web1_rps=… burst1_per_s=…

Usage: .venv/bin/python bench/scale.py [--seconds 4 --rounds 3 --clients 32]
          [--burst 10000 --burst-rounds 2]
PostgreSQL: BENCH_POSTGRES_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/postgres);
a temporary database is created and dropped for every case.
Target (issue 15): web4_vs_web1 ≥ 0.9 and workers2_vs_workers1 ≥ 0.9.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from api import free_port, load, prepare, summarize, temp_postgres  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from timers import loadgen  # noqa: E402
from workflow.admin.directory import ensure_departments  # noqa: E402
from workflow.store import migrate  # noqa: E402
from workflow.store.db import make_engine  # noqa: E402
from workflow.store.schema import clock_events, deadlines, utcnow, workers  # noqa: E402

COMPLAINTS = str(Path(sys.executable).with_name("complaints"))


def env_for(url: str, **extra) -> dict:
    return {**os.environ, "COMPLAINTS_DATABASE_URL": url, "COMPLAINTS_SECRET_KEY": "scale-" + "k" * 32,
            "COMPLAINTS_API_RATE_LIMIT": "0", "PYTHONPATH": str(ROOT), **extra}


def start_web(url: str, processes: int) -> tuple[subprocess.Popen, int]:
    """gunicorn -c gunicorn.conf.py with `processes` workers × 1 thread on a free port."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"),
         "--log-level", "warning"], cwd=ROOT,
        env=env_for(url, COMPLAINTS_BIND=f"127.0.0.1:{port}",
                    COMPLAINTS_WEB_WORKERS=str(processes), COMPLAINTS_WEB_THREADS="1"),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                conn.close()
                return proc, port
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("gunicorn did not start")


def web_scaling(url: str, args) -> dict[int, dict]:
    token, ids = prepare(url, args.clients)
    body = json.dumps({"comment": "扩展压测回访"}).encode()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def maker(mine):
        return lambda n: ("POST", f"/api/v1/complaints/{mine[n % len(mine)]}/actions/contact",
                          body, headers)

    actions = [maker(m) for m in ids]
    servers = {n: start_web(url, n) for n in (1, 2, 4)}
    runs: dict[int, list] = {n: [] for n in servers}
    try:
        for _, port in servers.values():
            load(port, 1.0, actions)                    # warm-up: pools, prepared statements
        for r in range(args.rounds):
            order = list(servers) if r % 2 == 0 else list(reversed(servers))
            for n in order:
                runs[n].append(load(servers[n][1], args.seconds, actions))
    finally:
        for proc, _ in servers.values():
            proc.terminate()
        for proc, _ in servers.values():
            proc.wait(30)
    out = {}
    for n, per in runs.items():
        s = summarize(per)
        out[n] = s
        rounds = ", ".join(f"{len(r['latencies']) / r['elapsed']:.0f}" for r in per)
        print(f"web {n} process(es) × 1 thread: {s['rps']:7.0f} actions/s  p50 {s['p50_ms']:6.1f} ms"
              f"  p99 {s['p99_ms']:6.1f} ms  ({s['requests']} requests, {s['failures']} not 200; "
              f"rounds {rounds})")
    return out


def burst_case(url: str, count: int, worker_count: int) -> dict:
    """`count` deadlines due now; `worker_count` worker processes fire them."""
    engine = make_engine(url)
    migrate.upgrade(engine)
    with engine.begin() as conn:
        ensure_departments(conn)
    t0 = time.perf_counter()
    loadgen.seed(engine, count, utcnow() - timedelta(minutes=1))
    seeded = time.perf_counter() - t0
    procs = [subprocess.Popen([COMPLAINTS, "worker", "--interval", "0.25", "--batch", "500"],
                              env=env_for(url), stdout=subprocess.DEVNULL,
                              stderr=subprocess.STDOUT) for _ in range(worker_count)]
    began = time.perf_counter()
    try:
        deadline = began + 600
        while time.perf_counter() < deadline:
            with engine.connect() as conn:
                left = conn.execute(select(func.count()).select_from(deadlines).where(
                    deadlines.c.next_at <= utcnow())).scalar()   # escalations start new, later clocks
            if not left:
                break
            time.sleep(0.1)
        wall = time.perf_counter() - began
        with engine.connect() as conn:
            first, last, fired = conn.execute(select(
                func.min(clock_events.c.at), func.max(clock_events.c.at), func.count())
                .where(clock_events.c.event == "missed")).one()
        # a worker reports what it fired after each sweep, and one sweep may fire them
        # all: wait (briefly) for the last reports before asking who fired some
        for _ in range(50):
            with engine.connect() as conn:
                reported = conn.execute(select(func.sum(workers.c.fired_total))).scalar() or 0
                names = conn.execute(select(func.count()).select_from(workers).where(
                    workers.c.fired_total > 0)).scalar()
            if reported >= fired:
                break
            time.sleep(0.1)
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(30)
        engine.dispose()
    span = max((last - first).total_seconds(), 1e-3)
    print(f"burst {count} with {worker_count} worker(s): fired {fired} in {span:.2f} s "
          f"first to last ({fired / span:.0f}/s; {wall:.1f} s from start of the processes; "
          f"{names} worker(s) fired some; seeding {seeded:.1f} s)")
    if fired != count:
        raise RuntimeError(f"{fired} of {count} deadlines fired")
    return {"rate": fired / span, "span": span, "wall": wall, "active": names}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=4.0, help="per round and shape")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--burst", type=int, default=10000)
    parser.add_argument("--burst-rounds", type=int, default=2)
    args = parser.parse_args()
    load_avg = os.getloadavg()
    print(f"{os.cpu_count()} CPUs, load average {load_avg[0]:.2f} at start")
    with temp_postgres("bench_scale") as url:
        if url is None:
            print("result: web2_vs_web1=skipped web4_vs_web1=skipped workers2_vs_workers1=skipped")
            return
        web = web_scaling(url, args)
    rates: dict[int, list[float]] = {1: [], 2: []}
    for r in range(args.burst_rounds):
        for n in ((1, 2) if r % 2 == 0 else (2, 1)):
            with temp_postgres("bench_burst") as url:
                rates[n].append(burst_case(url, args.burst, n)["rate"])
    burst = {n: sum(v) / len(v) for n, v in rates.items()}
    print(f"load average {os.getloadavg()[0]:.2f} at the end")
    web1 = web[1]["rps"]
    print("result: " + " ".join([
        f"web2_vs_web1={web[2]['rps'] / web1:.2f}", f"web4_vs_web1={web[4]['rps'] / web1:.2f}",
        f"workers2_vs_workers1={burst[2] / burst[1]:.2f}", f"web1_rps={web1:.0f}",
        f"web2_rps={web[2]['rps']:.0f}", f"web4_rps={web[4]['rps']:.0f}",
        f"burst1_per_s={burst[1]:.0f}", f"burst2_per_s={burst[2]:.0f}"]))


if __name__ == "__main__":
    main()
