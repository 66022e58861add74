"""The runtime's parts, each on its own: the database, the policy registry, the calendar
cache and the unit of work (real SQLite files and PostgreSQL, a clock the test moves)."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from states.calendar import BusinessCalendar
from states.policy import load_policy
from states.process import PROCESS
from tests.timers.test_policy_versions import with_deadlines
from workflow.store import migrate, policies
from workflow.store.calendar_cache import CalendarCache
from workflow.store.database import Database
from workflow.store.db import make_engine
from workflow.store.locks import WriterLock
from workflow.store.policy_registry import PolicyRegistry
from workflow.store.runtime import Runtime
from workflow.store.schema import calendar_days, calendar_years, departments
from workflow.store.unit_of_work import UnitOfWork, track_writes

WHEN = datetime(2026, 11, 30, 1, 0, tzinfo=timezone.utc)


class Clock:
    """A monotonic clock that moves only when the test says so."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def engine(database_url):
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def store_version(engine, policy, activate: bool) -> int:
    with engine.begin() as conn:
        number, _ = policies.add(conn, policy, by="admin", now=WHEN)
        if activate:
            policies.activate(conn, number, by="admin", now=WHEN)
    return number


# --- the database ---

def test_a_sqlite_database_has_a_writer_lock_and_postgresql_none(engine):
    database = Database(engine)
    if engine.dialect.name == "sqlite":
        assert isinstance(database.sqlite_writer, WriterLock)
    else:
        assert database.sqlite_writer is None


def test_readers_inside_a_bound_request_share_its_one_connection(engine):
    database = Database(engine)
    with database.bound():
        with database.reader() as first:
            pass
        with database.reader() as second:
            assert second is first
            with database.reader() as nested:   # the bound one is busy: a connection of its own
                assert nested is not first
    with database.reader() as outside:
        assert outside is not first


def test_a_bound_connection_inside_a_transaction_is_not_handed_out(engine):
    database = Database(engine)
    with database.bound():
        with database.reader() as first:
            first.execute(text("SELECT 1"))     # SQLAlchemy began a transaction on it
        with database.reader() as second:
            assert second is not first


def test_a_request_bound_twice_keeps_its_first_connection(engine):
    database = Database(engine)
    with database.bound():
        with database.reader() as first:
            pass
        with database.bound(), database.reader() as inner:
            assert inner is first
        with database.reader() as after:
            assert after is first


# --- the policy registry ---

def test_the_start_up_file_becomes_version_one_of_a_database_that_has_none(engine):
    shipped = load_policy()
    registry = PolicyRegistry(engine, shipped)
    assert registry.active.number == 1
    assert registry.active.digest == shipped.digest
    with engine.connect() as conn:
        assert policies.active_number(conn) == 1


def test_an_activated_version_is_seen_once_the_refresh_interval_has_passed(engine):
    clock = Clock()
    registry = PolicyRegistry(engine, load_policy(), refresh_seconds=2, clock=clock)
    assert registry.active.number == 1
    number = store_version(engine, with_deadlines(load_policy(), normal={"reply": "3h"}), True)
    clock.now += 1.9
    registry.refresh_if_due()
    assert registry.active.number == 1
    clock.now += 0.1
    registry.refresh_if_due()
    assert registry.active.number == number == 2


def test_a_stored_version_is_read_once_and_an_unknown_one_is_a_lookup_error(engine):
    registry = PolicyRegistry(engine, load_policy())
    one = registry.version(registry.active.number)
    assert registry.version(1) is one
    with pytest.raises(LookupError, match="no policy version 9"):
        registry.version(9)


def test_a_registry_never_acts_on_the_file_before_the_database_can_store_it(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")     # no tables yet
    try:
        registry = PolicyRegistry(engine, load_policy())
        with pytest.raises(DBAPIError, match="policy_versions"):
            _ = registry.active
        migrate.upgrade(engine)
        assert registry.active.number == 1        # it looks again at once, not later
    finally:
        engine.dispose()


def test_a_registry_keeps_the_version_read_last_while_the_versions_are_unreadable(sqlite_url):
    engine = make_engine(sqlite_url)
    try:
        clock = Clock()
        registry = PolicyRegistry(engine, load_policy(), clock=clock)
        assert registry.active.number == 1
        with engine.begin() as conn:
            conn.execute(text("ALTER TABLE policy_versions RENAME TO hidden"))
        clock.now += 60
        assert registry.refresh().number == 1
    finally:
        engine.dispose()


# --- the calendar cache ---

def load_year(engine, year: int, days: dict[date, bool]) -> None:
    with engine.begin() as conn:
        conn.execute(calendar_years.insert().values(year=year, loaded_at=WHEN, loaded_by="admin"))
        for day, workday in days.items():
            conn.execute(calendar_days.insert().values(day=day.isoformat(), workday=workday))


def test_a_loaded_year_reaches_the_cache_at_its_next_refresh(engine):
    clock = Clock()
    cache = CalendarCache(engine, refresh_seconds=60, clock=clock)
    assert 2031 not in cache.refresh_if_due().loaded_years
    load_year(engine, 2031, {date(2031, 10, 11): True})
    clock.now += 59
    assert 2031 not in cache.refresh_if_due().loaded_years
    clock.now += 1
    calendar = cache.refresh_if_due()
    assert calendar is cache.calendar and 2031 in calendar.loaded_years
    assert calendar.is_workday(date(2031, 10, 11))[0] is True


def test_a_calendar_cache_before_the_tables_exist_keeps_the_built_in_years(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    try:
        cache = CalendarCache(engine)
        assert cache.refresh_if_due().is_workday(date(2026, 10, 10)) == \
            BusinessCalendar().is_workday(date(2026, 10, 10))
    finally:
        engine.dispose()


# --- the unit of work ---

def unit(engine, write=True, autocommit=False) -> UnitOfWork:
    registry = PolicyRegistry(engine, load_policy())
    return UnitOfWork(Database(engine), registry, BusinessCalendar(), PROCESS, write, autocommit)


def count_departments(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(departments)).scalar()


def test_a_unit_of_work_rolls_back_unless_committed(engine):
    with unit(engine) as uow:
        uow.conn.execute(departments.insert().values(code="test_dept", name_zh="测试部", name_en="Test"))
    assert count_departments(engine) == 0
    with unit(engine) as uow:
        uow.conn.execute(departments.insert().values(code="test_dept", name_zh="测试部", name_en="Test"))
        uow.commit()
    assert count_departments(engine) == 1


def test_only_a_unit_of_work_that_writes_counts_as_a_write(engine):
    with track_writes() as reads, unit(engine, write=False):
        pass
    with track_writes() as writes, unit(engine):
        pass
    assert (reads.begun, writes.begun) == (False, True)


def test_autocommit_applies_on_postgresql_only(engine):
    uow = unit(engine, autocommit=True)
    assert uow.autocommit is (engine.dialect.name == "postgresql")


def test_a_unit_of_work_reads_a_complaints_pinned_version(engine):
    uow = unit(engine)
    newer = store_version(engine, with_deadlines(load_policy(), normal={"reply": "3h"}), False)
    with uow:
        assert uow.policy.number == 1       # the active one, for new complaints

        class Pinned:
            policy_version = newer
        assert uow.policy_for(Pinned()).number == newer
        assert uow.policy_for(Pinned()).deadlines != uow.policy.deadlines


# --- the runtime composes them ---

def test_a_runtime_hands_each_unit_of_work_its_current_policy_and_calendar(engine):
    rt = Runtime(engine, load_policy())
    load_year(engine, 2031, {date(2031, 10, 11): True})
    with rt.uow(write=False) as uow:
        assert uow.calendar is rt.calendar and 2031 in uow.calendar.loaded_years
        assert uow.policy is rt.policy and uow.process is rt.process
        assert uow.database is rt.database and uow.policies is rt.policies
    assert rt.sqlite_writer is rt.database.sqlite_writer
    assert rt.bootstrap_policy is rt.policies.bootstrap
