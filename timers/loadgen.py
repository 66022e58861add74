"""Synthetic complaints in handling with live deadlines, inserted in bulk.

For the benchmark (a million pending deadlines) and the multi-worker tests (thousands
due at once): rows as the workflow would have written them, without going through
intake one by one. Never used by the running service.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import func, select, text

from states.policy import load_policy
from workflow.store import policies, search
from workflow.store.schema import complaints, deadlines, utcnow

DURATION = timedelta(hours=48)


def _complaint(cid: int, now: datetime, version: int, dialect_name: str) -> dict:
    name, text = "测试客户", "地下车库没有信号（压测数据）"
    return dict(id=cid, state="handling", version=3, mobile=f"139{cid % 100000000:08d}",
                customer_name=name, channel="hotline", source="direct", cause="coverage",
                text=text, complainant_count=1, media=False,
                leadership=False, serious_deficiency=False, routed_department="network",
                department="network", originating_department="customer_service",
                escalation_level=0, major_reasons=[], repeat_count=0, reopen_count=0, cycle=1,
                pause_count=0, paused_seconds=0, policy_version=version,
                created_by="loadgen", created_at=now, updated_at=now,
                **search.stored(dialect_name, text, name))


def _deadline(cid: int, kind: str, due: datetime, warned: bool,
              span: timedelta = DURATION) -> dict:
    started = due - span
    warn = started + span * 0.75
    hours = int(span.total_seconds() // 3600)
    return dict(complaint_id=cid, kind=kind, track="normal", cycle=1, duration=f"{hours}h",
                status="active", started_at=started, warn_at=warn, due_at=due,
                next_at=due if warned else warn, warned_at=warn if warned else None,
                paused_seconds=0, confirmed=True, run=1)


def seed(engine, count: int, due: Callable[[int], datetime] | datetime, *,
         kinds: tuple[str, ...] = ("reply",), warned: bool = True, chunk: int = 5000,
         spans: dict[str, timedelta] | None = None) -> range:
    """Insert `count` complaints in handling, each with live `kinds` clocks due at `due(i)`
    (already warned unless `warned=False`), each started `spans[kind]` (default 48 h,
    in whole hours) before; return their ids."""
    spans = spans or {}
    due_of = due if callable(due) else (lambda _i: due)
    version = policies.ensure_first(engine, load_policy(), by="loadgen", now=utcnow())
    with engine.begin() as conn:
        first = (conn.execute(select(func.max(complaints.c.id))).scalar() or 0) + 1
    ids = range(first, first + count)
    for offset in range(0, count, chunk):
        part = ids[offset:offset + chunk]
        with engine.begin() as conn:
            made = due_of(part[0] - first) - DURATION
            conn.execute(complaints.insert(), [_complaint(cid, made, version, conn.dialect.name)
                                                for cid in part])
            conn.execute(deadlines.insert(), [
                _deadline(cid, kind, due_of(cid - first), warned, spans.get(kind, DURATION))
                for cid in part for kind in kinds])
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("SELECT setval(pg_get_serial_sequence('complaints', 'id'), "
                              "(SELECT max(id) FROM complaints))"))
    return ids
