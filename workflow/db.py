"""Engines for SQLite (the embedded default) and PostgreSQL, configured for this workload."""
from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine, make_url

log = logging.getLogger(__name__)
DEFAULT_URL = "sqlite:///instance/complaints.db"


def _sqlite_pragmas(dbapi_connection, _record):
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def _sqlite_driver_autocommit(dbapi_connection, _record):
    # Let SQLAlchemy, not pysqlite, issue BEGIN (the documented pysqlite recipe).
    dbapi_connection.isolation_level = None


def _sqlite_do_begin(dbapi_connection):
    # A unit of work that writes takes the write lock at BEGIN (IMMEDIATE), so two
    # writers queue on busy_timeout instead of failing when a read lock is upgraded.
    # This is the dialect's do_begin rather than a "begin" event listener because any
    # connection event makes SQLAlchemy dispatch events around every statement (~10 µs
    # each on the hot path).
    immediate = dbapi_connection.info.pop(_IMMEDIATE, False)
    dbapi_connection.driver_connection.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")


_IMMEDIATE = "complaints_begin_immediate"


def begin(conn: Connection, write: bool):
    """Begin the connection's transaction; on SQLite one that writes begins IMMEDIATE."""
    if write and conn.dialect.name == "sqlite":
        conn.connection.info[_IMMEDIATE] = True
    return conn.begin()


def make_engine(url: str | None = None, **kwargs) -> Engine:
    """Create an engine for `url` (SQLite file by default) with the project's settings."""
    url = make_url(url or DEFAULT_URL)
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "connect", _sqlite_driver_autocommit)
        engine.dialect.do_begin = _sqlite_do_begin
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("pool_size", 10)
    return create_engine(url, **kwargs)
