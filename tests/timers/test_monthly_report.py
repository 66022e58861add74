"""The monthly scorecard mail: on the first working day of a month (its own trigger, not
a day check in the sweep) the timer worker queues the previous month's scorecard (XLSX
attached) to market operations, once even with two workers running the job at the same
moment, and the sender mails it with the file."""
from __future__ import annotations

import threading
from datetime import date, datetime

import pytest
from sqlalchemy import select

from states.calendar import SHANGHAI
from tests.conftest import OPERATOR, complaint_values
from tests.timers.helpers import FakeClock, worker_on
from tests.timers.test_outbox import smtp_server  # noqa: F401  (the fixture)
from timers import notify
from timers.scheduler import FirstWorkdayTrigger
from workflow import services
from workflow.services import reports as svc
from workflow.store.schema import outbox


def local(month, day, hour=9):
    return datetime(2026, month, day, hour, tzinfo=SHANGHAI)


def reports_queued(rt):
    with rt.engine.connect() as conn:
        return conn.execute(select(outbox).where(outbox.c.kind == svc.MONTHLY_KIND)).all()


def test_the_first_working_day_follows_the_calendar(rt):
    assert svc.first_workday(rt.calendar, 2026, 10) == local(10, 8).date()   # after National Day
    assert svc.first_workday(rt.calendar, 2026, 11) == local(11, 2).date()   # 1 Nov is a Sunday


def test_the_monthly_trigger_fires_on_each_months_first_working_day_from_the_injected_now(rt):
    trigger = FirstWorkdayTrigger(lambda: rt.calendar)
    assert trigger.get_next_fire_time(None, local(9, 30, 18)) == local(10, 8, 0)
    assert trigger.get_next_fire_time(local(10, 8, 0), local(10, 8, 0)) == local(11, 2, 0)
    assert trigger.get_next_fire_time(local(11, 2, 0), local(11, 3, 9)) == local(12, 1, 0)
    # Started later on the day itself: at once; later in the month: the next month (the
    # start-up run catches this month up).
    assert trigger.get_next_fire_time(None, local(10, 8, 9)) == local(10, 8, 9)
    assert trigger.get_next_fire_time(None, local(10, 9, 9)) == local(11, 2, 0)
    # December to January, by the calendar given (here one where 1-3 January are off).
    new_year = FirstWorkdayTrigger(lambda: _Calendar({date(2027, 1, 1)}))
    assert new_year.get_next_fire_time(local(12, 1, 0), local(12, 1, 0)) == datetime(
        2027, 1, 4, tzinfo=SHANGHAI)


class _Calendar:
    """Monday to Friday but the `holidays`."""

    def __init__(self, holidays):
        self.holidays = holidays

    def is_workday(self, day):
        return day.weekday() < 5 and day not in self.holidays, True


@pytest.mark.postgres
def test_two_workers_on_postgresql_queue_the_monthly_scorecard_once(pg_database_url, smtp_server):  # noqa: F811
    from tests.conftest import make_runtime
    rt = make_runtime(pg_database_url)
    try:
        services.intake(rt, OPERATOR, complaint_values(), now=local(9, 15))
        clocks = [FakeClock(local(10, 7, 10)), FakeClock(local(10, 7, 10))]
        workers = [worker_on(rt, clock, name=f"w{i}") for i, clock in enumerate(clocks)]
        try:
            for w in workers:
                w.sweep()                             # both jobs run, as the scheduler runs them
                w.queue_monthly_report()              # the start-up run on a holiday
            assert reports_queued(rt) == []          # a holiday: not yet
            for clock in clocks:
                clock.at = local(10, 8, 9)
            start = threading.Barrier(2)

            def job(w):
                w.sweep()
                start.wait()
                w.queue_monthly_report()
            threads = [threading.Thread(target=job, args=(w,)) for w in workers]
            for t in threads:
                t.start()
            for t in threads:
                t.join(30)
            for clock in clocks:
                clock.at = local(10, 9, 9)
            for w in workers:
                w.queue_monthly_report()           # as if both restarted the next day
        finally:
            for w in workers:
                w.close()
        [row] = reports_queued(rt)
        assert row.dedupe_key == "monthly_scorecard:2026-09" and row.recipients == ["market_operations"]
        sheets = svc.read_xlsx(row.attachment)
        assert len(sheets) == 2 and sheets[0][2][0] == "客户服务中心"
        assert sheets[0][2][1] == 1                  # September: one complaint received

        controller, inbox = smtp_server
        sender = notify.make_sender(f"smtp://127.0.0.1:{controller.port}?domain=sz.example")
        assert notify.deliver(rt, sender, now=lambda: local(10, 8, 10)) >= 1
        [(rcpt, message)] = [m for m in inbox.messages if m[1].get_content_maintype() == "multipart"]
        assert rcpt == ["market_operations@sz.example"]
        [part] = [p for p in message.walk() if p.get_filename()]
        assert part.get_filename() == "scorecard-2026-09.xlsx"
        assert svc.read_xlsx(part.get_payload(decode=True)) == sheets
    finally:
        rt.engine.dispose()


def test_a_single_worker_on_sqlite_queues_it_once_too(sqlite_url):
    from tests.conftest import make_runtime
    rt = make_runtime(sqlite_url)
    clock = FakeClock(local(11, 2, 8))
    worker = worker_on(rt, clock)
    assert worker.queue_monthly_report() is False
    worker.close()
    assert reports_queued(rt) == []              # no complaint yet: nothing to report
    services.intake(rt, OPERATOR, complaint_values(), now=local(10, 20))
    worker = worker_on(rt, clock)
    try:
        worker.sweep()
        assert reports_queued(rt) == []          # the sweep fires deadlines, nothing else
        assert worker.queue_monthly_report() is True
        assert worker.queue_monthly_report() is False
        assert svc.queue_monthly_report(rt, local(11, 20)) is False
    finally:
        worker.close()
        rt.engine.dispose()
    [row] = reports_queued(rt)
    assert row.dedupe_key == "monthly_scorecard:2026-10"
