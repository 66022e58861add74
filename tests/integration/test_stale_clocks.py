"""A clock the timer worker changed between an action's read and its write, on
PostgreSQL: the worker restarts a repeating clock without bumping the complaint's
version, so the version check alone would let the action overwrite the restart with
values decided on the stale row (and log a second end of a run the worker ended). The
write checks the clocks as loaded and writes nothing; the action is decided again on a
fresh load and leaves what it leaves when it comes after the worker."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from tests.conftest import NETWORK, make_runtime
from tests.integration.test_pgwrite import stored
from tests.timers.helpers import FakeClock, clock, in_handling, sweep_at, worker_on
from workflow import services
from workflow.domain.errors import Conflict
from workflow.services import actions
from workflow.store import complaints as store
from workflow.store import plan as plan_module
from workflow.store.schema import clock_events

NOW = datetime(2026, 11, 30, 1, 0, tzinfo=timezone.utc)


@pytest.fixture
def pg(pg_database_url):
    rt = make_runtime(pg_database_url)
    yield rt
    rt.engine.dispose()


@pytest.fixture
def worker(pg):
    started = worker_on(pg, FakeClock(NOW))
    yield started
    started.close()


def _action_writes(monkeypatch) -> list:
    """What each `plan.write` of an action answers (None: refused, nothing written)."""
    answers, write = [], plan_module.write

    def spy(conn, plan, **options):
        answer = write(conn, plan, **options)
        if plan.event is not None:
            answers.append(answer)
        return answer
    monkeypatch.setattr(plan_module, "write", spy)
    return answers


def _sweep_after_loads(monkeypatch, worker, when, loads: int) -> list:
    """Have the worker sweep at `when` and commit right after each of the action's first
    `loads` loads (its read, before its write); return the progress-contact run each
    load saw."""
    runs, load = [], store.load_for_action

    def load_then_sweep(uow, complaint_id, kinds=frozenset()):
        complaint, clocks = load(uow, complaint_id, kinds)
        runs.append(next(c["run"] for c in clocks if c["kind"] == "progress_contact"))
        if len(runs) <= loads:
            sweep_at(worker, when)
        return complaint, clocks
    monkeypatch.setattr(store, "load_for_action", load_then_sweep)
    return runs


def _waiting_on_the_customer(rt, mobile="13800000001") -> int:
    """A complaint contacted and then paused (its reply clock waits, so only the progress
    contact comes due, every 48 hours); its id."""
    cid = in_handling(rt, NOW, mobile=mobile)
    services.act(rt, cid, "contact", NETWORK, now=NOW, comment="已联系客户")
    services.act(rt, cid, "pause", NETWORK, now=NOW, reason="等待客户提供资料")
    return cid


def _progress_contact_history(rt, cid) -> list:
    with rt.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(
            select(clock_events.c.event, clock_events.c.run, clock_events.c.reason)
            .where(clock_events.c.complaint_id == cid, clock_events.c.kind == "progress_contact")
            .order_by(clock_events.c.id))]


@pytest.mark.parametrize("one_statement", [True, False], ids=["one-statement", "separately"])
@pytest.mark.parametrize("entry", ["act_and_read", "act"])
def test_an_action_decided_on_a_clock_the_worker_restarted_meanwhile_is_decided_again(
        pg, worker, monkeypatch, entry, one_statement):
    monkeypatch.setattr(plan_module, "ONE_STATEMENT", one_statement)
    raced, after = _waiting_on_the_customer(pg), _waiting_on_the_customer(pg, "13800000002")
    when = clock(pg, raced, "progress_contact").due_at + timedelta(minutes=1)
    answers = _action_writes(monkeypatch)
    with monkeypatch.context() as m:
        runs = _sweep_after_loads(m, worker, when, loads=1)  # restarts both complaints' clocks
        getattr(services, entry)(pg, raced, "contact", NETWORK, now=when, comment="已联系客户")
    assert runs == [2, 3]                    # decided on run 2, refused, decided on run 3
    assert answers[0] is None                # the first write wrote nothing
    services.act(pg, after, "contact", NETWORK, now=when, comment="已联系客户")
    assert stored(pg, raced) == stored(pg, after)
    assert _progress_contact_history(pg, raced)[3:] == [
        ("missed", 2, "timer"), ("started", 3, "repeat"),          # the worker
        ("restarted", 3, "contact"), ("started", 4, "contact")]    # the contact, decided again
    assert clock(pg, raced, "progress_contact").run == 4


def test_an_action_whose_clocks_keep_changing_is_a_conflict_after_its_attempts(
        pg, worker, monkeypatch):
    cid = _waiting_on_the_customer(pg)
    due = clock(pg, cid, "progress_contact").due_at
    before = stored(pg, cid)
    runs, load = [], store.load_for_action

    def load_then_restart(uow, complaint_id, kinds=frozenset()):
        # each time, the clock is due again and the worker restarts it meanwhile
        found = load(uow, complaint_id, kinds)
        runs.append(found)
        sweep_at(worker, due + timedelta(hours=49 * (len(runs) - 1)))
        return found
    monkeypatch.setattr(store, "load_for_action", load_then_restart)
    with pytest.raises(Conflict) as refused:
        services.act_and_read(pg, cid, "contact", NETWORK, now=due + timedelta(hours=1),
                              comment="已联系客户")
    assert len(runs) == actions.ATTEMPTS
    assert refused.value.current == refused.value.expected == before[0]["version"]
    assert stored(pg, cid)[2] == before[2]   # no event of the action written
