"""Search goes through indexes on both databases, and finds exactly what reading every row
would (`workflow.store.search`, `queries.search_clause`).

The plans are checked on 3,000 complaints. At that size PostgreSQL's planner rightly
prefers reading the table, so its plans are taken with `enable_seqscan=off`: that shows
the index *can* serve each search shape (the query's expression matches the index's);
with a million rows the planner picks it on cost alone (bench/million.py prints those
plans). SQLite's planner has no such costs to weigh here: FTS5 and the expression index
are chosen by the query's shape.
"""
from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import delete, insert, select, text, update

from states.policy import load_policy
from states.process import Role
from tests.databases import copy_sqlite
from workflow.admin.directory import ensure_departments
from workflow.domain.model import Actor
from workflow.store import policies, search
from workflow.store.db import make_engine
from workflow.store.queries import Filters, _where, queue_page, search_clause
from workflow.store.runtime import Runtime
from workflow.store.schema import complaints as t

NOW = datetime(2026, 11, 20, 4, 0, tzinfo=timezone.utc)
ROWS = 3000
WORDS = ["小区", "地下车库", "信号", "宽带", "断网", "营业厅", "套餐", "扣费", "5G", "WiFi",
         "网速慢", "车库", "地下", "投诉", "100%", "a_b", "it's", '"引号"', "back\\slash",
         "Ａ全角", "ÄÖ", "🙂", "  ", "，。"]
STATES = ["received", "assigned", "handling", "closed"]
NAMES = ["王先生", "李女士", "张伟", "O'Brien", "Mr_X", "陈%", "欧阳娜娜", ""]
QUERIES = ["车库", "地下车库", "小区地下", "信号", "王先生", "李女士", "张", "库", "欧阳",
           "5g", "WIFI", "wifi网速", "100%", "%", "_", "a_b", "'", "it's", '"', '"引号"',
           "\\", "back\\", "*", "AND", "NEAR(", "车库 OR 信号", "🙂", "ä", "，。", "  ",
           "不存在的词", "o'brien", "Mr_", "陈%", "号投"]


def _actor():
    return Actor("desk", Role.major_desk, "customer_service")


def _text(rng) -> str:
    return "".join(rng.choice(WORDS) for _ in range(rng.randrange(1, 7)))


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql",
                                                                 marks=pytest.mark.postgres)])
def filled(request, tmp_path_factory):
    """An engine on a migrated database holding `ROWS` complaints of mixed texts."""
    if request.param == "sqlite":
        url = copy_sqlite(request.getfixturevalue("sqlite_template"),
                          tmp_path_factory.mktemp("search") / "search.db")
    else:
        templates = request.getfixturevalue("pg_templates")
        name = templates.copy()
        request.addfinalizer(lambda: templates.drop(name))
        url = templates.url(name)
    engine = make_engine(url)
    policies.ensure_first(engine, load_policy(), by="test", now=NOW)
    rng = random.Random(15)
    rows = [dict(id=cid, state=rng.choice(STATES), version=1, mobile=f"13{rng.randrange(10**9):09d}",
                 customer_name=rng.choice(NAMES), channel="hotline", source="direct",
                 cause="coverage", text=_text(rng), routed_department="network",
                 department="network", originating_department="customer_service",
                 escalation_level=rng.choice((0, 0, 1, 2)), major_reasons=[], policy_version=1,
                 created_by="op", created_at=NOW - timedelta(minutes=cid), updated_at=NOW,
                 next_due_at=rng.choice((None, NOW + timedelta(hours=rng.randrange(-9, 9)))))
            for cid in range(1, ROWS + 1)]
    for row in rows:        # what intake writes beside the text (the bigrams on PostgreSQL)
        row.update(search.stored(engine.dialect.name, row["text"], row["customer_name"]))
    rows[9]["mobile"] = "13800001234"
    rows[10]["mobile"] = "13912341234"
    with engine.begin() as conn:
        ensure_departments(conn)
        conn.execute(insert(t), rows)
        conn.execute(text("ANALYZE"))
    yield engine
    engine.dispose()


def _found(conn, query: str) -> set[int]:
    return set(conn.execute(select(t.c.id).where(search_clause(query))).scalars())


def _scanned(conn, query: str) -> set[int]:
    """What reading every row in Python finds for a text search."""
    q = query.strip().lower()
    if not q:           # nothing to search for (the queue shows no search then)
        return set()
    return {r.id for r in conn.execute(select(t.c.id, t.c.text, t.c.customer_name))
            if q in r.text.lower() or q in r.customer_name.lower()}


def _check_all(conn) -> int:
    matched = 0
    for query in QUERIES:
        expected = _scanned(conn, query)
        assert _found(conn, query) == expected, query
        matched += len(expected)
    return matched


def test_text_search_finds_exactly_what_a_scan_finds(filled):
    with filled.connect() as conn:
        assert _check_all(conn) > ROWS      # the queries do match, many of them
        assert _found(conn, "车库") and _found(conn, "库") >= _found(conn, "车库")
        assert _found(conn, "不存在的词") == set()


def test_text_search_follows_edits_and_deletes(filled):
    with filled.begin() as conn:
        edited = dict(text="新写的内容：车库漏水", customer_name="赵六")
        conn.execute(update(t).where(t.c.id <= 40).values(
            **edited, **search.stored(conn.dialect.name, **edited)))
        conn.execute(update(t).where(t.c.id.between(41, 60)).values(state="assigned"))
        conn.execute(delete(t).where(t.c.id.between(61, 70)))
        conn.execute(insert(t), [dict(id=ROWS + 1, state="received", version=1,
                                      mobile="13700000000", customer_name="钱七", channel="web",
                                      source="direct", cause="coverage", text="后来的投诉，车库",
                                      routed_department="network", department="network",
                                      originating_department="customer_service",
                                      escalation_level=0, major_reasons=[], policy_version=1,
                                      created_by="op", created_at=NOW, updated_at=NOW,
                                      **search.stored(conn.dialect.name, "后来的投诉，车库", "钱七"))])
        assert set(range(1, 41)) | {ROWS + 1} <= _found(conn, "车库")
        assert _found(conn, "赵六") == set(range(1, 41))
        assert _found(conn, "漏水") == set(range(1, 41))
        assert not _found(conn, "车库") & set(range(61, 71))
        _check_all(conn)
        conn.rollback()


def test_numbers_and_mobile_tails(filled):
    with filled.connect() as conn:
        tails = {r.id for r in conn.execute(select(t.c.id, t.c.mobile)) if r.mobile.endswith("1234")}
        assert {10, 11} <= tails
        assert _found(conn, "1234") == tails | {1234}
        assert _found(conn, "13800001234") == {10}
        assert _found(conn, "TS20261120000777") == {777}
        assert _found(conn, "ts20261120000777") == {777}
        assert _found(conn, "000777") == {777}
        assert _found(conn, "12345678901234") == set()


@pytest.mark.parametrize("sort", ["due", "received_new", "received_old", "severity"])
def test_a_search_page_is_the_scan_sorted_and_counted(filled, sort):
    never = NOW + timedelta(days=999)
    with Runtime(filled, load_policy()).uow(write=False) as uow:
        rows = {r.id: r for r in uow.conn.execute(select(t))}
        matching = [rows[i] for i in _scanned(uow.conn, "车库")]
        order = {"due": lambda r: (r.next_due_at is None, r.next_due_at or never, r.id),
                 "received_new": lambda r: -r.id, "received_old": lambda r: r.id,
                 "severity": lambda r: (-r.escalation_level, r.next_due_at is None,
                                        r.next_due_at or never, r.id)}[sort]
        for state in (None, "handling"):
            chosen = sorted((r for r in matching if state in (None, r.state)), key=order)
            assert len(chosen) > 2 * 50
            page, total, shown, counts = queue_page(
                uow, _actor(), Filters(text="车库", sort=sort, state=state), now=NOW, page=2)
            assert (total, shown) == (len(chosen), 2)
            assert [c.id for c, _ in page] == [r.id for r in chosen[50:100]]
            assert counts == {s: n for s in STATES
                              if (n := sum(r.state == s for r in matching))}


SHAPES = {"two_characters": "车库", "longer_phrase": "小区地下车库", "customer_name": "王先生",
          "last_four": "1234", "complaint_number": "TS20261120000777"}


def _plan(conn, query: str) -> str:
    statement = select(t.c.id).where(*_where(_actor(), Filters(text=query), NOW))
    compiled = statement.compile(conn)
    if conn.dialect.name == "sqlite":
        params = tuple(compiled.params[name] for name in compiled.positiontup)
        rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + str(compiled), params)
        return "\n".join(row[-1] for row in rows)
    conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
    rows = conn.exec_driver_sql("EXPLAIN " + str(compiled), compiled.params)
    return "\n".join(row[0] for row in rows)


@pytest.mark.parametrize("shape", SHAPES)
def test_each_search_shape_goes_through_an_index(filled, shape):
    with filled.begin() as conn:
        plan = _plan(conn, SHAPES[shape])
        conn.rollback()
    index = {"last_four": "ix_complaints_mobile_last4"}
    if filled.dialect.name == "sqlite":
        assert "SCAN complaints" not in plan, plan
        if shape == "complaint_number":
            assert "SEARCH complaints USING INTEGER PRIMARY KEY" in plan, plan
        elif shape == "last_four":       # the id 1234 or a mobile ending 1234
            assert "USING INDEX ix_complaints_mobile_last4" in plan, plan
            assert "USING INTEGER PRIMARY KEY" in plan, plan
        else:
            assert "SCAN complaint_search VIRTUAL TABLE INDEX" in plan, plan
            assert "SEARCH complaints USING INTEGER PRIMARY KEY" in plan, plan
    else:
        assert "Seq Scan" not in plan, plan
        if shape == "complaint_number":
            assert "pk_complaints" in plan, plan
        else:
            assert index.get(shape, "ix_complaints_search_bigrams") in plan, plan

