"""The seam of workflow.store.fastsql on SQLAlchemy (`_binds`): what it reads of the
compiler, pinned on both dialects, so that a SQLAlchemy release that changes any of it
fails here, loudly, before a hot-path statement binds a value to the wrong place."""
from __future__ import annotations

from datetime import datetime, timezone

import sqlalchemy
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.dialects import sqlite
from sqlalchemy.dialects.postgresql import psycopg

from workflow.store import fastsql
from workflow.store.fastsql import Prepared
from workflow.store.schema import complaints, deadlines, events

NOW = datetime(2026, 11, 30, 1, 0, tzinfo=timezone.utc)
STOP = update(deadlines).where(deadlines.c.id == bindparam("_id")).values(
    status="stopped", stopped_at=bindparam("now"))


def test_sqlalchemy_is_a_release_the_seam_was_read_against():
    # setup.cfg pins 2.0.x; a 2.1 must come through this file (and the tests below) first.
    major, minor, *_ = sqlalchemy.__version__.split(".")
    assert (major, minor) == ("2", "0")


def test_sqlite_binds_are_positional_in_the_order_of_the_sql_with_fixed_values_kept():
    sql, positional, binds = fastsql._binds(STOP, sqlite.dialect(), ("_id", "now"))
    assert sql == ("UPDATE deadlines SET status=?, stopped_at=? WHERE deadlines.id = ?")
    assert positional is True
    # A value fixed in the statement has an anonymous key no caller names.
    assert [(name, key in ("_id", "now"), fixed) for name, key, _, fixed in binds] == [
        ("status", False, "stopped"), ("now", True, None), ("_id", True, None)]
    assert [type(t).__name__ for *_, t, _ in binds] == ["String", "UTCDateTime", "BigInteger"]


def test_psycopg_binds_are_named_with_casts_and_their_column_types():
    sql, positional, binds = fastsql._binds(STOP, psycopg.dialect(), ("_id", "now"))
    assert sql == ("UPDATE deadlines SET status=%(status)s::VARCHAR, stopped_at=%(now)s::"
                   "TIMESTAMP WITH TIME ZONE WHERE deadlines.id = %(_id)s::BIGINT")
    assert positional is False
    assert {name: fixed for name, _, _, fixed in binds} == {"status": "stopped", "now": None,
                                                            "_id": None}


def test_a_statement_that_would_expand_its_parameters_is_refused():
    expanding = select(complaints.c.id).where(complaints.c.id.in_(bindparam("ids",
                                                                            expanding=True)))
    for dialect in (sqlite.dialect(), psycopg.dialect()):
        try:
            fastsql._binds(expanding, dialect, ("ids",))
        except ValueError as exc:
            assert "expand" in str(exc)
        else:
            raise AssertionError("an expanding IN was taken")


def test_values_pass_through_the_column_types_public_processors():
    prepared = Prepared(insert(events))
    entry = prepared._entry(sqlite.dialect(), ("at", "data", "complaint_id"))
    args = Prepared._args(entry, {"at": NOW, "data": {"k": "二"}, "complaint_id": 7})
    by_name = dict(zip((name for name, *_ in entry.binds), args))
    assert by_name["at"] == "2026-11-30 01:00:00.000000"   # UTC, naive text, as SQLite stores it
    assert by_name["data"] == '{"k": "\\u4e8c"}' and by_name["complaint_id"] == 7


def test_result_columns_are_the_statements_exported_columns_in_order():
    joined = select(complaints.c.id, deadlines.c.kind.label("clock_kind"))
    assert [(n, type(t).__name__) for n, t in
            Prepared(joined)._entry(sqlite.dialect(), ()).columns] == [
        ("id", "BigInteger"), ("clock_kind", "String")]
    returning = update(deadlines).where(deadlines.c.id == bindparam("_id")).returning(
        deadlines.c.id, deadlines.c.due_at)
    assert [n for n, _ in Prepared(returning)._entry(psycopg.dialect(), ("_id",)).columns] == [
        "id", "due_at"]
