"""Real processes on loopback for the operations and system tests (tests/ops, tests/system,
tests/timers): free ports, gunicorn and timer workers started and stopped, plain HTTP
requests, timed API calls, and a private PostgreSQL cluster.

The private cluster lives in a temporary directory on a free port and is the only
server these tests ever restart, stop or cut connections on: the machine's PostgreSQL
on 5432 is shared with other test runs and is never touched. It needs the server
binaries (/usr/lib/postgresql/*/bin); without them the tests skip (fail in CI).
"""
from __future__ import annotations

import glob
import http.client
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import requests
from sqlalchemy import create_engine, text

from tests.conftest import skip_or_fail, wait_for
from workflow.store import migrate
from workflow.store.db import make_engine

ROOT = Path(__file__).resolve().parents[1]
COMPLAINTS = str(Path(sys.executable).with_name("complaints"))


def free_port() -> int:
    """A TCP port free on loopback now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- plain HTTP on loopback ---
def http_request(port: int, method: str, path: str, body: dict | None = None,
                 headers: dict | None = None) -> tuple[int, dict, bytes]:
    """One request on a fresh connection to 127.0.0.1:`port` (a JSON body if given):
    (status, headers, body)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = dict(headers or {})
    payload = None
    if body is not None:
        payload = json.dumps(body)
        headers["Content-Type"] = "application/json"
    try:
        conn.request(method, path, body=payload, headers=headers)
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


@dataclass
class Call:
    """One HTTP request as a client saw it; status 0: no answer (connection lost)."""

    who: str
    method: str
    path: str
    started: float
    ended: float
    status: int
    retry_after: str | None = None
    content_type: str = ""
    body: str = ""


def timed_call(session: requests.Session, who: str, method: str, base: str, path: str,
               keep_body: int | None = 0, **kwargs) -> tuple[requests.Response | None, Call]:
    """One request through `session`, timed: (the response or None when the connection was
    lost, the Call to log). The Call keeps `keep_body` characters of the answer (None:
    all of it)."""
    started = time.monotonic()
    try:
        response = session.request(method, base + path, timeout=30, **kwargs)
    except requests.RequestException:         # refused, reset, cut mid-answer, timeout
        return None, Call(who, method, path, started, time.monotonic(), 0)
    return response, Call(who, method, path, started, time.monotonic(), response.status_code,
                          response.headers.get("Retry-After"),
                          response.headers.get("Content-Type", ""),
                          "" if keep_body == 0 else response.text[:keep_body])


# --- processes ---
def ops_env(url: str, **extra) -> dict:
    """The environment of a web or worker process on `url`."""
    return {**os.environ, "COMPLAINTS_DATABASE_URL": url, "COMPLAINTS_SECRET_KEY": "ops-test-" + "k" * 32,
            "COMPLAINTS_API_RATE_LIMIT": "0", "PYTHONPATH": str(ROOT), **extra}


def start_worker(url: str, log: Path, *args: str, env: dict | None = None) -> subprocess.Popen:
    """`complaints worker *args` in its own process on `url`, logging to the file `log`
    (`env`: the whole environment, `ops_env(url)` by default)."""
    with open(log, "ab") as handle:
        return subprocess.Popen([COMPLAINTS, "worker", *args], env=env or ops_env(url),
                                stdout=handle, stderr=subprocess.STDOUT)


def stop_process(process: subprocess.Popen, timeout: float = 30) -> bool:
    """SIGTERM and wait; SIGKILL if it does not end in `timeout` seconds. Whether it
    ended on the SIGTERM."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
        return True
    except subprocess.TimeoutExpired:
        process.kill()          # never leave a process behind
        process.wait(timeout=timeout)
        return False


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

    @property
    def base(self) -> str:
        """The server's base URL."""
        return f"http://127.0.0.1:{self.port}"

    def _answers(self) -> bool:
        if self.proc.poll() is not None:
            raise AssertionError(f"gunicorn exited: {self.log.read_text(errors='replace')}")
        try:
            return self.get("/healthz")[0] == 200
        except OSError:
            return False

    def get(self, path: str, headers: dict | None = None) -> tuple[int, dict, bytes]:
        """GET on a fresh connection: (status, headers, body)."""
        return http_request(self.port, "GET", path, headers=headers)

    def stop(self) -> None:
        """SIGTERM and wait; kill if it does not end."""
        stop_process(self.proc)


# --- a PostgreSQL cluster of the tests' own ---
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

    def migrated_database(self, name: str) -> str:
        """Create database `name`, migrate it to the newest revision and return its URL."""
        url = self.database(name)
        engine = make_engine(url)
        try:
            migrate.upgrade(engine)
        finally:
            engine.dispose()
        return url

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


def started_private_cluster(needed_by: str) -> PrivatePostgres:
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
