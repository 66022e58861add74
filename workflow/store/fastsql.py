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

Types are asked through their public API (`dialect_impl`, `bind_processor`,
`result_processor`) and the result columns are the statement's `exported_columns`. What
only SQLAlchemy's compiler knows (the bind names in the order the SQL has them, the
values fixed in the statement) is read in one place, `_binds`: the seam on SQLAlchemy.
tests/unit/test_fastsql_seam.py pins what it reads there and fails on a SQLAlchemy
release that changes it (setup.cfg allows 2.0.x only).
"""
from __future__ import annotations

import functools
import operator
import weakref
from typing import NamedTuple

from sqlalchemy.exc import DBAPIError


class _Entry(NamedTuple):
    sql: str
    positional: bool
    binds: tuple           # (bind name, key in the caller's dict or None, processor, fixed value)
    results: list          # [column names, [(index, result processor)]], set on first fetch
    columns: tuple         # the statement's result columns (name and type), in order
    pickers: dict          # (indices, keys) -> a row converter (`fetch`)


class Prepared:
    """A statement compiled once per dialect and set of parameter names."""

    def __init__(self, statement):
        self.statement = statement
        self._by_dialect: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def _entry(self, dialect, keys: tuple[str, ...]) -> _Entry:
        entries = self._by_dialect.setdefault(dialect, {})
        entry = entries.get(keys)
        if entry is None:
            entry = entries[keys] = self._compile(dialect, keys)
        return entry

    def _compile(self, dialect, keys: tuple[str, ...]) -> _Entry:
        sql, positional, found = _binds(self.statement, dialect, keys)
        # Which value each bind takes, worked out once: the caller's value for its key
        # (converted by the column type's bind processor at each call), or the value
        # fixed in the statement (e.g. `.values(status="stopped")`), converted now.
        binds = []
        for name, key, type_, value in found:
            process = type_.dialect_impl(dialect).bind_processor(dialect)
            if key in keys:
                binds.append((name, key, process, None))
            else:
                binds.append((name, None, None, process(value) if process else value))
        columns = tuple((c.name, c.type) for c in getattr(self.statement, "exported_columns", ()))
        return _Entry(sql, positional, tuple(binds), [], columns, {})

    def sql(self, dialect, keys: tuple[str, ...]) -> str:
        """The SQL text sent for parameters named `keys` on `dialect`."""
        return self._entry(dialect, tuple(keys)).sql

    @staticmethod
    def _args(entry: _Entry, row: dict):
        values = [fixed if key is None else (process(row[key]) if process else row[key])
                  for _name, key, process, fixed in entry.binds]
        if entry.positional:
            return tuple(values)
        return {name: value for (name, *_), value in zip(entry.binds, values)}

    def _run(self, conn, params: list[dict], many: bool):
        dialect = conn.dialect
        entry = self._entry(dialect, tuple(params[0]))    # one entry per key order used
        args = [self._args(entry, row) for row in params]
        cursor = conn.connection.driver_connection.cursor()
        try:
            if many and len(args) > 1:   # psycopg runs executemany in a pipeline: not for one row
                cursor.executemany(entry.sql, args)
            else:
                cursor.execute(entry.sql, args[0])
        except dialect.loaded_dbapi.Error as exc:
            cursor.close()
            raise _error(entry.sql, args, exc, dialect) from exc
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
            if len(entry.columns) != len(cursor.description):
                raise RuntimeError(f"{len(cursor.description)} columns came back for "
                                   f"{len(entry.columns)}: {entry.sql}")
            dialect = conn.dialect
            processors = [(i, type_.dialect_impl(dialect).result_processor(dialect, desc[1]))
                          for i, ((_, type_), desc) in enumerate(zip(entry.columns,
                                                                     cursor.description))]
            entry.results[:] = [tuple(name for name, _ in entry.columns),
                                [(i, p) for i, p in processors if p is not None]]
        return entry.results

    @staticmethod
    def _convert(names, processors, row) -> dict:
        values = list(row)
        for i, process in processors:   # only the columns whose type converts (times, JSON)
            values[i] = process(values[i])
        return dict(zip(names, values))

    def fetch(self, conn, params: dict) -> tuple[list, "functools.partial"]:
        """Run a SELECT; return the rows as the driver gave them and `picker(indices,
        keys=None)`, which gives a function converting the columns `indices` of such a
        row into a dict (under `keys`, default their names): for a caller that converts
        only the columns it needs. Pickers are built once per statement."""
        entry, cursor = self._run(conn, [params], False)
        try:
            rows = cursor.fetchall()
            if rows:
                self._results(entry, conn, cursor)
        finally:
            cursor.close()
        return rows, functools.partial(self._picker, entry)

    @staticmethod
    def _picker(entry: _Entry, indices: tuple[int, ...], keys: tuple[str, ...] | None = None):
        pick = entry.pickers.get((indices, keys))
        if pick is None:
            names, processors = entry.results
            by_index = dict(processors)
            convert = [(j, by_index[i]) for j, i in enumerate(indices) if i in by_index]
            columns = keys or tuple(names[i] for i in indices)
            get = operator.itemgetter(*indices)

            def pick(row) -> dict:
                values = list(get(row))
                for j, process in convert:
                    values[j] = process(values[j])
                return dict(zip(columns, values))
            entry.pickers[(indices, keys)] = pick
        return pick

    def first(self, conn, params: dict) -> dict | None:
        """Run a SELECT; return its first row as a dict converted by the column types, or None."""
        entry, cursor = self._run(conn, [params], False)
        try:
            row = cursor.fetchone()
            if row is None:
                return None
            names, processors = self._results(entry, conn, cursor)
        finally:
            cursor.close()
        return self._convert(names, processors, row)

    def all(self, conn, params: dict) -> list[dict]:
        """Run a SELECT; return every row as a dict converted by the column types."""
        entry, cursor = self._run(conn, [params], False)
        try:
            rows = cursor.fetchall()
            if not rows:
                return []
            names, processors = self._results(entry, conn, cursor)
        finally:
            cursor.close()
        return [self._convert(names, processors, row) for row in rows]


# The seam on SQLAlchemy: everything read from its compiler is read here.

def _binds(statement, dialect, keys: tuple[str, ...]) -> tuple[str, bool, list[tuple]]:
    """The statement compiled for `dialect` with parameters named `keys`: (SQL text,
    whether its binds are positional, and per bind in the order the SQL has them (name,
    key in the caller's dict, type, the value fixed in the statement))."""
    compiled = statement.compile(dialect=dialect, column_keys=list(keys))
    if compiled.literal_execute_params or compiled.post_compile_params:
        raise ValueError("Prepared statements cannot expand parameters")
    if compiled.escaped_bind_names:
        raise ValueError("Prepared statements need plain parameter names")
    fixed = compiled.construct_params(dict.fromkeys(keys))
    by_name = {name: bind for bind, name in compiled.bind_names.items()}
    names = compiled.positiontup if compiled.positional else list(by_name)
    return compiled.string, bool(compiled.positional), [
        (name, by_name[name].key, by_name[name].type, fixed[name]) for name in names]


def _error(sql: str, args, exc: Exception, dialect) -> DBAPIError:
    """The DB-API error as `Connection.execute` would raise it (IntegrityError, ...)."""
    return DBAPIError.instance(sql, args, exc, dialect.loaded_dbapi.Error, dialect=dialect)
