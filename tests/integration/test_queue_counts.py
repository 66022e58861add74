"""The work queue's counts kept beside the complaints (`workflow.store.counts`), on each
database: filled by the migration from the complaints already stored, kept in step by
the triggers through intake, actions, timer escalations and deletes, folded without
changing a figure, one folding at a time on PostgreSQL; and the queue takes them only
where they answer the filters (a search or a date range counts the complaints)."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import delete, func, insert, select, text, update

from states.catalogue import CAUSES, STATE_NAMES
from tests.conftest import DESK, NETWORK, OPERATOR, complaint_values
from tests.timers.helpers import FakeClock, history, in_handling, sweep_at, worker_on
from workflow import services
from workflow.admin.directory import ensure_departments
from workflow.store import counts, migrate, queries
from workflow.store.db import make_engine
from workflow.store.schema import complaints, queue_counts


def _rows(conn) -> int:
    return conn.execute(select(func.count()).select_from(queue_counts)).scalar()


def _file_and_work(rt, now) -> list[int]:
    ids = [in_handling(rt, now, mobile=f"1380000000{i}") for i in range(3)]
    ids.append(services.intake(rt, OPERATOR, complaint_values(mobile="13900000001"),
                               now=now).complaint.id)
    services.act(rt, ids[0], "reply", NETWORK, now=now, comment="已处理,信号恢复。")
    services.act(rt, ids[1], "transfer", NETWORK, now=now, department="marketing",
                 reason="属资费问题")
    services.act(rt, ids[2], "escalate", DESK, now=now, reason="客户多次投诉")
    return ids


def test_the_triggers_keep_every_combination_in_step_and_folding_changes_no_figure(rt, now):
    _file_and_work(rt, now)
    with rt.engine.connect() as conn:
        assert counts.kept(conn) == counts.counted(conn)
        before = _rows(conn)
        assert before > len(counts.counted(conn))     # appended, not yet folded
    with rt.uow() as uow:
        folded = counts.compact(uow.conn)
        uow.commit()
    with rt.engine.connect() as conn:
        assert counts.kept(conn) == counts.counted(conn)
        # one row per combination that has complaints, none for those left empty
        assert _rows(conn) == len(counts.counted(conn)) == before - folded
        assert conn.execute(select(func.count()).select_from(queue_counts)
                            .where(queue_counts.c.n <= 0)).scalar() == 0
    with rt.uow() as uow:
        assert counts.compact(uow.conn) == 0          # nothing left to fold
        uow.commit()


def test_a_deleted_complaint_leaves_the_counts(rt, now):
    cid = services.intake(rt, OPERATOR, complaint_values(), now=now).complaint.id
    with rt.uow() as uow:
        row = dict(uow.conn.execute(select(complaints).where(complaints.c.id == cid))
                   .mappings().one())
        row.update(id=cid + 1000, idempotency_key=None, state="closed")
        uow.conn.execute(insert(complaints), row)        # a complaint with no history
        uow.commit()
    with rt.uow(write=False) as uow:
        assert queries.counts_by_state(uow, DESK) == {"received": 1, "closed": 1}
    with rt.uow() as uow:
        uow.conn.execute(delete(complaints).where(complaints.c.id == cid + 1000))
        uow.commit()
    with rt.uow(write=False) as uow:
        assert queries.counts_by_state(uow, DESK) == {"received": 1}


def test_timer_escalations_move_the_counts_too(rt, now):
    ids = [in_handling(rt, now, mobile=f"1370000000{i}") for i in range(3)]
    worker = worker_on(rt, FakeClock(now))
    try:
        sweep_at(worker, now + timedelta(hours=48))
        worker.compact_counts()            # the scheduler's queue_counts job
    finally:
        worker.close()
    assert all(history(rt, cid, "escalate") for cid in ids)
    with rt.engine.connect() as conn:
        assert counts.kept(conn) == counts.counted(conn)
        assert _rows(conn) == len(counts.counted(conn))        # the worker folded them
    with rt.uow(write=False) as uow:
        major = queries.Filters(severity="major")
        kept = queries.counts_by_state(uow, DESK, major)
        assert kept == counts.recount(uow.conn, queries._where(DESK, major, now))
        assert sum(kept.values()) == 3


def test_filters_the_counts_do_not_keep_count_the_complaints(rt, now):
    ids = _file_and_work(rt, now)
    with rt.uow(write=False) as uow:
        for f in (queries.Filters(text="车库"), queries.Filters(overdue=True),
                  queries.Filters(received_from=now - timedelta(days=1)),
                  queries.Filters(updated_since=now), queries.Filters(warned=True)):
            assert not f.counted()
            assert queries.counts_by_state(uow, DESK, f, now=now) == counts.recount(
                uow.conn, queries._where(DESK, f.without_state(), now))
        # with a search the page and its chips come from one pass over the matches
        every = counts.recount(uow.conn, queries._where(DESK, queries.Filters(text="车库"), now))
        assert len(every) >= 3
        for state, n in every.items():
            rows, total, page, chips = queries.queue_page(
                uow, DESK, queries.Filters(text="车库", state=state), now=now)
            assert chips == every
            assert {c.state.value for c, _ in rows} == {state}
            assert total == n == len(rows) and page == 1
        # a state without matches: the page is empty, the chips still count the others
        rows, total, page, chips = queries.queue_page(
            uow, DESK, queries.Filters(text="车库", state="closed"), now=now)
        assert rows == [] and total == 0 and sum(chips.values()) == len(ids)
        # a page past the last shows the last
        rows, total, page, _ = queries.queue_page(
            uow, DESK, queries.Filters(text="车库"), now=now, page=9, page_size=2)
        assert (page, total, len(rows)) == (2, len(ids), 2)


def test_a_search_page_keeps_the_order_of_each_sort(rt, now):
    ids = _file_and_work(rt, now)
    with rt.uow(write=False) as uow:
        for sort in queries.SORTS:
            plain, _, _, plain_chips = queries.queue_page(
                uow, DESK, queries.Filters(sort=sort), now=now, page_size=50)
            found, _, _, found_chips = queries.queue_page(
                uow, DESK, queries.Filters(sort=sort, text="车库"), now=now, page_size=50)
            # every complaint has the phrase: the search lists them in the queue's order
            assert [c.id for c, _ in found] == [c.id for c, _ in plain], sort
            assert found_chips == plain_chips
        if uow.conn.dialect.name == "postgresql":
            # the search's parallel settings end with its statement, not the transaction
            after = uow.conn.execute(text(
                "SELECT name, setting = reset_val FROM pg_settings WHERE name IN "
                "('parallel_setup_cost', 'parallel_tuple_cost', "
                "'min_parallel_table_scan_size')")).all()
            assert len(after) == 3 and all(same for _, same in after), after
    assert len(ids) == 4


def test_the_migration_counts_the_complaints_already_stored(tmp_path, now):
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    migrate.upgrade(engine, "0012_search")
    from states.policy import load_policy
    from workflow.store import policies
    policies.ensure_first(engine, load_policy(), by="test", now=now)
    rows = [dict(state=list(STATE_NAMES)[i % len(STATE_NAMES)], version=1,
                 mobile=f"1380000{i:04d}", customer_name="黄先生", channel="hotline",
                 source="direct" if i % 3 else "gd_cab", cause="coverage", text="信号差",
                 routed_department="network", department="network" if i % 2 else "marketing",
                 originating_department="customer_service", escalation_level=i % 3,
                 major_reasons=[], policy_version=1, created_by="op", created_at=now,
                 updated_at=now, handler_user=None if i % 4 else "zhangwei")
            for i in range(60)]
    with engine.begin() as conn:
        ensure_departments(conn)
        conn.execute(insert(complaints), rows)
    migrate.upgrade(engine)
    with engine.connect() as conn:
        assert counts.kept(conn) == counts.counted(conn)
        assert sum(counts.kept(conn).values()) == 60 and _rows(conn) == len(counts.counted(conn))
    engine.dispose()


@pytest.mark.postgres
def test_on_postgresql_one_folding_at_a_time(pg_database_url, now):
    from tests.conftest import make_runtime
    rt = make_runtime(pg_database_url)
    try:
        ids = _file_and_work(rt, now)
        with rt.engine.connect() as first, rt.engine.connect() as second:
            with first.begin():
                assert counts.compact(first) > 0            # holds the lock until commit
                with second.begin():
                    assert counts.compact(second) == 0      # finds it taken: leaves it
                    second.execute(text("SELECT 1"))
            with second.begin():
                assert counts.compact(second) == 0          # nothing left to fold
            # a change not yet committed while a folding runs: its rows are not seen
            # then, so neither folded nor lost
            other = next(c for c in CAUSES if c != "coverage")
            with first.begin():
                first.execute(update(complaints).where(complaints.c.id == ids[3])
                              .values(cause=other))
                with second.begin():
                    assert counts.compact(second) == 0      # nothing committed to fold
                with rt.engine.begin() as third:            # another change, committed
                    third.execute(update(complaints).where(complaints.c.id == ids[2])
                                  .values(cause=other))
                with second.begin():
                    assert counts.compact(second) > 0       # third's rows, not first's
            assert counts.kept(first) == counts.counted(first)
            with second.begin():
                assert counts.compact(second) > 0           # now first's too
        with rt.engine.connect() as conn:
            assert counts.kept(conn) == counts.counted(conn) and _rows(conn) == len(counts.counted(conn))
    finally:
        rt.engine.dispose()
