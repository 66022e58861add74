"""Hot-path write statements compiled once per dialect and run on the DB-API cursor.

`Connection.execute` costs 20-50 µs per statement in SQLAlchemy's Python layers
(execution context, result object, events), which is most of an action's time once
the database work itself is ~60 µs. The few writes every action makes (the versioned
complaint update, the history insert, the clock updates) go through `Prepared`
instead: SQLAlchemy still compiles the statement for the connection's dialect and
still converts every value with the column types' own bind processors (UTC
timestamps, JSON, booleans); only the per-call machinery is skipped. Database errors
are re-raised as SQLAlchemy's `DBAPIError` subclasses, as `Connection.execute` would.
Reads stay on `Connection.execute`: their rows need SQLAlchemy's result processing.
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


class Prepared:
    """A DML statement compiled once per dialect and set of parameter names."""

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
                compiled)
        return entry

    def execute(self, conn, params: dict | list[dict]) -> int:
        """Run with one parameter dict (or a list: executemany); return the rowcount."""
        dialect = conn.dialect
        many = isinstance(params, list)
        rows = params if many else [params]
        entry = self._entry(dialect, tuple(sorted(rows[0])))
        procs, args = entry.processors, []
        for row in rows:
            values = entry.compiled.construct_params(row)
            for key, process in procs.items():
                values[key] = process(values[key])
            args.append(values if entry.positions is None
                        else tuple(values[k] for k in entry.positions))
        cursor = conn.connection.driver_connection.cursor()
        try:
            if many:
                cursor.executemany(entry.sql, args)
            else:
                cursor.execute(entry.sql, args[0])
            return cursor.rowcount
        except dialect.loaded_dbapi.Error as exc:
            raise DBAPIError.instance(entry.sql, args, exc, dialect.loaded_dbapi.Error,
                                      dialect=dialect) from exc
        finally:
            cursor.close()
