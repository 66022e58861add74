"""Shared fixtures: a runtime on a fresh SQLite file and (when configured) on PostgreSQL.

PostgreSQL tests read COMPLAINTS_TEST_POSTGRES_URL (e.g.
postgresql+psycopg://postgres@127.0.0.1:5432/test) and skip with that reason when it
is not set. Each test session (each xdist worker) migrates one template per database,
under a name of its own on the server, and each test gets a copy of it
(tests/databases.py): every test starts from empty, migrated tables, and several runs
on one server do not collide.
"""
from __future__ import annotations

import os
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import select

from states.policy import load_policy
from states.process import Role
from tests.databases import PostgresTemplates, copy_sqlite, migrate_sqlite
from workflow.admin.directory import ensure_departments
from workflow.domain.model import Actor
from workflow.store.db import make_engine
from workflow.store.runtime import Runtime

PG_URL = os.environ.get("COMPLAINTS_TEST_POSTGRES_URL")
NO_PG = "COMPLAINTS_TEST_POSTGRES_URL is not set: PostgreSQL tests skipped"
REQUIRE_ALL = os.environ.get("COMPLAINTS_TEST_REQUIRE_ALL") == "1"


def skip_or_fail(reason: str):
    """Skip on a laptop; fail in CI (COMPLAINTS_TEST_REQUIRE_ALL=1), where nothing may be skipped."""
    if REQUIRE_ALL:
        pytest.fail(f"{reason} (CI requires it)")
    pytest.skip(reason)


def wait_for(condition, timeout: float, what: str):
    """Poll `condition()` until it is truthy (bounded); return its value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """A SQLite file migrated once per session: tests get copies of it."""
    return migrate_sqlite(tmp_path_factory.mktemp("template") / "complaints.db")


@pytest.fixture(scope="session")
def demo_cache(tmp_path_factory) -> Path:
    """A folder every xdist worker of this run shares, where each size of the swept demo
    data is built once (tests/demo_site.py)."""
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent               # the run's folder above each worker's own
    cache = root / "demo-cache"
    cache.mkdir(exist_ok=True)
    return cache


@pytest.fixture(scope="session")
def pg_templates():
    """This session's migrated PostgreSQL template (its own name per xdist worker)."""
    if not PG_URL:
        skip_or_fail(NO_PG)
    templates = PostgresTemplates(PG_URL)
    yield templates
    templates.close()


@pytest.fixture
def pg_database_url(pg_templates):
    """A PostgreSQL database of this test's own, copied from the migrated template."""
    name = pg_templates.copy()
    yield pg_templates.url(name)
    pg_templates.drop(name)


@pytest.fixture
def database_url(request, tmp_path):
    """The URL of an empty, migrated database: a SQLite file, then PostgreSQL (see
    `pytest_generate_tests` for the tests that run on SQLite only)."""
    if request.param == "sqlite":
        return copy_sqlite(request.getfixturevalue("sqlite_template"), tmp_path / "complaints.db")
    return request.getfixturevalue("pg_database_url")


@pytest.fixture
def sqlite_url(sqlite_template, tmp_path):
    """The URL of an empty, migrated SQLite file (for tests about SQLite only)."""
    return copy_sqlite(sqlite_template, tmp_path / "complaints.db")


#: Test folders whose subject is the page, not the database: their tests run on SQLite
#: only, unless marked `both_databases` (the page shows what a dialect-specific query
#: found, or the test is about a write both databases must take alike).
PAGE_FOLDERS = ("web",)


def pytest_configure(config):
    config.addinivalue_line("markers", "both_databases: a page test that runs on SQLite and "
                                       "PostgreSQL (see PAGE_FOLDERS)")


def pytest_generate_tests(metafunc):
    """Run every test that uses `database_url` on SQLite, then PostgreSQL; page tests on
    SQLite only unless marked `both_databases`."""
    if "database_url" not in metafunc.fixturenames:
        return
    folder = Path(str(metafunc.definition.path)).parent.name
    both = folder not in PAGE_FOLDERS or metafunc.definition.get_closest_marker("both_databases")
    params = ["sqlite"]
    if both:
        params.append(pytest.param("postgresql", marks=pytest.mark.postgres))
    metafunc.parametrize("database_url", params, indirect=True)


def make_runtime(url: str, policy=None) -> Runtime:
    """A runtime on `url` with the departments loaded."""
    rt = Runtime(make_engine(url), policy or load_policy())
    # A unit of work, so that processes starting together queue for SQLite's write lock:
    # two plain (deferred) transactions that read, then write, fail with "locked".
    with rt.uow() as uow:
        ensure_departments(uow.conn)
        uow.commit()
    return rt


@pytest.fixture
def rt(database_url, tmp_path):
    """A workflow runtime on each database in turn (evidence files in the test's folder)."""
    runtime = make_runtime(database_url)
    runtime.attachments_dir = str(tmp_path / "attachments")
    yield runtime
    runtime.engine.dispose()


@pytest.fixture
def now():
    """A fixed, timezone-aware 'now' (Monday 2026-11-30 09:00 in Shanghai)."""
    return datetime(2026, 11, 30, 1, 0, tzinfo=timezone.utc)


OPERATOR = Actor("wangli", Role.operator, "customer_service", "王丽")
NETWORK = Actor("zhangwei", Role.handler, "network", "张伟")
MARKETING = Actor("lina", Role.handler, "marketing", "李娜")
DESK = Actor("chenjg", Role.major_desk, "customer_service", "陈建国")
AUDITOR = Actor("liufang", Role.auditor, "market_operations", "刘芳")


def add_holders(rt) -> None:
    """Two users in every department (`first_<code>`, `second_<code>`), so that a
    reassignment (`handler`, see `holder_for`) always has someone to name."""
    from states.catalogue import DEPARTMENTS
    from workflow.admin.directory import create_user
    from workflow.store.schema import users
    with rt.uow() as uow:
        have = set(uow.conn.execute(select(users.c.username)).scalars())
        for code in DEPARTMENTS:
            role = "major_desk" if code == "customer_service" else "handler"
            for name in (f"first_{code}", f"second_{code}"):
                if name not in have:
                    create_user(uow.conn, name, name, role, code, None,
                                now=datetime(2026, 11, 1, tzinfo=timezone.utc))
        uow.commit()


def holder_for(complaint) -> str:
    """Someone of the complaint's department who does not hold it (see `add_holders`)."""
    second = f"second_{complaint.department}"
    return f"first_{complaint.department}" if complaint.handler_user == second else second


def complaint_values(**overrides) -> dict:
    """A valid intake for a network-coverage complaint, with overrides."""
    values = dict(mobile="13812345678", channel="hotline", cause="coverage",
                  customer_name="黄先生", text="小区地下车库没有信号,打不了电话。")
    values.update(overrides)
    return values


# --- the system harness's report (tests/system) in the summary, also under xdist ---
_SYSTEM_REPORTS: list[str] = []


def pytest_runtest_logreport(report):
    """Keep the invariant report a system test recorded (it travels from xdist workers)."""
    if report.when == "call":
        _SYSTEM_REPORTS.extend(value for name, value in report.user_properties
                               if name == "system_report")


def pytest_terminal_summary(terminalreporter):
    """Print every system run's invariants, passed or failed."""
    for report in _SYSTEM_REPORTS:
        terminalreporter.write_sep("=", "system run")
        terminalreporter.write_line(report)
