"""Fixtures for the timer tests."""
from __future__ import annotations

import pytest

from tests.timers import helpers


@pytest.fixture
def worker_on():
    """Start workers on a fake clock; each is closed (its SQLite lease given up) afterwards."""
    started = []

    def start(rt, clock, **kwargs):
        worker = helpers.worker_on(rt, clock, **kwargs)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.close()
