"""The service behind PgBouncer in transaction pooling mode, prepared statements included.

A private PgBouncer (Debian's package; started as the `postgres` OS user when the tests
run as root) listens on a free loopback port in front of a database of the private
cluster, with fewer server connections than clients, so consecutive transactions of one
client land on different server connections. PgBouncer before 1.21 does not know
protocol-level prepared statements: psycopg prepares a statement on the server after
`prepare_threshold` (5) uses, and the next transaction, on another server connection,
fails ("prepared statement "_pg3_0" already exists" / "does not exist"). The service
then runs with COMPLAINTS_DB_PREPARE_THRESHOLD=none; from 1.21 on, PgBouncer is given
`max_prepared_statements` and psycopg keeps its default. Either way the API's intake
and actions from several threads, the timer worker's claim and fire, the API list and
a page all work through it.
"""
from __future__ import annotations

import os
import pwd
import re
import shutil
import subprocess
import tempfile
import threading
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text

from tests.apisupport import bearer, make_app, make_users_and_tokens
from tests.conftest import complaint_values, make_runtime, skip_or_fail, wait_for
from tests.servers import free_port
from timers.worker import Worker
from workflow.admin.directory import create_user
from workflow.settings import Settings
from workflow.store import migrate
from workflow.store.db import make_engine
from workflow.store.runtime import Runtime
from workflow.store.schema import events, utcnow

PGBOUNCER = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
#: The first PgBouncer that tracks protocol-level prepared statements.
PREPARED_SINCE = (1, 21)


def pgbouncer_version() -> tuple[int, int]:
    out = subprocess.run([PGBOUNCER, "--version"], capture_output=True, text=True,
                         timeout=30).stdout
    major, minor = re.search(r"PgBouncer (\d+)\.(\d+)", out).groups()
    return int(major), int(minor)


class PgBouncer:
    """PgBouncer in transaction mode on a free loopback port, in front of one database."""

    def __init__(self, host_port: int, database: str, pool_size: int = 2):
        self.version = pgbouncer_version()
        self.home = Path(tempfile.mkdtemp(prefix="complaints-pgbouncer-"))
        self.port = free_port()
        prepared = ("max_prepared_statements = 100\n" if self.version >= PREPARED_SINCE
                    else "")
        config = self.home / "pgbouncer.ini"
        config.write_text(
            f"[databases]\napp = host=127.0.0.1 port={host_port} dbname={database} user=postgres\n"
            f"[pgbouncer]\nlisten_addr = 127.0.0.1\nlisten_port = {self.port}\n"
            f"unix_socket_dir =\nauth_type = any\npool_mode = transaction\n"
            f"default_pool_size = {pool_size}\nmax_client_conn = 100\n"
            f"logfile = {self.home}/pgbouncer.log\n{prepared}")
        command = [PGBOUNCER, "-q", str(config)]
        if os.geteuid() == 0:                     # PgBouncer refuses to run as root
            user = pwd.getpwnam("postgres")
            os.chown(self.home, user.pw_uid, user.pw_gid)
            command = ["runuser", "-u", "postgres", "--", *command]
        self.proc = subprocess.Popen(command, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/app"
        wait_for(self._answers, 30, "PgBouncer to accept connections")

    def _answers(self) -> bool:
        if self.proc.poll() is not None:
            raise AssertionError("pgbouncer exited: " + self.log())
        engine = make_engine(self.url, connect_timeout=1)
        try:
            with engine.connect() as conn:
                return conn.execute(text("SELECT 1")).scalar() == 1
        except Exception:
            return False
        finally:
            engine.dispose()

    def log(self) -> str:
        path = self.home / "pgbouncer.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(30)
        shutil.rmtree(self.home, ignore_errors=True)


@pytest.fixture(scope="module")
def bouncer(private_pg):
    if not os.path.exists(PGBOUNCER):
        skip_or_fail("pgbouncer is not installed (apt-get install pgbouncer)")
    name = f"bouncer_{uuid.uuid4().hex[:8]}"
    direct = private_pg.database(name)
    engine = make_engine(direct)
    migrate.upgrade(engine)              # schema changes go to the server itself
    engine.dispose()
    pooler = PgBouncer(private_pg.port, name)
    pooler.direct = direct
    yield pooler
    pooler.stop()


def _hammer(engine, threads: int = 4, rounds: int = 60) -> list[str]:
    """The same parameterised statement from several threads, one transaction each."""
    errors: list[str] = []

    def work():
        for i in range(rounds):
            try:
                with engine.connect() as conn:
                    conn.execute(text("SELECT CAST(:x AS integer) + 1"), {"x": i}).scalar()
                    conn.commit()
            except Exception as exc:
                errors.append(str(getattr(exc, "orig", exc)).splitlines()[0])

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(60)
    return errors


def test_psycopg_prepared_statements_behind_this_pgbouncer(bouncer):
    """Why COMPLAINTS_DB_PREPARE_THRESHOLD exists: with psycopg's default, statements
    prepared on one server connection break the next transaction on another, unless
    PgBouncer (≥ 1.21, max_prepared_statements) tracks them."""
    engine = make_engine(bouncer.url)
    try:
        errors = _hammer(engine)
    finally:
        engine.dispose()
    if bouncer.version >= PREPARED_SINCE:
        assert errors == []
    else:
        assert errors and all("prepared statement" in e for e in errors), errors
    never = make_engine(bouncer.url, prepare_threshold=None)
    try:
        assert _hammer(never) == []
    finally:
        never.dispose()


def test_the_service_works_through_pgbouncer_in_transaction_mode(bouncer):
    setting = "" if bouncer.version >= PREPARED_SINCE else "none"
    settings = Settings.from_env({"COMPLAINTS_DATABASE_URL": bouncer.url,
                                  "COMPLAINTS_DB_PREPARE_THRESHOLD": setting})
    assert not [p for p in settings.problems(web=False) if "PREPARE" in p]
    setup = make_runtime(bouncer.direct)            # departments and the policy version
    tokens = make_users_and_tokens(setup)
    with setup.uow() as uow:
        create_user(uow.conn, "bouncerop", "连接池", "operator", "customer_service",
                    "bouncer-pass-2026", now=utcnow())
        uow.commit()
    setup.engine.dispose()
    rt = Runtime.from_settings(settings)
    with rt.engine.connect() as conn:
        threshold = conn.connection.driver_connection.prepare_threshold
    assert threshold == (5 if setting == "" else None)
    app = make_app(rt)
    operator, handler = bearer(tokens["wangli"]), bearer(tokens["zhangwei"])
    made: list[int] = []
    failures: list[tuple] = []

    def client(n: int):
        http = app.test_client()
        for k in range(3):
            answer = http.post("/api/v1/complaints", headers=operator, json=complaint_values(
                mobile=f"1390{n}{k}{uuid.uuid4().int % 10**5:05d}"))
            if answer.status_code != 201:
                failures.append(("intake", answer.status_code, answer.get_data(as_text=True)))
                continue
            cid = answer.json["id"]
            made.append(cid)
            for who, action, body in (
                    (operator, "assign", {"department": "network"}),
                    (handler, "accept", {}),
                    (handler, "contact", {"comment": "已联系客户。"}),
                    (handler, "contact", {"comment": "再次联系客户。"}),
                    (handler, "reply", {"comment": "已修复基站。"})):
                done = http.post(f"/api/v1/complaints/{cid}/actions/{action}", headers=who,
                                 json=body)
                if done.status_code != 200:
                    failures.append((action, done.status_code, done.get_data(as_text=True)))

    threads = [threading.Thread(target=client, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    try:
        assert failures == [] and len(made) == 12
        # the timer worker's claim (FOR UPDATE SKIP LOCKED) and fire: a week later every
        # replied complaint closes by itself
        worker = Worker(rt, now=lambda: utcnow() + timedelta(days=8)).start()
        try:
            fired = sum(worker.sweep() for _ in range(3))
        finally:
            worker.close()
        assert fired >= 12
        with rt.engine.connect() as conn:
            closed = set(conn.execute(select(events.c.complaint_id).where(
                events.c.action == "close", events.c.actor_role == "system")).scalars())
        assert closed == set(made)
        # the API list and a page
        http = app.test_client()
        listed = http.get("/api/v1/complaints?per_page=50", headers=operator)
        assert listed.status_code == 200 and {c["id"] for c in listed.json["items"]} >= set(made)
        csrf = CSRF.search(http.get("/login").get_data(as_text=True)).group(1)
        signed = http.post("/login", data={"username": "bouncerop",
                                           "password": "bouncer-pass-2026", "csrf_token": csrf})
        assert signed.status_code == 302
        number = next(c["number"] for c in listed.json["items"] if c["id"] == made[0])
        page = http.get(f"/complaints/{made[0]}")
        assert page.status_code == 200 and number in page.get_data(as_text=True)
    finally:
        rt.engine.dispose()



def test_the_web_application_takes_the_setting_from_the_environment(bouncer, monkeypatch):
    """What gunicorn's processes build (`web.wsgi` calls create_app()): an engine with
    the environment's prepare threshold, here through PgBouncer."""
    from web import create_app

    monkeypatch.setenv("COMPLAINTS_DATABASE_URL", bouncer.url)
    monkeypatch.setenv("COMPLAINTS_SECRET_KEY", "pgbouncer-test-" + "k" * 32)
    for raw, expected in (("none", None), ("7", 7)):
        monkeypatch.setenv("COMPLAINTS_DB_PREPARE_THRESHOLD", raw)
        engine = create_app().extensions["runtime"].engine
        try:
            with engine.connect() as conn:
                assert conn.connection.driver_connection.prepare_threshold == expected
        finally:
            engine.dispose()
