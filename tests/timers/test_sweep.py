"""The sweep's cost follows the due rows, not the pending ones; the background service."""
from __future__ import annotations

import time
from datetime import timedelta

from sqlalchemy import text

from states.calendar import SHANGHAI
from tests.conftest import NETWORK, OPERATOR, complaint_values, make_runtime
from tests.timers.helpers import FakeClock, clock
from timers import loadgen, service
from timers.scheduler import FirstWorkdayTrigger, build_scheduler
from workflow import services
from workflow.store.deadlines import claim_query
from workflow.store.schema import utcnow


def _plan(rt, now) -> str:
    dialect = rt.engine.dialect
    sql = str(claim_query(dialect.name, 500).compile(dialect=dialect))
    with rt.engine.connect() as conn:
        if dialect.name == "sqlite":
            rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql,
                                        (now.strftime("%Y-%m-%d %H:%M:%S.%f"), 500, 0)).all()
            return "\n".join(row[-1] for row in rows)
        conn.exec_driver_sql("ANALYZE deadlines")
        rows = conn.exec_driver_sql("EXPLAIN " + sql, {"now": now, "param_1": 500}).all()
        return "\n".join(row[0] for row in rows)


def test_the_claim_query_reads_the_partial_index_on_next_at_not_the_table(rt, now, capsys):
    loadgen.seed(rt.engine, 3000, lambda i: now + timedelta(days=1, seconds=i),
                 kinds=("reply", "outer_limit"))
    plan = _plan(rt, now)
    with capsys.disabled():
        print(f"\n{rt.engine.dialect.name} claim plan:\n{plan}")
    assert "ix_deadlines_next_at" in plan
    assert "SCAN deadlines\n" not in plan + "\n" and "Seq Scan" not in plan
    assert "TEMP B-TREE" not in plan and "Sort" not in plan     # the index gives the order


def test_the_background_service_fires_due_deadlines_and_stops_cleanly(rt):
    start = utcnow() - timedelta(hours=49)
    cid = services.intake(rt, OPERATOR, complaint_values(), now=start).complaint.id
    services.act(rt, cid, "assign", OPERATOR, now=start, department="network")
    services.act(rt, cid, "accept", NETWORK, now=start)
    handle = service.start_background(rt, interval=0.05)
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not _escalated(rt, cid):
            time.sleep(0.02)
    finally:
        handle.stop()
    assert _escalated(rt, cid) == 1
    assert not handle.scheduler.running


def _escalated(rt, cid) -> int:
    with rt.engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM events WHERE complaint_id = :c "
                                 "AND action = 'escalate'"), {"c": cid}).scalar()


def test_every_scheduler_job_runs_however_late_once_and_never_overlapping(rt):
    scheduler = build_scheduler(lambda: None, lambda: None, compact=lambda: 0,
                                monthly=lambda: False, calendar=lambda: rt.calendar,
                                compact_every=7)
    scheduler.start(paused=True)
    try:
        jobs = {job.id: job for job in scheduler.get_jobs()}
    finally:
        scheduler.shutdown(wait=False)
    assert set(jobs) == {"deadlines", "outbox", "queue_counts", "monthly_scorecard"}
    for job in jobs.values():
        assert (job.misfire_grace_time, job.coalesce, job.max_instances) == (None, True, 1)
    assert jobs["queue_counts"].trigger.interval == timedelta(seconds=7)
    assert isinstance(jobs["monthly_scorecard"].trigger, FirstWorkdayTrigger)


def test_a_monthly_run_that_could_not_check_is_tried_again_soon_not_next_month(rt):
    outcomes = iter([None, True])          # None: skipped while the database was away
    scheduler = build_scheduler(lambda: None, lambda: None, monthly=lambda: next(outcomes),
                                calendar=lambda: rt.calendar)
    scheduler.start(paused=True)
    try:
        scheduler.get_job("monthly_scorecard").func()
        retry = scheduler.get_job("monthly_scorecard-retry")
        assert retry is not None and retry.misfire_grace_time is None
        assert retry.trigger.run_date - utcnow() > timedelta(seconds=50)
        retry.func()                       # checked this time: not scheduled again
        assert scheduler.get_job("monthly_scorecard-retry").trigger.run_date == retry.trigger.run_date
    finally:
        scheduler.shutdown(wait=False)


def test_a_deadline_that_fails_to_fire_does_not_block_the_others_and_is_retried(
        rt, now, worker_on, monkeypatch):
    from tests.timers.helpers import FakeClock, clock, history, in_handling, sweep_at
    from timers import worker as worker_module
    ids = [in_handling(rt, now, mobile=f"1370000000{i}") for i in range(3)]
    broken = clock(rt, ids[0], "reply").id
    real_fire = worker_module.fire

    def fire_failing_for_one_row(uow, row, when, notes):
        if row.id == broken:
            raise RuntimeError("injected fault")
        return real_fire(uow, row, when, notes)

    monkeypatch.setattr(worker_module, "fire", fire_failing_for_one_row)
    worker = worker_on(rt, FakeClock(now), batch=2)
    due = now + timedelta(hours=48)
    sweep_at(worker, due)
    assert [len(history(rt, cid, "escalate")) for cid in ids] == [0, 1, 1]
    assert clock(rt, ids[0], "reply").next_at == due + timedelta(seconds=5)
    monkeypatch.setattr(worker_module, "fire", real_fire)
    sweep_at(worker, due + timedelta(seconds=5))
    assert [len(history(rt, cid, "escalate")) for cid in ids] == [1, 1, 1]


def test_on_postgresql_a_complaint_being_acted_on_is_skipped_by_the_claim_not_waited_for(
        pg_database_url, now, worker_on):
    rt = make_runtime(pg_database_url)
    try:
        busy = services.intake(rt, OPERATOR, complaint_values(mobile="13800000001"), now=now)
        free = services.intake(rt, OPERATOR, complaint_values(mobile="13800000002"), now=now)
        worker = worker_on(rt, FakeClock(now + timedelta(hours=1, minutes=45)))  # assign warns
        with rt.engine.connect() as action:           # an action in flight holds the complaint
            tx = action.begin()
            action.execute(text("UPDATE complaints SET version = version WHERE id = :id"),
                           {"id": busy.complaint.id})
            worker.sweep()                              # must not block on that lock
            tx.rollback()
        assert clock(rt, free.complaint.id, "assign").warned_at is not None
        assert clock(rt, busy.complaint.id, "assign").warned_at is None
        worker.sweep()                                  # the lock is gone: now it is warned
        assert clock(rt, busy.complaint.id, "assign").warned_at is not None
    finally:
        rt.engine.dispose()


def test_a_clock_an_earlier_row_of_the_batch_restarted_is_acted_on_as_it_now_stands(
        rt, now, worker_on):
    from tests.timers.helpers import history, in_handling, notes, sweep_at
    cid = in_handling(rt, now)
    services.act(rt, cid, "contact", NETWORK, now=now + timedelta(hours=1), comment="已联系客户")
    worker = worker_on(rt, FakeClock(now))
    sweep_at(worker, now + timedelta(hours=37))       # both warned: reply due 48 h, progress 49 h
    due = now + timedelta(hours=49)
    sweep_at(worker, due)    # one batch: reply escalates, which restarts progress on the major track
    assert len(history(rt, cid, "escalate")) == 1
    progress = clock(rt, cid, "progress_contact")
    assert (progress.track, progress.started_at, progress.status) == ("major", due, "active")
    assert notes(rt, cid, "deadline_due") == []       # the stale claimed row did nothing
    assert worker.counts["skipped"] == 1


class _Calendar:
    """Monday to Friday, but the first `off` days of every month are holidays."""

    def __init__(self, off: int):
        self.off = off

    def is_workday(self, day):
        return day.weekday() < 5 and day.day > self.off, True


def test_a_calendar_loaded_again_moves_the_monthly_jobs_next_date():
    from timers.scheduler import reschedule_monthly
    calendar = [_Calendar(0)]
    scheduler = build_scheduler(lambda: None, lambda: None, monthly=lambda: False,
                                calendar=lambda: calendar[0])
    scheduler.start(paused=True)
    try:
        reschedule_monthly(scheduler, lambda: calendar[0])
        before = scheduler.get_job("monthly_scorecard").next_run_time
        calendar[0] = _Calendar(3)                # an administrator loads new holidays
        reschedule_monthly(scheduler, lambda: calendar[0])
        after = scheduler.get_job("monthly_scorecard").next_run_time
    finally:
        scheduler.shutdown(wait=False)
    assert after != before and after.astimezone(SHANGHAI).day > 3
    assert before.astimezone(SHANGHAI).day <= 3 or before - utcnow() < timedelta(seconds=5)
