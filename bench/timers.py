"""Benchmark: durable deadline rows vs one APScheduler date job per deadline.

One run, one SQLite file each, on this machine:
  ours   1,000,000 pending deadlines (bulk-seeded); the cost of a wake-up when nothing
         is due (at 0 and at 1M pending); lag from due time to committed escalation for
         a trickle of deadlines while the real scheduler runs; a burst of 10,000 due in
         the same second (each an escalation through the workflow service); peak RSS.
  naive  APScheduler 3.x date jobs in its SQLAlchemyJobStore, each job escalating one
         complaint through the same service; fewer pending jobs (adding them is one
         commit each; the rate and the time 1M would take are printed).
Run: .venv/bin/python bench/timers.py [--pending 1000000 --burst 10000]
"""
from __future__ import annotations

import argparse
import logging
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import func, select, text

from states.policy import load_policy
from timers import loadgen, notify
from timers.scheduler import build_scheduler
from timers.worker import Worker
from workflow import services
from workflow.admin.directory import ensure_departments
from workflow.domain.model import SYSTEM
from workflow.store import counts, migrate, policies
from workflow.store.db import make_engine
from workflow.store.runtime import Runtime
from workflow.store.schema import events, utcnow


def rss_mb(field: str = "VmRSS") -> float:
    """Current (VmRSS) or peak (VmHWM) resident memory of this process in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def pct(values, q: float) -> float:
    """The q-th percentile (0-100) of values."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def runtime_on(path: Path) -> Runtime:
    """A migrated runtime on a fresh SQLite file."""
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    with engine.begin() as conn:
        ensure_departments(conn)
    return Runtime(engine, load_policy())


class TimedWorker(Worker):
    """The real worker, noting for each fired row the lag from due time to commit."""

    lags: list[float]

    def _fire_batch(self, now, careful):
        result = super()._fire_batch(now, careful)
        committed = utcnow()
        self.lags.extend((committed - row.due_at).total_seconds() for row in self.last_batch)
        return result


def idle_cost(worker: Worker, rounds: int = 2000) -> float:
    """Mean seconds of one wake-up that finds nothing due."""
    started = time.perf_counter()
    for _ in range(rounds):
        worker.sweep()
    return (time.perf_counter() - started) / rounds


def wait_until(predicate, timeout: float) -> None:
    """Poll (gently: the process being measured shares the CPU) until predicate() holds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not predicate():
        time.sleep(0.2)


def escalations(rt) -> int:
    with rt.engine.connect() as conn:
        return conn.execute(select(func.count()).where(events.c.action == "escalate")).scalar()


def bench_ours(rt, pending: int, burst: int, trickle: int) -> dict:
    """Seed, time idle wake-ups, then run the real scheduler through a trickle and a burst."""
    worker = TimedWorker(rt, heartbeat_every=60)
    worker.lags = []
    worker.start()
    idle_empty = idle_cost(worker)
    started = time.perf_counter()
    # Seeded by a child process, so that this process's RSS is the worker's own.
    subprocess.run([sys.executable, __file__, "--seed-only", str(rt.engine.url.database),
                    "--pending", str(pending)], check=True)
    seed_s = time.perf_counter() - started
    idle_full = idle_cost(worker)
    rss_seeded = rss_mb()

    sender = notify.make_sender(None)
    scheduler = build_scheduler(worker.sweep, lambda: notify.deliver(rt, sender))
    scheduler.start()
    try:
        begin = utcnow() + timedelta(seconds=1)
        loadgen.seed(rt.engine, trickle, lambda i: begin + timedelta(seconds=i * 0.05))
        wait_until(lambda: escalations(rt) >= trickle, 60)
        trickle_lags, worker.lags = worker.lags, []
        at = utcnow() + timedelta(seconds=3)
        loadgen.seed(rt.engine, burst, at, chunk=1000)
        wait_until(lambda: escalations(rt) >= trickle + burst, 120)
    finally:
        scheduler.shutdown(wait=True)
        worker.close()
    return dict(seed_s=seed_s, idle_empty=idle_empty, idle_full=idle_full,
                trickle_lags=trickle_lags, burst_lags=worker.lags,
                burst_s=max(worker.lags), rss_seeded=rss_seeded, rss_peak=rss_mb("VmHWM"),
                fired=escalations(rt))


NAIVE_RT: Runtime | None = None


def naive_fire(complaint_id: int) -> None:
    """The naive job: escalate one complaint through the workflow service."""
    services.act(NAIVE_RT, complaint_id, "escalate", SYSTEM, now=utcnow(), reason="deadline reply missed")


def bench_naive(rt, jobs_path: Path, pending: int, burst: int, trickle: int) -> dict:
    """One date job per deadline in APScheduler's SQLAlchemyJobStore."""
    global NAIVE_RT
    NAIVE_RT = rt
    lags: list[float] = []
    store = SQLAlchemyJobStore(url=f"sqlite:///{jobs_path}")
    scheduler = BackgroundScheduler(jobstores={"default": store}, timezone="UTC",
                                    job_defaults={"misfire_grace_time": None, "coalesce": True})

    def listener(event):
        if event.code == 4096 and event.job_id.startswith("due-"):    # EVENT_JOB_EXECUTED
            lags.append((utcnow() - event.scheduled_run_time).total_seconds())

    scheduler.add_listener(listener)
    scheduler.start(paused=True)
    far = utcnow() + timedelta(days=10)
    ids = loadgen.seed(rt.engine, pending + trickle + burst, far)
    started = time.perf_counter()
    for n, cid in enumerate(ids[:pending]):
        scheduler.add_job(naive_fire, "date", run_date=far + timedelta(seconds=n),
                          args=[cid], id=f"pending-{cid}")
    add_rate = pending / (time.perf_counter() - started)
    scheduler.resume()
    begin = utcnow() + timedelta(seconds=2)
    for n, cid in enumerate(ids[pending:pending + trickle]):
        scheduler.add_job(naive_fire, "date", run_date=begin + timedelta(seconds=n * 0.05),
                          args=[cid], id=f"due-t{cid}")
    wait_until(lambda: len(lags) >= trickle, 60)
    trickle_lags, lags[:] = list(lags), []
    at = utcnow() + timedelta(seconds=max(3, burst / 300))   # time to add the jobs first
    for cid in ids[pending + trickle:]:
        scheduler.add_job(naive_fire, "date", run_date=at, args=[cid], id=f"due-b{cid}")
    wait_until(lambda: len(lags) >= burst, 180)
    scheduler.shutdown(wait=True)
    return dict(add_rate=add_rate, trickle_lags=trickle_lags, burst_lags=list(lags),
                burst_s=max(lags) if lags else float("nan"), done=len(lags))


SEED_COMPLAINTS = """
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :count)
INSERT INTO complaints (id, state, version, mobile, customer_name, channel, source, cause, text,
  complainant_count, media, leadership, serious_deficiency, routed_department, department,
  originating_department, escalation_level, major_reasons, repeat_count, reopen_count, cycle,
  pause_count, paused_seconds, policy_version, created_by, created_at, updated_at)
SELECT :first + i, 'handling', 3, printf('139%08d', i), '测试客户', 'hotline', 'direct',
  'coverage', '地下车库没有信号(压测数据)', 1, 0, 0, 0, 'network', 'network',
  'customer_service', 0, '[]', 0, 0, 1, 0, 0, :version, 'bench', :made, :made FROM n
"""
SEED_DEADLINES = """
INSERT INTO deadlines (complaint_id, kind, track, cycle, duration, status, started_at, warn_at,
  due_at, next_at, paused_seconds, confirmed)
SELECT c.id, k.kind, 'normal', 1, '48h', 'active', :made,
  strftime('%Y-%m-%d %H:%M:%f', :far, '+' || (c.id - :first) || ' seconds') || '000',
  strftime('%Y-%m-%d %H:%M:%f', :far, '+' || (c.id - :first + 43200) || ' seconds') || '000',
  strftime('%Y-%m-%d %H:%M:%f', :far, '+' || (c.id - :first) || ' seconds') || '000', 0, 1
FROM complaints AS c, (SELECT 'reply' AS kind UNION ALL SELECT 'first_contact'
  UNION ALL SELECT 'progress_contact' UNION ALL SELECT 'outer_limit') AS k
WHERE c.id > :first
"""


def seed_pending(path: str, pending: int) -> None:
    """Insert `pending` live deadlines (4 clocks on each of pending/4 complaints) far ahead,
    with INSERT ... SELECT (SQLite)."""
    engine = make_engine(f"sqlite:///{path}")
    fmt = "%Y-%m-%d %H:%M:%S.%f"
    now = utcnow().replace(tzinfo=None)
    version = policies.ensure_first(engine, load_policy(), by="bench", now=utcnow())
    with engine.begin() as conn:
        first = conn.exec_driver_sql("SELECT coalesce(max(id), 0) FROM complaints").scalar()
        params = {"count": pending // 4, "first": first, "made": now.strftime(fmt),
                  "version": version,
                  "far": (now + timedelta(days=10)).strftime(fmt)}
        conn.execute(text(SEED_COMPLAINTS), params)
        conn.execute(text(SEED_DEADLINES), params)
        counts.compact(conn)    # a bulk load folds its queue counts itself (one per complaint)
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pending", type=int, default=1_000_000)
    parser.add_argument("--burst", type=int, default=10_000)
    parser.add_argument("--trickle", type=int, default=200)
    parser.add_argument("--naive-pending", type=int, default=5_000)
    parser.add_argument("--naive-burst", type=int, default=1_000)
    parser.add_argument("--seed-only", metavar="SQLITE_PATH", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.seed_only:
        seed_pending(args.seed_only, args.pending)
        return
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="bench-timers-") as tmp:
        rss_start = rss_mb()
        ours = bench_ours(runtime_on(Path(tmp) / "ours.db"), args.pending, args.burst,
                          args.trickle)
        naive = bench_naive(runtime_on(Path(tmp) / "naive.db"), Path(tmp) / "jobs.db",
                            args.naive_pending, args.naive_burst, args.trickle)
    p99, naive_p99 = pct(ours["trickle_lags"], 99), pct(naive["trickle_lags"], 99)
    print(f"ours: {args.pending:,} pending deadlines seeded in {ours['seed_s']:.1f} s; "
          f"{ours['fired']:,} escalations fired")
    print(f"  wake-up with nothing due: {ours['idle_empty'] * 1e6:.0f} µs at 0 pending, "
          f"{ours['idle_full'] * 1e6:.0f} µs at {args.pending:,} pending "
          f"(ratio {ours['idle_full'] / ours['idle_empty']:.2f})")
    print(f"  trickle of {args.trickle} at {args.pending:,} pending: lag to commit "
          f"p50 {pct(ours['trickle_lags'], 50):.3f} s, p99 {p99:.3f} s")
    print(f"  burst of {args.burst:,} due in one second: all committed {ours['burst_s']:.2f} s "
          f"after due ({args.burst / ours['burst_s']:.0f} escalations/s); lag p50 "
          f"{pct(ours['burst_lags'], 50):.2f} s, p99 {pct(ours['burst_lags'], 99):.2f} s")
    print(f"  RSS: {rss_start:.0f} MB at start, {ours['rss_seeded']:.0f} MB with "
          f"{args.pending:,} pending, peak {ours['rss_peak']:.0f} MB")
    print(f"naive (APScheduler date job per deadline, SQLAlchemyJobStore): "
          f"{args.naive_pending:,} pending (adding: {naive['add_rate']:.0f} jobs/s, so "
          f"{args.pending:,} would take {args.pending / naive['add_rate'] / 60:.0f} min)")
    print(f"  trickle of {args.trickle}: lag p50 {pct(naive['trickle_lags'], 50):.3f} s, "
          f"p99 {naive_p99:.3f} s")
    print(f"  burst of {args.naive_burst:,}: {naive['done']:,} ran, last {naive['burst_s']:.2f} s "
          f"after due ({naive['done'] / naive['burst_s']:.0f}/s vs ours "
          f"{args.burst / ours['burst_s']:.0f}/s: ratio "
          f"{(args.burst / ours['burst_s']) / (naive['done'] / naive['burst_s']):.1f}x); "
          f"lag p99 {pct(naive['burst_lags'], 99):.2f} s")
    print(f"result: p99_lag_s={p99:.3f} burst_s={ours['burst_s']:.2f} "
          f"rss_mb={ours['rss_peak']:.0f} naive_p99_lag_s={naive_p99:.3f}")


if __name__ == "__main__":
    main()
