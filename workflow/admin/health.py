"""Health of the timer workers and the clocks: heartbeats, lag, what is due, and the
running clocks computed without a loaded holiday calendar.

The timer worker writes the `workers` rows; `complaints worker --status`, `complaints
calendar status` and the administrator's status page read them here (the web may not
import `timers`).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from states.calendar import SHANGHAI
from workflow.store.deadlines import LIVE
from workflow.store.schema import deadlines as t
from workflow.store.schema import workers

STALE_AFTER = 30.0   # seconds without a heartbeat before a worker counts as down


def worker_rows(conn) -> list:
    """Every timer worker that ever reported, newest heartbeat first."""
    return conn.execute(select(workers).order_by(workers.c.heartbeat_at.desc())).all()


def unconfirmed_clocks(conn) -> int:
    """How many live clocks (running or paused) were computed on the Monday-Friday
    fallback, without confirmed calendar data for a year they span."""
    return conn.execute(select(func.count()).select_from(t).where(
        t.c.confirmed.is_(False), t.c.status.in_(LIVE))).scalar()


def report(conn, now: datetime) -> dict:
    """Workers (with heartbeat age, lag, alive) and the number of live and due deadlines."""
    rows = conn.execute(select(workers).order_by(workers.c.name)).all()
    live = conn.execute(select(func.count()).select_from(t).where(t.c.next_at.is_not(None))).scalar()
    due = conn.execute(select(func.count()).select_from(t).where(
        t.c.next_at.is_not(None), t.c.next_at <= now)).scalar()
    oldest = conn.execute(select(func.min(t.c.next_at)).where(t.c.next_at.is_not(None))).scalar()
    lag = max(0.0, (now - oldest).total_seconds()) if oldest else 0.0
    return {
        "workers": [{"name": r.name, "started_at": r.started_at, "heartbeat_at": r.heartbeat_at,
                     "age_s": (now - r.heartbeat_at).total_seconds(), "lag_s": r.lag_seconds,
                     "fired_total": r.fired_total,
                     "alive": (now - r.heartbeat_at).total_seconds() < STALE_AFTER} for r in rows],
        "live": live, "due": due, "lag_s": lag,
    }


def render(rt, now: datetime) -> str:
    """The report as text."""
    with rt.engine.connect() as conn:
        data = report(conn, now)
    lines = []
    for w in data["workers"]:
        state = "运行中 alive" if w["alive"] else "无心跳 DOWN"
        lines.append(f"{w['name']}: {state}, heartbeat {w['age_s']:.1f}s ago "
                     f"({w['heartbeat_at'].astimezone(SHANGHAI):%Y-%m-%d %H:%M:%S}), "
                     f"lag {w['lag_s']}s, fired {w['fired_total']}")
    if not data["workers"]:
        lines.append("没有计时进程 no timer worker has run against this database")
    lines.append(f"live deadlines: {data['live']}, due now: {data['due']}, "
                 f"lag now: {data['lag_s']:.1f}s")
    return "\n".join(lines)
