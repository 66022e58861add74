"""The timer worker's jobs wait out an unavailable database, longer each time, and resume."""
from __future__ import annotations

import logging

import pytest
from sqlalchemy import text

from tests.servers import free_port
from timers.backoff import DatabaseBackoff
from workflow.store.db import make_engine


class Clock:
    def __init__(self):
        self.t = 100.0

    def __call__(self):
        return self.t


@pytest.fixture
def nowhere():
    """An engine on a loopback port where no database listens: real connection errors."""
    engine = make_engine(f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/none",
                         connect_timeout=1)
    yield engine
    engine.dispose()


def test_a_job_backs_off_while_the_database_is_away_and_resumes(nowhere, caplog):
    clock, calls, up = Clock(), [], [False]

    def job():
        calls.append(clock.t)
        if not up[0]:
            with nowhere.connect() as conn:
                conn.execute(text("SELECT 1"))
        return "fired"

    guarded = DatabaseBackoff("deadlines", job, clock=clock)
    with caplog.at_level(logging.WARNING, logger="timers.backoff"):
        for _ in range(5):                   # each failure doubles the wait: 0.5, 1, 2, 4
            assert guarded() is None
            waited = guarded.delay()
            clock.t += waited - 0.01
            assert guarded() is None and guarded.waiting     # skipped: not even tried
            clock.t += 0.01
        assert len(calls) == 5 and guarded.delay() == 8.0
        up[0] = True
        assert guarded() == "fired" and not guarded.waiting and guarded.failures == 0
    messages = [r.getMessage() for r in caplog.records]
    assert sum("数据库不可用 database unavailable for deadlines" in m for m in messages) == 5
    assert "数据库已恢复 database reachable again: deadlines resumed after" in messages[-1]


def test_the_wait_never_grows_past_its_limit(nowhere):
    def job():
        with nowhere.connect() as conn:
            conn.execute(text("SELECT 1"))

    clock = Clock()
    guarded = DatabaseBackoff("outbox", job, clock=clock, longest=3.0)
    for _ in range(6):
        guarded()
        clock.t += guarded.delay()
    assert guarded.delay() == 3.0


def test_an_error_that_is_not_the_database_is_not_swallowed():
    def job():
        raise KeyError("a bug")

    with pytest.raises(KeyError):
        DatabaseBackoff("deadlines", job)()
