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
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, Table, create_engine, insert, inspect, select, text
from sqlalchemy.engine import make_url

from states.policy import load_policy, parse_policy_text
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


@pytest.fixture(scope="module")
def pg_empty_url():
    """A PostgreSQL database of this module's own, never migrated by the session's fixtures
    (dropped at the end)."""
    if not PG_URL:
        skip_or_fail(NO_PG)
    name = f"complaints_mig_{uuid.uuid4().hex[:10]}"
    admin = create_engine(make_url(PG_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_engine(request, tmp_path):
    """An engine on a database with nothing in it: a new SQLite file, or this module's
    PostgreSQL database with its schema emptied (quicker than a database per test)."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    else:
        engine = make_engine(request.getfixturevalue("pg_empty_url"))
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    yield engine
    engine.dispose()


@pytest.mark.parametrize("revision", schema_dump.FROZEN)
def test_the_revisions_give_the_schema_they_always_gave(empty_engine, revision):
    migrate.upgrade(empty_engine, revision)
    with empty_engine.connect() as conn:
        expected = schema_dump.snapshot(revision, conn.dialect.name).read_text("utf-8")
        assert schema_dump.dump(conn) == expected


def _rows(engine, names: dict[str, str]) -> None:
    """Insert rows (table: list of dicts) through tables reflected from the database."""
    with engine.begin() as conn:
        meta = MetaData()
        for table, rows in names.items():
            conn.execute(insert(Table(table, meta, autoload_with=conn)), rows)


def _seed(engine, revision: str) -> None:
    """Rows in what `revision` adds, as an operator's work would leave them."""
    with engine.begin() as conn:
        for statement in _UPDATES.get(revision, ()):
            conn.execute(text(statement))
    _rows(engine, _SEEDS.get(revision, {}))


_AT = dict(created_at=NOW)
_SEEDS = {
    "0001": {
        "departments": [dict(code="customer_service", name_zh="客户服务中心", name_en="CSC"),
                        dict(code="network", name_zh="网络维护中心", name_en="Network")],
        "users": [dict(id=1, username="zhangwei", display_name="张伟", role="handler",
                       department="network", **_AT)],
        "api_tokens": [dict(user_id=1, name="对账脚本", token_hash="a" * 64, **_AT)],
        "complaints": [dict(
            id=7, state="handling", version=3, mobile="13812345678", customer_name="周老师",
            channel="hotline", source="direct", cause="coverage", text="车库没有信号",
            routed_department="network", department="network",
            originating_department="customer_service", major_reasons=["media"],
            policy_version="a1b2c3d4e5f6", created_by="op", created_at=NOW, updated_at=NOW)],
        "events": [dict(complaint_id=7, at=NOW, actor="op", actor_role="operator",
                        action="receive", to_state="received", data={"note": "来电"})],
        "deadlines": [dict(complaint_id=7, kind="reply", track="normal", cycle=1,
                           duration="48h", status="active", started_at=NOW, warn_at=NOW,
                           due_at=NOW, next_at=NOW)],
        "outbox": [dict(complaint_id=7, kind="warning", recipients=["lead@example.cn"],
                        subject="时限提醒", body="投诉 7 的回复时限将到", **_AT)],
        "calendar_days": [dict(day="2026-10-10", workday=True, note="调休")],
        "calendar_years": [dict(year=2026, loaded_at=NOW, loaded_by="admin")],
        "liaisons": [dict(authority="gd_cab", name="李明", phone="020-12345678", updated_at=NOW)],
        "workers": [dict(name="worker-1", started_at=NOW, heartbeat_at=NOW)],
    },
    "0005_security": {
        "sign_ins": [dict(at=NOW, username="zhangwei", address="10.0.0.8", outcome="ok")],
        "personal_data_views": [dict(at=NOW, username="zhangwei", role="handler",
                                     complaint_id=7, channel="page")],
    },
    "0009_hot": {
        "hot_clusters": [dict(id=1, kind="place", cause="coverage", place="车公庙",
                              period_start=NOW, period_end=NOW, criterion="joint",
                              customers=3, escalated_by="desk", escalated_at=NOW)],
        "hot_cluster_members": [dict(cluster_id=1, complaint_id=7, outcome="joined")],
    },
    "0010_owner": {
        "inbox": [dict(username="zhangwei", complaint_id=7, kind="assigned",
                       subject="新的投诉", **_AT)],
    },
    "0011_evidence": {
        "attachments": [dict(complaint_id=7, original_name="录音.mp3", size=1024,
                             content_type="audio/mpeg", format="mp3", sha256="b" * 64,
                             uploaded_by="zhangwei", uploaded_at=NOW)],
    },
}
_UPDATES = {
    "0004_web": ("UPDATE complaints SET next_due_at = updated_at",),
    "0005_security": ("UPDATE users SET session_generation = 3",),
    "0008_reports": ("UPDATE complaints SET district = 'futian', location = '车公庙'",
                     "UPDATE outbox SET dedupe_key = 'scorecard-2026-11', "
                     "attachment_name = '月报.csv', attachment = NULL"),
    "0010_owner": ("UPDATE complaints SET handler_user = 'zhangwei'",
                   "UPDATE users SET lead = true"),
}
#: Written by the upgrade at the time it runs, so not the same after going down and up.
_WHEN_MIGRATED = {"policy_versions": {"loaded_at", "activated_at"}}


def _contents(engine) -> dict[str, list[tuple]]:
    """Every row of every table (the ones written at migration time without their times)."""
    with engine.connect() as conn:
        out = {}
        for name in inspect(conn).get_table_names():
            if name.startswith("complaint_search"):
                continue
            result = conn.exec_driver_sql(f"SELECT * FROM {name}")
            keep = [i for i, k in enumerate(result.keys()) if k not in _WHEN_MIGRATED.get(name, ())]
            out[name] = sorted(tuple(str(row[i]) for i in keep) for row in result)
        return out


def _revisions() -> list:
    script = ScriptDirectory.from_config(migrate.alembic_config())
    return list(reversed(list(script.walk_revisions())))


# SQLAlchemy cannot reflect SQLite's expression indexes (the search's)
@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
def test_every_revision_goes_down_and_up_again_keeping_the_rows_of_the_others(empty_engine):
    for script in _revisions():
        migrate.upgrade(empty_engine, script.revision)
        _seed(empty_engine, script.revision)
        if script.revision == "0006_policy":
            _check_0006_refuses_what_it_cannot_keep(empty_engine)
        rows = _contents(empty_engine)
        with empty_engine.connect() as conn:
            schema = schema_dump.structure(conn)
        migrate.downgrade(empty_engine, script.down_revision or "base")
        migrate.upgrade(empty_engine, script.revision)
        _seed(empty_engine, script.revision)      # what the revision itself adds goes with it
        assert _contents(empty_engine) == rows, script.revision
        with empty_engine.connect() as conn:
            assert schema_dump.structure(conn) == schema, script.revision
    assert migrate.current(empty_engine) in migrate.heads()
    with empty_engine.connect() as conn:
        if conn.dialect.name == "sqlite":     # off while migrating, on again afterwards
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert rows["complaints"] and conn.execute(text("SELECT policy_version, district "
                                                        "FROM complaints")).one() == (1, "futian")


def _check_0006_refuses_what_it_cannot_keep(engine) -> None:
    _rows(engine, {
        "policy_versions": [dict(id=2, digest="c" * 64, text="{}", source="测试", loaded_by="admin",
                                 loaded_at=NOW, active=False)],
        "clock_events": [dict(complaint_id=7, kind="reply", run=1, at=NOW, event="started",
                              policy_version=1, track="normal", duration="48h", warn_at=NOW,
                              due_at=NOW, confirmed=True, data={})],
    })
    rows = _contents(engine)
    with pytest.raises(RuntimeError) as refused:
        migrate.downgrade(engine, "0005_security")
    assert "拒绝降级" in str(refused.value) and "nothing was changed" in str(refused.value)
    assert "2 个策略版本" in str(refused.value) and "1 clock history entries" in str(refused.value)
    assert migrate.current(engine) == "0006_policy" and _contents(engine) == rows
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM clock_events"))
        conn.execute(text("DELETE FROM policy_versions WHERE id = 2"))


def test_0006_going_down_keeps_each_complaint_s_policy_as_its_content_hash(empty_engine):
    migrate.upgrade(empty_engine, "0005_security")
    _seed(empty_engine, "0001")
    migrate.upgrade(empty_engine, "0006_policy")
    with empty_engine.connect() as conn:
        row = policies.get(conn, 1)
        first = policies.parse_row(row)       # the frozen default still loads as a policy
    assert row.source == "default_policy.toml" and first.deadline("normal", "reply") is not None
    migrate.downgrade(empty_engine, "0005_security")
    with empty_engine.connect() as conn:
        assert conn.execute(text("SELECT policy_version FROM complaints")).scalar() == first.version


def test_0006_refuses_to_go_down_when_the_one_version_is_not_the_default_or_a_clock_restarted(
        empty_engine):
    migrate.upgrade(empty_engine, "0005_security")
    _seed(empty_engine, "0001")
    custom = parse_policy_text(load_policy().text.replace('reply = "48h"', 'reply = "36h"', 1),
                               "ours.toml")
    migrate.upgrade(empty_engine, "0006_policy", policy=custom)
    with empty_engine.begin() as conn:
        assert policies.parse_row(policies.get(conn, 1)).digest == custom.digest
        conn.execute(text("UPDATE deadlines SET run = 2"))
    with pytest.raises(RuntimeError) as refused:
        migrate.downgrade(empty_engine, "0005_security")
    assert "策略版本 1 不是默认策略" in str(refused.value)
    assert "1 个时限已重新计时" in str(refused.value)
    assert migrate.current(empty_engine) == "0006_policy"
