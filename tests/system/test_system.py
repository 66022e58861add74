"""The whole service under load and trouble: 2 web servers, 2 timer workers, PostgreSQL.

Clients file and act through the API for COMPLAINTS_SYSTEM_SECONDS (35 by default; the
long run is `COMPLAINTS_SYSTEM_SECONDS=600 make test PYTEST_ARGS=tests/system`) while a
timer worker is killed (SIGKILL) and restarted, a web server is killed and replaced, the
database's connections are cut and the server restarted. Every invariant is checked from
the database and printed (also in pytest's summary, under "system run").
"""
from __future__ import annotations

import os
import time

from tests.system.harness import System


def test_nothing_is_lost_or_done_twice_under_load_kills_and_a_database_restart(
        system_pg, tmp_path, record_property):
    seconds = float(os.environ.get("COMPLAINTS_SYSTEM_SECONDS", "35"))
    clients = int(os.environ.get("COMPLAINTS_SYSTEM_CLIENTS", "8"))
    system = System(system_pg, tmp_path, clients=clients)
    phases = []
    try:
        for phase in (system.start, lambda: system.run(seconds), system.settle):
            began = time.monotonic()
            phase()
            phases.append(time.monotonic() - began)
        results = system.check()
    finally:
        system.close()
    start, run, settle = phases
    lines = [f"system run: {seconds:.0f} s, {clients} clients, 2 web servers, 2 timer workers, "
             f"PostgreSQL (private cluster); start {start:.1f} s, run {run:.1f} s, catch-up "
             f"and stop {settle:.1f} s"]
    lines += [f"{'PASS' if held else 'FAIL'}  {name}: {figures}" for name, held, figures in results]
    report = "\n".join(lines)
    print("\n" + report)
    record_property("system_report", report)
    assert all(held for _, held, _ in results), report
