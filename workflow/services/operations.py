"""What an administrator does to keep the service running: build or migrate the schema,
back the database up, send a notification again, and load a year of the working-day
calendar (法定节假日与调休)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from workflow.admin import calendar as calendar_admin
from workflow.admin import directory
from workflow.store import backup, migrate, outbox
from workflow.store.backup import BackupError, BackupResult
from workflow.store.locks import WorkerRefused

__all__ = ["BackupError", "BackupResult", "Upgraded", "WorkerRefused", "backup_sqlite",
           "load_calendar_year", "pg_dump_command", "preview_calendar_year", "send_again",
           "upgrade_database"]


@dataclass(frozen=True)
class Upgraded:
    """Where `upgrade_database` left the database."""

    revision: str | None
    departments_added: int
    policy_number: int


def upgrade_database(rt) -> Upgraded:
    """Create or migrate the schema to the newest revision, store the first policy version
    if there is none, and add the catalogue's missing departments."""
    migrate.upgrade(rt.engine, policy=rt.bootstrap_policy)
    number = rt.refresh_policy().number     # the first policy version, if there is none
    with rt.uow() as uow:      # queues with other writers (SQLite: BEGIN IMMEDIATE)
        added = directory.ensure_departments(uow.conn)
        uow.commit()
    return Upgraded(migrate.current(rt.engine), added, number)


def backup_sqlite(url: str, target: Path, *, overwrite: bool = False) -> BackupResult:
    """Copy the SQLite database at `url` to `target` while the service runs."""
    return backup.backup_sqlite(url, target, overwrite=overwrite)


def pg_dump_command(url: str, target: str) -> list[str]:
    """The pg_dump command line that backs a PostgreSQL database up to `target`."""
    return backup.pg_dump_command(url, target)


def send_again(rt, notification_id: int, *, now: datetime) -> bool:
    """Make an unsent notification due now; False when there is no such unsent row."""
    with rt.uow() as uow:
        done = outbox.send_again(uow.conn, notification_id, now)
        uow.commit()
    return done


def load_calendar_year(rt, days: dict[date, bool], *, loaded_by: str,
                       now: datetime) -> calendar_admin.LoadResult:
    """Load one year's holidays and 调休 working days and recompute the deadlines that
    counted on fallback data for it."""
    with rt.uow() as uow:
        result = calendar_admin.load_year(uow, days, loaded_by=loaded_by, now=now)
        uow.commit()
    return result


def preview_calendar_year(rt, days: dict[date, bool], *, now: datetime):
    """The clocks the new days would move (changes nothing)."""
    with rt.uow(write=False) as uow:
        return calendar_admin.preview_year(uow, days, now=now)
