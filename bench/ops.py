"""What the operations layer costs per request: the API action and ping with and without it.

In one process, on a fresh SQLite file, through Flask's test client (no network, no
gunicorn; CPU time of this process: the figure is the CPU the layer adds, not the machine's
load): the same app
answers `POST …/actions/contact` and `GET /api/v1/ping`, in alternating rounds, once as
built (request id, request metrics, retry bookkeeping, action counters, pool gauges)
and once with the ops middleware and its before-request hook taken out. Metrics run in
prometheus_client's multiprocess mode, as under gunicorn (a temporary
PROMETHEUS_MULTIPROC_DIR, set before prometheus_client is imported). The action counters
and pool gauges stay in both variants (they live in the services and the runtime);
`--no-metrics-env` runs them in single-process mode for comparison.

Run: `.venv/bin/python bench/ops.py` (~30 s; `--actions 2000 --rounds 5`).
Ends with `result: ops_us_per_request=… action_us=… ping_us=… action_overhead=…`.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def build(path: Path, complaints: int):
    """A migrated file with one operator, a token and `complaints` complaints."""
    from states.policy import load_policy
    from web import create_app
    from workflow import services
    from workflow.admin import tokens
    from workflow.admin.directory import actor_for, create_user, ensure_departments
    from workflow.store import migrate
    from workflow.store.db import make_engine
    from workflow.store.runtime import Runtime
    from workflow.store.schema import utcnow
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    rt = Runtime(engine, load_policy())
    now = utcnow()
    with rt.uow() as uow:
        ensure_departments(uow.conn)
        create_user(uow.conn, "bench", "压测", "operator", "customer_service", None, now=now)
        token = tokens.create(uow.conn, "bench", "bench", now=now)[1]
        actor = actor_for(uow.conn, "bench")
        uow.commit()
    ids = [services.intake(rt, actor, {"mobile": f"139{k:08d}", "channel": "hotline",
                                       "cause": "coverage", "text": "压测:小区信号差"},
                           now=now).complaint.id for k in range(complaints)]
    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "API_RATE_LIMIT": "0"}, runtime=rt)
    return app, token, ids


def without_ops(app):
    """Take the ops middleware and its before-request hook out of `app` (restorable)."""
    from web.ops import _note_endpoint
    wrapped = app.wsgi_app
    hooks = app.before_request_funcs[None]
    app.wsgi_app = wrapped.app
    hooks.remove(_note_endpoint)

    def restore():
        app.wsgi_app = wrapped
        hooks.insert(0, _note_endpoint)
    return restore


def timed(client, requests: list) -> float:
    """CPU µs per request for `requests` [(method, path, kwargs)], each answered 200 (CPU
    time of this process, so that other jobs on a shared machine weigh less)."""
    start = time.process_time()
    for method, path, kwargs in requests:
        response = client.open(path, method=method, **kwargs)
        if response.status_code != 200:
            raise SystemExit(f"{method} {path}: {response.status_code} {response.data[:200]}")
    return (time.process_time() - start) / len(requests) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--actions", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--complaints", type=int, default=200)
    parser.add_argument("--no-metrics-env", action="store_true",
                        help="prometheus_client in single-process mode")
    args = parser.parse_args()
    if not args.no_metrics_env:     # before anything imports prometheus_client, as gunicorn.conf.py
        os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="bench-ops-"))
    from web.ops import OpsMiddleware
    with tempfile.TemporaryDirectory() as tmp:
        app, token, ids = build(Path(tmp) / "bench.db", args.complaints)
        assert isinstance(app.wsgi_app, OpsMiddleware)
        client = app.test_client()
        auth = {"Authorization": f"Bearer {token}"}
        n = 0

        def actions():
            nonlocal n
            out = []
            for _ in range(args.actions):
                n += 1
                out.append(("POST", f"/api/v1/complaints/{ids[n % len(ids)]}/actions/contact",
                            {"json": {"comment": f"回访{n}"}, "headers": auth}))
            return out

        pings = [("GET", "/api/v1/ping", {})] * args.actions
        best = {k: float("inf") for k in ("action", "action_bare", "ping", "ping_bare")}
        timed(client, actions()[:200])                       # warm up
        for _ in range(args.rounds):
            best["action"] = min(best["action"], timed(client, actions()))
            best["ping"] = min(best["ping"], timed(client, pings))
            restore = without_ops(app)
            best["action_bare"] = min(best["action_bare"], timed(client, actions()))
            best["ping_bare"] = min(best["ping_bare"], timed(client, pings))
            restore()
    mode = "single-process" if args.no_metrics_env else "multiprocess"
    print(f"prometheus_client {mode} mode; best of {args.rounds} rounds of {args.actions}")
    for key, value in best.items():
        print(f"  {key:12} {value:8.1f} µs per request")
    ops_us = best["ping"] - best["ping_bare"]
    print(f"result: ops_us_per_request={ops_us:.1f} action_us={best['action']:.0f} "
          f"action_bare_us={best['action_bare']:.0f} ping_us={best['ping']:.0f} "
          f"ping_bare_us={best['ping_bare']:.0f} "
          f"action_overhead={best['action'] / best['action_bare']:.3f}")


if __name__ == "__main__":
    main()
