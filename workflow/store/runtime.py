"""The workflow runtime: what a service needs, built once per process from its parts.

A `Runtime` only composes: the database (`workflow.store.database`: engine, SQLite writer
lock, request-bound connections), the policy versions (`workflow.store.policy_registry`),
the working-day calendar (`workflow.store.calendar_cache`) and the process table, and it
hands them to each unit of work (`workflow.store.unit_of_work`).
"""
from __future__ import annotations

import os
from contextlib import AbstractContextManager

from sqlalchemy.engine import Connection, Engine

from states.calendar import BusinessCalendar
from states.policy import Policy, load_policy
from states.process import PROCESS, Process
from workflow.settings import Settings
from workflow.store.calendar_cache import CalendarCache
from workflow.store.database import Database
from workflow.store.db import make_engine
from workflow.store.policy_registry import PolicyRegistry
from workflow.store.unit_of_work import UnitOfWork


def default_attachments_dir(engine: Engine) -> str:
    """Beside a SQLite database file (instance/attachments for the default database),
    else instance/attachments in the working directory."""
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if database and database != ":memory:":
        return os.path.join(os.path.dirname(os.path.abspath(database)), "attachments")
    return os.path.abspath(os.path.join("instance", "attachments"))


class Runtime:
    """Everything a service needs, built once per process."""

    def __init__(self, engine: Engine, policy: Policy, process: Process = PROCESS,
                 attachments_dir: str | None = None):
        """`policy` (the file this process was started with) becomes the database's first
        version when it has none; after that the active version in the database rules.
        `attachments_dir`: where evidence files go (None: `default_attachments_dir`)."""
        self.database = Database(engine)
        self.policies = PolicyRegistry(engine, policy)
        self.calendars = CalendarCache(engine)
        self.engine, self.process = engine, process
        self.attachments_dir = attachments_dir or default_attachments_dir(engine)

    @classmethod
    def from_settings(cls, settings: Settings) -> "Runtime":
        """Build from settings; a bad policy file raises PolicyError before anything starts."""
        policy = load_policy(settings.policy_path)
        engine = make_engine(settings.database_url, **settings.engine_options())
        return cls(engine, policy, attachments_dir=settings.attachments_dir)

    def uow(self, write: bool = True, autocommit: bool = False) -> UnitOfWork:
        """A new unit of work (a transaction that writes, unless `write=False`; see
        `UnitOfWork` for `autocommit`) on the policy and calendar known now."""
        self.policies.refresh_if_due()
        calendar = self.calendars.refresh_if_due()
        return UnitOfWork(self.database, self.policies, calendar, self.process,
                          write, autocommit)

    def bound(self) -> AbstractContextManager[None]:
        """Run a request on one connection (`Database.bound`)."""
        return self.database.bound()

    def reader(self) -> AbstractContextManager[Connection]:
        """A connection for single-statement reads on hot paths (`Database.reader`)."""
        return self.database.reader()

    @property
    def sqlite_writer(self):
        """The SQLite writer lock (None on PostgreSQL)."""
        return self.database.sqlite_writer

    @property
    def bootstrap_policy(self) -> Policy:
        """The policy file this process was started with."""
        return self.policies.bootstrap

    @property
    def policy(self) -> Policy:
        """The active policy version: the one new complaints are pinned to."""
        return self.policies.active

    def refresh_policy(self) -> Policy:
        """Read which policy version is active now."""
        return self.policies.refresh()

    def policy_version(self, number: int, conn: Connection | None = None) -> Policy:
        """Policy version `number` (immutable: read once per process)."""
        return self.policies.version(number, conn)

    @property
    def calendar(self) -> BusinessCalendar:
        """The working-day calendar as last loaded."""
        return self.calendars.calendar

    def reload_calendar(self) -> BusinessCalendar:
        """Load administrator-entered calendar days from the database now."""
        return self.calendars.reload()
