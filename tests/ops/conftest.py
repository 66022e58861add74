"""Fixtures for the operations tests: a private PostgreSQL cluster, real gunicorn and
worker processes on loopback.

The private cluster lives in a temporary directory on a free port and is the only
server these tests ever restart, stop or cut connections on: the machine's PostgreSQL
on 5432 is shared with other test runs and is never touched. It needs the server
binaries (/usr/lib/postgresql/*/bin); without them the tests skip (fail in CI).
"""
from __future__ import annotations

import glob
import http.client
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import skip_or_fail, wait_for

ROOT = Path(__file__).resolve().parents[2]
COMPLAINTS = str(Path(sys.executable).with_name("complaints"))


def free_port() -> int:
    """A TCP port free on loopback now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PrivatePostgres:
    """A PostgreSQL cluster of this test session's own (initdb in a temp dir, free port)."""

    def __init__(self, bindir: Path):
        self.bindir = bindir
        self.home = Path(tempfile.mkdtemp(prefix="complaints-pg-"))
        self.data, self.log = self.home / "data", self.home / "server.log"
        self.port = free_port()
        self.as_postgres = os.geteuid() == 0     # root may not run the server
        if self.as_postgres:
            user = pwd.getpwnam("postgres")
            os.chown(self.home, user.pw_uid, user.pw_gid)
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust",
                  "-E", "UTF8", "--locale=C.UTF-8")
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, tool: str, *args: str, timeout: float = 60) -> None:
        command = [str(self.bindir / tool), *args]
        if self.as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=timeout, cwd=self.home)

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        options = (f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.home} "
                   "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                   "-c max_connections=80 -c shared_buffers=32MB")
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w",
                  "start")

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (fast: in-flight transactions are rolled back, clients cut)."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def restart(self) -> None:
        """Stop and start again, waiting until it accepts connections."""
        self.stop()
        self.start()

    def database(self, name: str) -> str:
        """Create database `name` and return its URL."""
        engine = create_engine(self.url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        engine.dispose()
        return self.url.rsplit("/", 1)[0] + f"/{name}"

    def cut_connections(self, database: str) -> int:
        """pg_terminate_backend on every other connection to `database` of this cluster."""
        engine = create_engine(self.url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            pids = conn.execute(text(
                "SELECT pid FROM pg_stat_activity WHERE datname = :db "
                "AND pid <> pg_backend_pid()"), {"db": database}).scalars().all()
            for pid in pids:
                conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            # pg_terminate_backend only signals: the cut is done once those backends are
            # gone (a connection checked out before that may still answer a ping).
            wait_for(lambda: not conn.execute(text(
                "SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(:pids)"),
                {"pids": list(pids)}).scalar(), 10, "the cut connections to end")
        engine.dispose()
        return len(pids)

    def destroy(self) -> None:
        """Stop the server at once and remove its directory."""
        try:
            self.stop("immediate")
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.home, ignore_errors=True)


def started_private_cluster(needed_by: str):
    """Start a PrivatePostgres, or skip (fail in CI) saying why `needed_by` cannot have one;
    the caller destroys it."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        skip_or_fail("PostgreSQL server binaries (/usr/lib/postgresql/*/bin) not installed: "
                     f"{needed_by} need a private cluster")
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            skip_or_fail("running as root without a `postgres` OS user to run the private cluster")
    cluster = PrivatePostgres(Path(found[-1]).parent)
    try:
        cluster.start()
    except BaseException:
        cluster.destroy()
        raise
    return cluster


@pytest.fixture(scope="session")
def private_pg():
    """A private PostgreSQL cluster for tests that restart or cut the database."""
    cluster = started_private_cluster("the database restart tests")
    try:
        yield cluster
    finally:
        cluster.destroy()


def ops_env(url: str, **extra) -> dict:
    """The environment of a web or worker process on `url`."""
    return {**os.environ, "COMPLAINTS_DATABASE_URL": url, "COMPLAINTS_SECRET_KEY": "ops-test-" + "k" * 32,
            "COMPLAINTS_API_RATE_LIMIT": "0", "PYTHONPATH": str(ROOT), **extra}


class Gunicorn:
    """`gunicorn -c gunicorn.conf.py` on a free loopback port, as in production."""

    def __init__(self, url: str, log: Path, workers: int = 2, threads: int = 2, **env):
        self.port = free_port()
        self.env = ops_env(url, COMPLAINTS_BIND=f"127.0.0.1:{self.port}",
                           COMPLAINTS_WEB_WORKERS=str(workers),
                           COMPLAINTS_WEB_THREADS=str(threads), **env)
        self.log = log
        with open(log, "ab") as handle:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py")],
                cwd=ROOT, env=self.env, stdout=handle, stderr=subprocess.STDOUT)
        wait_for(self._answers, 60, "gunicorn to answer /healthz")

    def _answers(self) -> bool:
        if self.proc.poll() is not None:
            raise AssertionError(f"gunicorn exited: {self.log.read_text(errors='replace')}")
        try:
            return self.get("/healthz")[0] == 200
        except OSError:
            return False

    def get(self, path: str, headers: dict | None = None) -> tuple[int, dict, bytes]:
        """GET on a fresh connection: (status, headers, body)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request("GET", path, headers=headers or {})
            response = conn.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            conn.close()

    def stop(self) -> None:
        """SIGTERM and wait; kill if it does not end."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=30)


@pytest.fixture
def gunicorn_on(tmp_path):
    """Start gunicorn processes for the test (`gunicorn_on(url, **kw)`); all stopped after."""
    started: list[Gunicorn] = []

    def start(url: str, **kwargs) -> Gunicorn:
        server = Gunicorn(url, tmp_path / f"gunicorn-{len(started)}.log", **kwargs)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
