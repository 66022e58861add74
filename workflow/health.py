"""What the administrator's status page reads: timer workers and unconfirmed clocks."""
from __future__ import annotations

from sqlalchemy import func, select

from workflow.schema import deadlines, workers


def worker_rows(conn) -> list:
    """Every timer worker that ever reported, newest heartbeat first."""
    return conn.execute(select(workers).order_by(workers.c.heartbeat_at.desc())).all()


def unconfirmed_clocks(conn) -> int:
    """How many running clocks were computed without a loaded holiday calendar."""
    return conn.execute(select(func.count()).select_from(deadlines).where(
        deadlines.c.status == "active", deadlines.c.confirmed.is_(False))).scalar()
