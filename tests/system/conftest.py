"""The system harness's private PostgreSQL cluster (the one tests/ops uses, never the
machine's shared server)."""
from __future__ import annotations

import glob
import os
import pwd
from pathlib import Path

import pytest

from tests.conftest import skip_or_fail
from tests.ops.conftest import PrivatePostgres


@pytest.fixture(scope="module")
def system_pg():
    """A PostgreSQL cluster of this module's own: the harness restarts and cuts it."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        skip_or_fail("PostgreSQL server binaries (/usr/lib/postgresql/*/bin) not installed: "
                     "the system harness needs a private cluster")
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            skip_or_fail("running as root without a `postgres` OS user to run the private cluster")
    cluster = PrivatePostgres(Path(found[-1]).parent)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.destroy()
