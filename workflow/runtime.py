"""The workflow runtime: engine, policy, calendar and process, and units of work on them."""
from __future__ import annotations

import logging
from datetime import date

from sqlalchemy import select
from sqlalchemy.engine import Connection, Engine

from states.calendar import BusinessCalendar
from states.policy import Policy, load_policy
from states.process import PROCESS, Process
from workflow import db, schema
from workflow.db import make_engine
from workflow.settings import Settings

log = logging.getLogger(__name__)


class UnitOfWork:
    """One database transaction; rolls back on exit unless `commit()` was called."""

    def __init__(self, runtime: "Runtime", write: bool = True):
        self.runtime, self.write = runtime, write
        self.policy, self.calendar, self.process = runtime.policy, runtime.calendar, runtime.process
        self.conn: Connection | None = None

    def __enter__(self) -> "UnitOfWork":
        self.conn = self.runtime.engine.connect().execution_options(write=self.write)
        self._tx = db.begin(self.conn, self.write)
        return self

    def __exit__(self, *exc_info) -> None:
        try:
            if self._tx.is_active:
                self._tx.rollback()
        finally:
            self.conn.close()

    def commit(self) -> None:
        """Commit everything done in this unit of work."""
        self._tx.commit()


class Runtime:
    """Everything a service needs, built once per process."""

    def __init__(self, engine: Engine, policy: Policy, process: Process = PROCESS):
        self.engine, self.policy, self.process = engine, policy, process
        self.calendar = BusinessCalendar()

    @classmethod
    def from_settings(cls, settings: Settings) -> "Runtime":
        """Build from settings; a bad policy file raises PolicyError before anything starts."""
        policy = load_policy(settings.policy_path)
        return cls(make_engine(settings.database_url), policy)

    def uow(self, write: bool = True) -> UnitOfWork:
        """A new unit of work (a transaction that writes, unless `write=False`)."""
        return UnitOfWork(self, write)

    def reload_calendar(self) -> BusinessCalendar:
        """Load administrator-entered calendar days from the database."""
        with self.engine.connect() as conn:
            days = {date.fromisoformat(r.day): r.workday
                    for r in conn.execute(select(schema.calendar_days))}
            years = [r.year for r in conn.execute(select(schema.calendar_years.c.year))]
        self.calendar = BusinessCalendar(days, years)
        return self.calendar
