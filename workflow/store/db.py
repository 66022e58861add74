"""Engines for SQLite (the embedded default) and PostgreSQL, configured for this workload."""
from __future__ import annotations

import logging
import time
from pathlib import Path

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import (
    DBAPIError,
    DisconnectionError,
    InterfaceError,
    OperationalError,
    PendingRollbackError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeout

from workflow.store import search

log = logging.getLogger(__name__)
DEFAULT_URL = "sqlite:///instance/complaints.db"
#: What a client is told to wait (Retry-After) when the database is unavailable.
RETRY_AFTER_SECONDS = 2
#: libpq settings that turn a dead server or network into an error within seconds instead
#: of a hang: a connect timeout, TCP keepalives, and a limit on unacknowledged sends.
PG_CONNECT_ARGS = {"keepalives": 1, "keepalives_idle": 10, "keepalives_interval": 5,
                   "keepalives_count": 3, "tcp_user_timeout": 15000}


def is_unavailable(exc: BaseException) -> bool:
    """Whether `exc` means the database could not be used right now (down, restarting,
    connection cut, SQLite locked, pool exhausted) rather than a bug: answered 503."""
    if isinstance(exc, (OperationalError, InterfaceError, PoolTimeout, DisconnectionError,
                        PendingRollbackError)):
        return True
    return isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)


def _sqlite_pragmas(dbapi_connection, _record):
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()
    search.register(dbapi_connection)     # the search table's triggers call it


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


def end_reads(conn: Connection) -> None:
    """End a transaction that only the driver began (statements run on its cursor).

    psycopg begins a transaction at the first statement; if only reads ran (a token
    lookup before a 4xx answer, say), commit it rather than let the pool roll it back:
    a ROLLBACK makes psycopg drop its prepared statements. SQLite's driver runs those
    reads in autocommit, so there is nothing to end.
    """
    if conn.dialect.name == "sqlite" or conn.closed or conn.invalidated or conn.in_transaction():
        return
    driver = conn.connection.driver_connection
    if driver.info.transaction_status == driver.info.transaction_status.INTRANS:
        try:
            driver.commit()
        except conn.dialect.loaded_dbapi.Error as exc:   # the pool's reset deals with it
            log.warning("could not end a read-only transaction: %s", exc)


def driver_autocommit(conn: Connection):
    """Put a PostgreSQL connection's driver in autocommit and return it (the caller hands
    it to `driver_transactional` when done); None on SQLite, whose driver already runs
    reads in autocommit and whose writers need BEGIN IMMEDIATE.

    A read-only transaction the driver began earlier (see `end_reads`) is committed
    first: psycopg cannot change the mode inside a transaction.
    """
    if conn.dialect.name == "sqlite":
        return None
    end_reads(conn)
    driver = conn.connection.driver_connection
    driver.autocommit = True
    return driver


def driver_transactional(driver) -> None:
    """Undo `driver_autocommit`. A connection that broke meanwhile is left as it is: the
    pool replaces it."""
    try:
        driver.autocommit = False
    except Exception as exc:
        log.warning("could not leave autocommit: %s", exc)


_DRIVER_DEFAULT = object()


def make_engine(url: str | None = None, connect_timeout: float = 5.0,
                prepare_threshold=_DRIVER_DEFAULT, **kwargs) -> Engine:
    """Create an engine for `url` (SQLite file by default) with the project's settings;
    `connect_timeout` (seconds, PostgreSQL) bounds how long a connection attempt may take;
    `prepare_threshold` (PostgreSQL) is psycopg's: after how many uses a statement is
    prepared on the server, None never (behind PgBouncer < 1.21 in transaction mode)."""
    url = make_url(url or DEFAULT_URL)
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "connect", _sqlite_driver_autocommit)
        engine.dialect.do_begin = _sqlite_do_begin
        return engine
    if "poolclass" not in kwargs:
        kwargs.setdefault("pool_size", 10)
        kwargs.setdefault("pool_recycle", 3600)
    connect_args = {**PG_CONNECT_ARGS, "connect_timeout": max(1, round(connect_timeout)),
                    **kwargs.pop("connect_args", {})}
    if prepare_threshold is not _DRIVER_DEFAULT:
        connect_args["prepare_threshold"] = prepare_threshold
    for name in list(connect_args):       # settings in the URL's query win
        if name in url.query:
            connect_args.pop(name)
    engine = create_engine(url, connect_args=connect_args, **kwargs)
    if not kwargs.get("pool_pre_ping"):
        _ping_when_idle(engine)
    return engine


#: A pooled PostgreSQL connection unused for this long is pinged before it is handed out.
IDLE_PING_SECONDS = 5.0
_IDLE_SINCE = "complaints_idle_since"


def _ping_when_idle(engine: Engine) -> None:
    """Ping a connection at checkout only if it sat idle in the pool for IDLE_PING_SECONDS.

    `pool_pre_ping` pings at every checkout: a round trip per unit of work, two per API
    action. A connection in steady use has just answered, so only idle ones are pinged
    (a database restart while idle costs no request); a dead one is replaced. A restart
    under load fails the requests in flight; SQLAlchemy then invalidates the whole pool.
    """
    dialect = engine.dialect

    @event.listens_for(engine, "checkin")
    def _checkin(_dbapi_connection, record):
        record.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checkout(dbapi_connection, record, _proxy):
        since = record.info.get(_IDLE_SINCE)
        if since is None or time.monotonic() - since < IDLE_PING_SECONDS:
            return
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as exc:
            log.warning("pooled connection is dead, replacing it: %s", exc)
            raise DisconnectionError() from exc
