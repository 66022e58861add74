"""Benchmark: how high the action/trivial ratio of bench/api.py can go on this machine.

Runs the service's app plus the floor endpoints of `bench/floor_app.py` under the same
gunicorn (gthread, 2 workers x 1 thread) and the same 32-client load generator as
`bench/api.py`, and measures in alternating rounds:

- `GET /api/v1/ping`, the trivial endpoint (the baseline);
- `POST /api/v1/complaints/{id}/actions/contact`, the real action;
- `POST /bench/floor/statements/{id}`: only the database work of that action, with the
  service's own SQL on the bare driver (no domain code, no SQLAlchemy execution, no JSON
  answer);
- `POST /bench/floor/fewest/{id}`: the same writes in the fewest statements (on
  PostgreSQL three in autocommit, the writes as one data-modifying WITH; on SQLite one
  joined read and the four writes).

A floor's throughput over the trivial endpoint's is the ratio an implementation could
reach at best if everything but that database work cost nothing. If it is below issue 5's
target (0.40), no amount of Python tuning reaches the target on this machine.

Usage: .venv/bin/python bench/api_floor.py [--seconds 12] [--rounds 4] [--only sqlite]
Last line: result: sqlite_action=… sqlite_floor=… sqlite_fewest=… pg_action=… pg_floor=… pg_fewest=…
(each a throughput ratio to the trivial endpoint in the same run).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.api import load, prepare, start_gunicorn, summarize, temp_postgres

APP = "bench.floor_app:make_app()"


def measure(name: str, url: str, args) -> dict[str, float]:
    """Throughput ratios to the trivial endpoint for the action and the floors."""
    token, ids = prepare(url, args.clients)
    proc, port = start_gunicorn(url, 2, 1, app=APP)
    print(f"{name:10} gunicorn gthread 2 workers × 1 thread, {args.clients} clients")
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    body = json.dumps({"comment": "压测回访"}).encode()

    def post(path_for):
        return [(lambda mine: lambda n: ("POST", path_for(mine[n % len(mine)]), body, headers))(m)
                for m in ids]
    kinds = {
        "trivial": [lambda n: ("GET", "/api/v1/ping", None, {})] * args.clients,
        "action": post(lambda cid: f"/api/v1/complaints/{cid}/actions/contact"),
        "floor": post(lambda cid: f"/bench/floor/statements/{cid}"),
    }
    kinds["fewest"] = post(lambda cid: f"/bench/floor/fewest/{cid}")
    try:
        for makers in kinds.values():
            load(port, 0.5, makers)          # warm-up: pools, prepared statements
        runs: dict[str, list] = {kind: [] for kind in kinds}
        for _ in range(args.rounds):
            for kind, makers in kinds.items():
                runs[kind].append(load(port, args.seconds / args.rounds / len(kinds), makers))
    finally:
        proc.terminate()
        proc.wait(10)
    results = {kind: summarize(r) for kind, r in runs.items()}
    for kind, r in results.items():
        if r["failures"]:
            raise SystemExit(f"{name} {kind}: {r['failures']} answers were not 200")
    base = results["trivial"]["rps"]
    ratios = {}
    for kind, r in results.items():
        ratio = r["rps"] / base
        print(f"{name:10} {kind:8} {r['rps']:7.0f} req/s  p50 {r['p50_ms']:6.1f} ms  "
              f"p99 {r['p99_ms']:6.1f} ms  ratio to trivial {ratio:.2f}")
        if kind != "trivial":
            ratios[kind] = ratio
    return ratios


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=12.0,
                        help="measured seconds per database, split over kinds and rounds")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    args = parser.parse_args()
    print(f"{args.clients} clients, {os.cpu_count()} CPUs")
    fields = []
    if args.only != "postgresql":
        with tempfile.TemporaryDirectory() as tmp:
            r = measure("sqlite", f"sqlite:///{tmp}/bench.db", args)
        fields += [f"sqlite_action={r['action']:.2f}", f"sqlite_floor={r['floor']:.2f}",
                   f"sqlite_fewest={r['fewest']:.2f}"]
    if args.only != "sqlite":
        with temp_postgres("bench_floor") as url:
            if url:
                r = measure("postgresql", url, args)
                fields += [f"pg_action={r['action']:.2f}", f"pg_floor={r['floor']:.2f}",
                           f"pg_fewest={r['fewest']:.2f}"]
            else:
                fields += ["pg_action=skipped", "pg_floor=skipped", "pg_fewest=skipped"]
    print("result: " + " ".join(fields))


if __name__ == "__main__":
    main()
