"""`complaints check` before start, and backups taken while the service writes, restored."""
from __future__ import annotations

import shutil
import subprocess
import threading
import uuid

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from complaints.cli import main
from tests.conftest import OPERATOR, complaint_values, make_runtime
from workflow import services
from workflow.store import migrate
from workflow.store.db import make_engine
from workflow.store.schema import complaints, deadlines, events, utcnow


def run(*args, **env):
    """The command in-process with exactly this environment (plus a secret key)."""
    env = {"COMPLAINTS_SECRET_KEY": "check-test-" + "k" * 32, **env}
    return CliRunner().invoke(main, list(args), env=env)


def test_check_passes_on_a_migrated_database(sqlite_url):
    result = run("check", COMPLAINTS_DATABASE_URL=sqlite_url)
    assert result.exit_code == 0, result.output
    assert "数据库连接正常" in result.output and "表结构为最新" in result.output
    assert result.output.rstrip().endswith("检查通过 all checks passed")


def test_check_names_a_missing_database_file_and_creates_nothing(tmp_path):
    missing = tmp_path / "nowhere" / "complaints.db"
    result = run("check", COMPLAINTS_DATABASE_URL=f"sqlite:///{missing}")
    assert result.exit_code == 1
    assert f"数据库文件不存在 {missing} does not exist: run `complaints db upgrade`" in result.output
    assert not missing.parent.exists()


def test_check_names_bad_settings_and_a_missing_secret(sqlite_url):
    result = CliRunner().invoke(main, ["check"], env={
        "COMPLAINTS_DATABASE_URL": sqlite_url, "COMPLAINTS_SECRET_KEY": None,
        "COMPLAINTS_WEB_WORKERS": "two", "COMPLAINTS_LOG_FORMAT": "xml",
        "COMPLAINTS_API_RATE_LIMIT": "many"})
    assert result.exit_code == 1
    out = result.output
    assert "COMPLAINTS_SECRET_KEY is not set" in out
    assert "COMPLAINTS_WEB_WORKERS='two'" in out and "COMPLAINTS_LOG_FORMAT='xml'" in out
    assert "错误 FAIL  取值无效" in out and "检查未通过" in out
    short = run("check", COMPLAINTS_DATABASE_URL=sqlite_url, COMPLAINTS_SECRET_KEY="x")
    assert short.exit_code == 1 and "COMPLAINTS_SECRET_KEY is shorter than 32 bytes" in short.output
    worker = CliRunner().invoke(main, ["check", "--worker"], env={
        "COMPLAINTS_DATABASE_URL": sqlite_url, "COMPLAINTS_SECRET_KEY": None})
    assert worker.exit_code == 0, worker.output      # a timer worker needs no session key


def test_check_never_prints_the_password_of_an_unreachable_database():
    url = "postgresql+psycopg://complaints:Hunter2-s3cret@127.0.0.1:9/complaints"
    result = run("check", COMPLAINTS_DATABASE_URL=url)
    assert result.exit_code == 1
    assert "无法连接数据库 cannot connect to postgresql+psycopg://complaints:***@127.0.0.1:9" \
        in result.output
    assert "Hunter2" not in result.output


def test_check_says_to_migrate_an_older_schema(sqlite_url):
    engine = make_engine(sqlite_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    engine.dispose()
    result = run("check", COMPLAINTS_DATABASE_URL=sqlite_url)
    assert result.exit_code == 1
    assert "数据库版本过旧 the database is at revision 0001" in result.output
    assert "run `complaints db upgrade`" in result.output


class Filing(threading.Thread):
    """Files complaints one after another until stopped; keeps the ids it committed."""

    def __init__(self, rt):
        super().__init__(daemon=True)
        self.rt, self.committed, self.stop = rt, [], threading.Event()
        self.errors: list[BaseException] = []

    def run(self):
        n = 0
        try:
            while not self.stop.is_set():
                n += 1
                values = complaint_values(mobile=f"1390000{n:04d}", text=f"备份期间受理的第{n}件投诉")
                self.committed.append(services.intake(self.rt, OPERATOR, values,
                                                      now=utcnow()).complaint.id)
        except BaseException as exc:
            self.errors.append(exc)


def holdings(url: str) -> tuple[set[int], int, int]:
    """(complaint ids, intake events, live deadline rows) in a database."""
    engine = create_engine(url)
    with engine.connect() as conn:
        ids = set(conn.execute(select(complaints.c.id)).scalars())
        intakes = conn.execute(select(func.count()).select_from(events)
                               .where(events.c.action == "intake")).scalar()
        clocks = conn.execute(select(func.count(func.distinct(deadlines.c.complaint_id)))).scalar()
    engine.dispose()
    return ids, intakes, clocks


def test_a_sqlite_backup_taken_while_writing_restores_to_a_current_database(sqlite_url, tmp_path):
    (tmp_path / "backups").mkdir()
    rt = make_runtime(sqlite_url)
    writer = Filing(rt)
    writer.start()
    try:
        while len(writer.committed) < 20:
            writer.join(0.05)
        before = list(writer.committed)
        result = run("backup", str(tmp_path / "backups"), COMPLAINTS_DATABASE_URL=sqlite_url)
        during = len(writer.committed)
    finally:
        writer.stop.set()
        writer.join(30)
        rt.engine.dispose()
    assert not writer.errors and result.exit_code == 0, result.output
    assert during > len(before)                  # the service kept writing meanwhile
    [copy] = (tmp_path / "backups").glob("complaints-*.db")
    assert f"备份完成 backup written to {copy}" in result.output
    assert not list((tmp_path / "backups").glob("*-wal"))      # one self-contained file
    restored = tmp_path / "restored" / "complaints.db"
    restored.parent.mkdir()
    shutil.copy(copy, restored)                  # a restore: the copy put in place
    url = f"sqlite:///{restored}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    assert migrate.current(engine) in migrate.heads()
    engine.dispose()
    ids, intakes, clocks = holdings(url)
    assert set(before) <= ids                    # everything committed before it began
    assert intakes == len(ids) == clocks         # and nothing half: each with its event, clocks
    assert ids <= set(writer.committed)
    assert run("check", COMPLAINTS_DATABASE_URL=url).exit_code == 0


def test_a_backup_does_not_overwrite_an_existing_file(sqlite_url, tmp_path):
    target = tmp_path / "copy.db"
    target.write_bytes(b"keep me")
    result = run("backup", str(target), COMPLAINTS_DATABASE_URL=sqlite_url)
    assert result.exit_code == 1 and "exists (use --overwrite)" in result.output
    assert target.read_bytes() == b"keep me"
    assert run("backup", str(target), "--overwrite", COMPLAINTS_DATABASE_URL=sqlite_url).exit_code == 0
    assert target.read_bytes().startswith(b"SQLite format 3")


def test_backup_of_postgresql_points_to_pg_dump_without_the_password():
    url = "postgresql+psycopg://app:Hunter2-s3cret@db.internal:5432/complaints"
    result = run("backup", "/var/backups/complaints.dump", COMPLAINTS_DATABASE_URL=url)
    assert result.exit_code == 1
    assert "pg_dump --format=custom --no-owner --file=/var/backups/complaints.dump " \
           "postgresql://app@db.internal:5432/complaints" in result.output
    assert "Hunter2" not in result.output


@pytest.mark.postgres
def test_a_pg_dump_taken_while_writing_restores_to_a_current_database(pg_database_url, tmp_path):
    if not shutil.which("pg_dump") or not shutil.which("pg_restore"):
        pytest.skip("pg_dump / pg_restore not installed")
    rt = make_runtime(pg_database_url)
    writer = Filing(rt)
    writer.start()
    dump = tmp_path / "complaints.dump"
    libpq = make_url(pg_database_url).set(drivername="postgresql")
    try:
        while len(writer.committed) < 20:
            writer.join(0.05)
        before = list(writer.committed)
        subprocess.run(["pg_dump", "--format=custom", "--no-owner", f"--file={dump}",
                        libpq.render_as_string(hide_password=False)], check=True, timeout=120)
    finally:
        writer.stop.set()
        writer.join(30)
        rt.engine.dispose()
    assert not writer.errors
    name = f"complaints_restore_{uuid.uuid4().hex[:8]}"
    admin = create_engine(pg_database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    target = libpq.set(database=name)
    try:
        subprocess.run(["pg_restore", "--no-owner", "--exit-on-error",
                        f"--dbname={target.render_as_string(hide_password=False)}", str(dump)],
                       check=True, timeout=120)
        url = make_url(pg_database_url).set(database=name).render_as_string(hide_password=False)
        engine = make_engine(url)
        migrate.upgrade(engine)
        assert migrate.current(engine) in migrate.heads()
        engine.dispose()
        ids, intakes, clocks = holdings(url)
        assert set(before) <= ids and intakes == len(ids) == clocks
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
