"""The system harness's private PostgreSQL cluster (the one tests/ops uses, never the
machine's shared server)."""
from __future__ import annotations

import pytest

from tests.servers import started_private_cluster


@pytest.fixture(scope="module")
def system_pg():
    """A PostgreSQL cluster of this module's own: the harness restarts and cuts it."""
    cluster = started_private_cluster("the system harness tests")
    try:
        yield cluster
    finally:
        cluster.destroy()
