"""Hot-path statements compiled once per dialect and run on the DB-API cursor.

`Connection.execute` costs 20-50 µs per statement in SQLAlchemy's Python layers
(execution context, result object, events), which is most of an action's time once
the database work itself is ~60 µs. The statements every action runs (loading the
complaint, the versioned update, the history insert, the clock updates) go through
`Prepared` instead: SQLAlchemy still compiles them for the connection's dialect and
every value still passes through the column types' own bind and result processors
(UTC timestamps, JSON, booleans); only the per-call machinery is skipped. Database
errors are re-raised as SQLAlchemy's `DBAPIError` subclasses, as `Connection.execute`
would raise them.
"""
from __future__ import annotations

import weakref
from typing import NamedTuple

from sqlalchemy.exc import DBAPIError


class _Entry(NamedTuple):
    sql: str
    positions: tuple[str, ...] | None
    processors: dict
    compiled: object
    results: list          # (name, result processor) per column, filled on first fetch


class Prepared:
    """A statement compiled once per dialect and set of parameter names."""

    def __init__(self, statement):
        self.statement = statement
        self._by_dialect: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def _entry(self, dialect, keys: tuple[str, ...]) -> _Entry:
        entries = self._by_dialect.setdefault(dialect, {})
        entry = entries.get(keys)
        if entry is None:
            compiled = self.statement.compile(dialect=dialect, column_keys=list(keys))
            if compiled.literal_execute_params or compiled.post_compile_params:
                raise ValueError("Prepared statements cannot expand parameters")
            if compiled.escaped_bind_names:
                raise ValueError("Prepared statements need plain parameter names")
            entry = entries[keys] = _Entry(
                compiled.string, tuple(compiled.positiontup) if compiled.positional else None,
                {k: p for k, p in compiled._bind_processors.items() if p is not None},
                compiled, [])
        return entry

    def _run(self, conn, params: list[dict], many: bool):
        dialect = conn.dialect
        entry = self._entry(dialect, tuple(sorted(params[0])))
        procs, args = entry.processors, []
        for row in params:
            values = entry.compiled.construct_params(row)
            for key, process in procs.items():
                values[key] = process(values[key])
            args.append(values if entry.positions is None
                        else tuple(values[k] for k in entry.positions))
        cursor = conn.connection.driver_connection.cursor()
        try:
            if many and len(args) > 1:   # psycopg runs executemany in a pipeline: not for one row
                cursor.executemany(entry.sql, args)
            else:
                cursor.execute(entry.sql, args[0])
        except dialect.loaded_dbapi.Error as exc:
            cursor.close()
            raise DBAPIError.instance(entry.sql, args, exc, dialect.loaded_dbapi.Error,
                                      dialect=dialect) from exc
        return entry, cursor

    def execute(self, conn, params: dict | list[dict]) -> int:
        """Run with one parameter dict (or a list: executemany); return the rowcount."""
        many = isinstance(params, list)
        _, cursor = self._run(conn, params if many else [params], many)
        try:
            return cursor.rowcount
        finally:
            cursor.close()

    @staticmethod
    def _results(entry: _Entry, conn, cursor) -> list:
        if not entry.results:  # built whole, then swapped in: safe under threads
            entry.results[:] = [
                (col.name, col.type._cached_result_processor(conn.dialect, desc[1]))
                for col, desc in zip(entry.compiled._result_columns, cursor.description)]
        return entry.results

    def first(self, conn, params: dict) -> dict | None:
        """Run a SELECT; return its first row as a dict converted by the column types, or None."""
        entry, cursor = self._run(conn, [params], False)
        try:
            row = cursor.fetchone()
            if row is None:
                return None
            results = self._results(entry, conn, cursor)
        finally:
            cursor.close()
        return {name: process(value) if process else value
                for (name, process), value in zip(results, row)}

    def all(self, conn, params: dict) -> list[dict]:
        """Run a SELECT; return every row as a dict converted by the column types."""
        entry, cursor = self._run(conn, [params], False)
        try:
            rows = cursor.fetchall()
            if not rows:
                return []
            results = self._results(entry, conn, cursor)
        finally:
            cursor.close()
        return [{name: process(value) if process else value
                 for (name, process), value in zip(results, row)} for row in rows]
