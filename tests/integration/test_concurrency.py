"""Two actors on one complaint at the same version: exactly one wins, the other gets Conflict.

Threads race on both databases; processes (spawned, each with its own engine) race on
PostgreSQL. A barrier releases them together so that they really overlap.
"""
from __future__ import annotations

import multiprocessing
import threading
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from states.policy import load_policy
from tests.conftest import DESK, NETWORK, OPERATOR, complaint_values, make_runtime
from workflow import services
from workflow.domain.errors import Conflict
from workflow.store.db import make_engine
from workflow.store.runtime import Runtime
from workflow.store.schema import events

NOW = datetime(2026, 11, 30, 1, 0, tzinfo=timezone.utc)


def handling_complaint(rt) -> int:
    cid = services.intake(rt, OPERATOR, complaint_values(), now=NOW).complaint.id
    services.act(rt, cid, "assign", OPERATOR, now=NOW, department="network")
    services.act(rt, cid, "accept", NETWORK, now=NOW + timedelta(minutes=1))
    return cid


def event_count(rt, cid) -> int:
    with rt.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(events)
                            .where(events.c.complaint_id == cid)).scalar()


def race(rt, cid, version, barrier, actor, action, via="act", **fields) -> str:
    """Act once after the barrier (through `services.<via>`); return "won", "conflict" or
    the unexpected error."""
    barrier.wait(timeout=30)
    try:
        getattr(services, via)(rt, cid, action, actor, now=NOW + timedelta(hours=1),
                               expected_version=version, **fields)
        return "won"
    except Conflict:
        return "conflict"
    except Exception as exc:  # reported by the assertion on the outcomes
        return repr(exc)


def run_together(targets) -> None:
    """Run each callable in its own thread and wait for all of them."""
    threads = [threading.Thread(target=target) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


# act_and_read is the API's path: on PostgreSQL a contact is then one statement in
# autocommit (workflow.store.pgwrite), escalate a transaction.
@pytest.mark.parametrize("via", ["act", "act_and_read"])
def test_two_threads_acting_at_the_same_version_make_exactly_one_change(rt, via):
    cid = handling_complaint(rt)
    before = event_count(rt, cid)
    barrier, outcomes = threading.Barrier(2), []
    jobs = [(NETWORK, "contact", {"comment": "已电话联系客户"}),
            (DESK, "escalate", {"reason": "客户情绪激动"})]
    run_together(lambda j=j: outcomes.append(race(rt, cid, 3, barrier, j[0], j[1], via,
                                                  **j[2]))
                 for j in jobs)
    assert sorted(outcomes) == ["conflict", "won"]
    assert event_count(rt, cid) == before + 1


def _process_race(url, cid, version, barrier, queue, username):
    """Runs in a spawned process: its own engine, the same complaint, the same version."""
    rt = Runtime(make_engine(url), load_policy())
    actor = NETWORK if username == NETWORK.username else DESK
    action, fields = (("contact", {"comment": "已电话联系客户"}) if actor is NETWORK
                      else ("escalate", {"reason": "客户情绪激动"}))
    queue.put(race(rt, cid, version, barrier, actor, action, **fields))
    rt.engine.dispose()


@pytest.mark.postgres
def test_two_processes_acting_at_the_same_version_on_postgresql_make_exactly_one_change(
        pg_database_url):
    rt = make_runtime(pg_database_url)
    cid = handling_complaint(rt)
    before = event_count(rt, cid)
    ctx = multiprocessing.get_context("spawn")
    barrier, queue = ctx.Barrier(2), ctx.Queue()
    procs = [ctx.Process(target=_process_race,
                         args=(pg_database_url, cid, 3, barrier, queue, who))
             for who in (NETWORK.username, DESK.username)]
    for proc in procs:
        proc.start()
    outcomes = sorted(queue.get(timeout=60) for _ in procs)
    for proc in procs:
        proc.join(timeout=30)
    assert outcomes == ["conflict", "won"]
    assert event_count(rt, cid) == before + 1
    rt.engine.dispose()


@pytest.mark.postgres
def test_two_transactions_that_both_read_the_complaint_cannot_both_write_it(
        pg_database_url, monkeypatch):
    # Both transactions load version 3 before either writes (the barrier sits after the
    # load), and neither names a version: the versioned UPDATE alone must stop the second.
    from workflow.store import complaints as store
    rt = make_runtime(pg_database_url)
    cid = handling_complaint(rt)
    before = event_count(rt, cid)
    loaded, real_load = threading.Barrier(2), store.load_for_action

    def load_then_wait(uow, complaint_id, kinds=frozenset()):
        found = real_load(uow, complaint_id, kinds)      # the complaint and its clocks
        loaded.wait(timeout=30)
        return found

    monkeypatch.setattr(store, "load_for_action", load_then_wait)
    start, outcomes = threading.Barrier(2), []
    run_together(lambda: outcomes.append(
        race(rt, cid, None, start, NETWORK, "contact", comment="已电话联系客户"))
        for _ in range(2))
    assert sorted(outcomes) == ["conflict", "won"]
    assert event_count(rt, cid) == before + 1
    rt.engine.dispose()
