"""An online, consistent copy of the SQLite database while the service runs.

SQLite's backup API (`sqlite3.Connection.backup`) copies the database in one step, in one
read transaction: with WAL the copy is the database as of that transaction's start
(every commit before it, none after it), and writers are not blocked meanwhile. (A
copy in several steps would restart whenever another process writes, and might never
finish under load.) The copy is written beside the target, checked with SQLite's
`quick_check`, switched to a self-contained rollback journal (no `-wal` file to carry
along) and only then renamed into place: a failed backup never leaves a half file.

PostgreSQL is backed up with its own tools (`pg_dump`, docs/operations.md, Backups).
"""
from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import URL, make_url


class BackupError(Exception):
    """The backup could not be made; the message says why."""


@dataclass(frozen=True)
class BackupResult:
    """Where the copy is, its size, revision and how many complaints it holds."""

    path: Path
    size: int
    revision: str | None
    complaints: int


def sqlite_path(url: str) -> Path:
    """The database file of a SQLite URL; BackupError for anything else."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        raise BackupError("not a SQLite database")
    if not parsed.database or parsed.database == ":memory:":
        raise BackupError("a SQLite URL with a file is needed")
    return Path(parsed.database)


def backup_sqlite(url: str, target: Path, overwrite: bool = False) -> BackupResult:
    """Copy the SQLite database of `url` to `target` (a file, or a directory to put a
    timestamped file in), consistently, while other processes keep writing."""
    source = sqlite_path(url)
    if not source.is_file():
        raise BackupError(f"数据库文件不存在 {source} does not exist")
    if target.is_dir():
        from datetime import datetime
        target = target / f"complaints-{datetime.now():%Y%m%d-%H%M%S}.db"
    if target.exists() and not overwrite:
        raise BackupError(f"目标已存在 {target} exists (use --overwrite)")
    if target.resolve() == source.resolve():
        raise BackupError("the backup cannot replace the database itself")
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    src = sqlite3.connect(source, timeout=30)
    dst = sqlite3.connect(partial)
    try:
        src.backup(dst)                  # pages=-1: everything in one step, one snapshot
        dst.execute("PRAGMA journal_mode=DELETE")
        verdict = dst.execute("PRAGMA quick_check").fetchone()[0]
        if verdict != "ok":
            raise BackupError(f"the copy failed SQLite's check: {verdict}")
        revision = _scalar(dst, "SELECT version_num FROM alembic_version")
        complaints = _scalar(dst, "SELECT count(*) FROM complaints") or 0
    except sqlite3.Error as exc:
        partial.unlink(missing_ok=True)
        raise BackupError(f"备份失败 backup failed: {exc}") from exc
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    finally:
        dst.close()
        src.close()
    with open(partial, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(partial, target)
    return BackupResult(target, target.stat().st_size, revision, complaints)


def _scalar(conn, sql: str):
    try:
        row = conn.execute(sql).fetchone()
    except sqlite3.OperationalError:       # no such table: not migrated
        return None
    return row[0] if row else None


def pg_dump_command(url: str, target: str) -> list[str]:
    """The pg_dump command for a PostgreSQL URL, without its password (libpq reads it
    from PGPASSWORD or ~/.pgpass)."""
    p = make_url(url)
    libpq = URL.create("postgresql", p.username, None, p.host, p.port, p.database,
                       p.query).render_as_string(hide_password=False)
    return ["pg_dump", "--format=custom", "--no-owner", f"--file={target}", libpq]
