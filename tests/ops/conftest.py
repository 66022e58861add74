"""Fixtures for the operations tests: a private PostgreSQL cluster, real gunicorn
processes on loopback (the helpers themselves are in tests/servers.py, shared with
tests/system)."""
from __future__ import annotations

import pytest

from tests.servers import Gunicorn, started_private_cluster


@pytest.fixture(scope="session")
def private_pg():
    """A private PostgreSQL cluster for tests that restart or cut the database."""
    cluster = started_private_cluster("the database restart tests")
    try:
        yield cluster
    finally:
        cluster.destroy()


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
