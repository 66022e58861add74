"""The Alembic migrations produce exactly the tables of `workflow.store.schema`, on both
databases; they are frozen history (no revision imports the application, and they give
the schema they always gave); every revision goes down and up again keeping the data."""
from __future__ import annotations

import ast
import uuid
from datetime import datetime, timezone
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, insert, inspect, select, text
from sqlalchemy.engine import make_url

from states.policy import load_policy
from tests.conftest import NO_PG, PG_URL, skip_or_fail
from tests.integration import schema_dump
from workflow.admin.directory import ensure_departments
from workflow.store import migrate, policies
from workflow.store.db import make_engine
from workflow.store.queries import search_clause
from workflow.store.schema import complaints as t
from workflow.store.schema import include_name, metadata

NOW = datetime(2026, 11, 20, 4, 0, tzinfo=timezone.utc)


# SQLAlchemy cannot reflect SQLite's expression indexes (the search's, left out by name)
@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
def test_the_migrated_database_matches_the_schema_module(database_url):
    engine = make_engine(database_url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True,
                                                         "include_name": include_name})
        assert compare_metadata(context, metadata) == []
        assert set(inspect(conn).get_table_names()) >= set(metadata.tables)
    assert migrate.current(engine) is not None
    engine.dispose()


def test_upgrading_an_up_to_date_database_changes_nothing(database_url):
    engine = make_engine(database_url)
    revision = migrate.current(engine)
    migrate.upgrade(engine)
    assert migrate.current(engine) == revision
    engine.dispose()


def test_complaints_filed_before_policy_versions_are_pinned_to_the_first_version(database_url):
    from sqlalchemy import text

    from states.policy import load_policy
    from workflow.store import policies
    from workflow.store.runtime import Runtime

    engine = make_engine(database_url)
    migrate.downgrade(engine, "0005_security")     # as a database was before versions
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO departments (code, name_zh, name_en) VALUES "
                          "('customer_service', '客户服务中心', 'CSC')"))
        conn.execute(text(
            "INSERT INTO complaints (state, version, mobile, channel, source, cause, text, "
            "routed_department, department, originating_department, major_reasons, "
            "policy_version, created_by, created_at, updated_at) VALUES ('received', 1, "
            "'13800000000', 'hotline', 'direct', 'coverage', '旧数据', 'customer_service', "
            "'customer_service', 'customer_service', '[]', 'a1b2c3d4e5f6', 'op', "
            "'2026-11-01 00:00:00', '2026-11-01 00:00:00')"))
    shipped = load_policy()
    migrate.upgrade(engine, policy=shipped)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT policy_version FROM complaints")).scalar() == 1
        assert policies.active_number(conn) == 1
        assert policies.get(conn, 1).digest == shipped.digest
    rt = Runtime(engine, shipped)
    assert rt.policy.number == 1 and rt.policy.digest == shipped.digest
    engine.dispose()


def _search(conn, query: str) -> set[int]:
    return set(conn.execute(select(t.c.id).where(search_clause(query))).scalars())


def test_complaints_stored_before_the_search_migration_are_found(database_url):
    engine = make_engine(database_url)
    migrate.downgrade(engine, "0007_pages")
    policies.ensure_first(engine, load_policy(), by="test", now=NOW)
    with engine.begin() as conn:
        ensure_departments(conn)
        conn.execute(insert(t), [dict(
            id=7, state="received", version=1, mobile="13812345678", customer_name="周老师",
            channel="hotline", source="direct", cause="coverage", text="旧数据：车库没有信号",
            routed_department="network", department="network",
            originating_department="customer_service", escalation_level=0, major_reasons=[],
            policy_version=1, created_by="op", created_at=NOW, updated_at=NOW)])
    migrate.upgrade(engine)
    with engine.connect() as conn:
        assert _search(conn, "车库") == _search(conn, "老师") == _search(conn, "5678") == {7}
        assert _search(conn, "车库信号") == set()
    engine.dispose()


VERSIONS = Path(migrate.alembic_config().get_main_option("script_location")) / "versions"
APPLICATION = ("workflow", "states", "web", "complaints", "timers")


def test_no_revision_imports_the_application():
    imported = {}
    for path in sorted(VERSIONS.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            imported.update({f"{path.name}: {n}": n for n in names
                             if n.split(".")[0] in APPLICATION})
    assert len(list(VERSIONS.glob("*.py"))) >= 11
    assert not imported, sorted(imported)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_engine(request, tmp_path):
    """An engine on a database with nothing in it: a new SQLite file, or a new PostgreSQL
    database of this test's own (dropped afterwards)."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
        yield engine
        engine.dispose()
        return
    if not PG_URL:
        skip_or_fail(NO_PG)
    name = f"complaints_mig_{uuid.uuid4().hex[:10]}"
    admin = create_engine(make_url(PG_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(make_url(PG_URL).set(database=name).render_as_string(hide_password=False))
    yield engine
    engine.dispose()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_the_revisions_give_the_schema_they_always_gave(empty_engine):
    migrate.upgrade(empty_engine, schema_dump.FROZEN_AT)
    with empty_engine.connect() as conn:
        expected = schema_dump.snapshot(conn.dialect.name).read_text("utf-8")
        assert schema_dump.dump(conn) == expected
