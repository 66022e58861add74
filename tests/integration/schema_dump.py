"""The schema of a database as text, every object in a fixed order, to compare a migrated
database with the one the same revisions produced before (`schema/*.txt`, one per
revision of `FROZEN` and database).

SQLite: each object's own `CREATE` statement as `sqlite_master` keeps it, its table
constraints sorted (a table that Alembic's batch mode rebuilt lists them in the order of
a Python set, which changes from run to run). PostgreSQL:
each table's columns (type, nullability, default, in the table's order), constraints,
indexes, triggers and functions, as the server prints them back.

Run as a script to write the files again after a deliberate change:
`python -m tests.integration.schema_dump sqlite:///... [postgresql+psycopg://...]`.
"""
from __future__ import annotations

import sys
from pathlib import Path

from sqlalchemy import text

from workflow.store import migrate
from workflow.store.db import make_engine

#: The revisions whose schema is kept as a file: each a fresh database migrated to it must
#: give again (the newest of them, and every later one, is also compared with `schema.py`).
FROZEN = ("0013_queue_counts", "0014_search_bigrams")
SNAPSHOTS = Path(__file__).parent / "schema"

_SQLITE = ("SELECT type, name, tbl_name, sql FROM sqlite_master "
           "WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name")
_PG = {
    "column": "SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), "
              "a.attnotnull, pg_get_expr(d.adbin, d.adrelid) FROM pg_attribute a "
              "JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
              "LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
              "WHERE n.nspname = 'public' AND c.relkind = 'r' AND a.attnum > 0 "
              "AND NOT a.attisdropped ORDER BY c.relname, a.attnum",
    "constraint": "SELECT t.relname, r.conname, pg_get_constraintdef(r.oid) FROM pg_constraint r "
                  "JOIN pg_class t ON t.oid = r.conrelid JOIN pg_namespace n "
                  "ON n.oid = t.relnamespace WHERE n.nspname = 'public' "
                  "ORDER BY t.relname, r.conname",
    "index": "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' "
             "ORDER BY tablename, indexname",
    "trigger": "SELECT c.relname, g.tgname, pg_get_triggerdef(g.oid) FROM pg_trigger g "
               "JOIN pg_class c ON c.oid = g.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
               "WHERE n.nspname = 'public' AND NOT g.tgisinternal ORDER BY c.relname, g.tgname",
    "function": "SELECT p.proname, pg_get_functiondef(p.oid) FROM pg_proc p JOIN pg_namespace n "
                "ON n.oid = p.pronamespace WHERE n.nspname = 'public' ORDER BY p.proname",
}


def _sorted_constraints(sql: str | None) -> str | None:
    if sql is None:
        return None
    lines = [line.rstrip(", ") for line in sql.splitlines()]
    constraints = sorted(line for line in lines if line.lstrip().startswith("CONSTRAINT"))
    others = [line for line in lines if not line.lstrip().startswith("CONSTRAINT")]
    return "\n".join(others[:-1] + constraints + others[-1:]) if constraints else sql


def dump(conn) -> str:
    """Every schema object on `conn`, one per line (statements keep their own newlines)."""
    if conn.dialect.name == "sqlite":
        rows = [("sqlite", kind, name, table, _sorted_constraints(sql))
                for kind, name, table, sql in conn.execute(text(_SQLITE))]
    else:
        rows = [(kind,) + tuple(r) for kind, query in _PG.items()
                for r in conn.execute(text(query))]
    return "".join(" | ".join(str(v) for v in row) + "\n" for row in rows)


def structure(conn) -> str:
    """The schema on `conn` as the database describes it, not as its statements were
    written: SQLite keeps a table's `CREATE` text as `ALTER TABLE` left it (quoted after a
    rename, a column added at the end of the text), so a table rebuilt by going down and up
    again reads differently there while being the same."""
    if conn.dialect.name != "sqlite":
        return dump(conn)
    lines = []
    for kind, name, sql in conn.exec_driver_sql(
            "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' "
            "ORDER BY type, name"):
        if kind != "table":
            lines.append(f"{kind} {name}: {sql}")
            continue
        for pragma in ("table_xinfo", "foreign_key_list", "index_list"):
            rows = conn.exec_driver_sql(f'PRAGMA {pragma}("{name}")').all()
            if pragma == "foreign_key_list":        # (id, seq) number them in text order
                rows = sorted(r[2:] for r in rows)
            if pragma == "index_list":              # (seq, name, unique, origin, partial)
                rows = sorted((r[1][:16] if r[3] != "c" else r[1],) + tuple(r[2:]) + tuple(
                    conn.exec_driver_sql(f'PRAGMA index_info("{r[1]}")').all()) for r in rows)
            lines += [f"{name} {pragma}: {tuple(r)}" for r in rows]
    return "\n".join(lines) + "\n"


def snapshot(revision: str, dialect: str) -> Path:
    """The file holding the schema a fresh database has at `revision` on `dialect`."""
    return SNAPSHOTS / f"{revision}.{dialect}.txt"


def main(urls: list[str]) -> None:
    """Migrate each (empty) database through `FROZEN` and write a schema file at each."""
    for url in urls:
        engine = make_engine(url)
        for revision in FROZEN:
            migrate.upgrade(engine, revision)
            with engine.connect() as conn:
                snapshot(revision, conn.dialect.name).write_text(dump(conn), "utf-8")
        engine.dispose()


if __name__ == "__main__":
    main(sys.argv[1:])
