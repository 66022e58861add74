"""Real worker processes on real databases: real time, crashes, two workers, one lease."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from importlib import resources
from pathlib import Path

import pytest
from sqlalchemy import func, select

from states.policy import load_policy
from tests.conftest import NETWORK, OPERATOR, complaint_values, make_runtime, wait_for
from timers import loadgen
from timers.worker import Worker
from workflow import services
from workflow.store.locks import WorkerRefused
from workflow.store.schema import deadlines, events, utcnow, workers

COMPLAINTS = str(Path(sys.executable).with_name("complaints"))


def _env(url: str, policy: Path | None = None) -> dict:
    env = dict(os.environ, COMPLAINTS_DATABASE_URL=url)
    if policy:
        env["COMPLAINTS_POLICY"] = str(policy)
    return env


def start_worker(url, *args, policy=None, log: Path) -> subprocess.Popen:
    """`complaints worker` in its own process, logging to the file `log`."""
    with open(log, "ab") as handle:
        return subprocess.Popen([COMPLAINTS, "worker", *args], env=_env(url, policy),
                                stdout=handle, stderr=subprocess.STDOUT)


def stop(process: subprocess.Popen) -> None:
    """Stop a worker process (SIGTERM) and wait for it to end."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()          # never leave a worker behind, then fail
        process.wait(timeout=20)
        raise


def scalar(rt, query):
    with rt.engine.connect() as conn:
        return conn.execute(query).scalar()


def escalations(rt) -> Counter:
    """How many escalate events each complaint has."""
    with rt.engine.connect() as conn:
        return Counter(conn.execute(select(events.c.complaint_id)
                                    .where(events.c.action == "escalate")).scalars())


def heartbeats(rt) -> int:
    return scalar(rt, select(func.count()).select_from(workers))


def test_a_running_worker_escalates_a_complaint_left_in_handling_within_a_second_of_its_deadline(
        database_url, tmp_path):
    text = resources.files("states").joinpath("default_policy.toml").read_text("utf-8")
    policy_path = tmp_path / "policy.toml"
    policy_path.write_text(text.replace('reply = "48h"', 'reply = "3s"', 1), encoding="utf-8")
    rt = make_runtime(database_url, load_policy(policy_path))
    worker = start_worker(database_url, policy=policy_path, log=tmp_path / "worker.log")
    try:
        wait_for(lambda: heartbeats(rt), 30, "the worker's first heartbeat")
        started = utcnow()
        cid = services.intake(rt, OPERATOR, complaint_values(), now=started).complaint.id
        services.act(rt, cid, "assign", OPERATOR, now=started, department="network")
        services.act(rt, cid, "accept", NETWORK, now=started)
        due = started + timedelta(seconds=3)
        escalated_at = wait_for(lambda: scalar(rt, select(events.c.at).where(
            events.c.complaint_id == cid, events.c.action == "escalate")), 10, "the escalation")
        assert due <= escalated_at <= due + timedelta(seconds=1)
    finally:
        stop(worker)
        rt.engine.dispose()


def test_a_second_worker_on_the_same_sqlite_file_refuses_to_start(sqlite_url, tmp_path):
    rt = make_runtime(sqlite_url)
    first = start_worker(sqlite_url, log=tmp_path / "worker.log")
    try:
        wait_for(lambda: heartbeats(rt), 30, "the first worker's heartbeat")
        second = subprocess.run([COMPLAINTS, "worker", "--once"], env=_env(sqlite_url),
                                capture_output=True, text=True, timeout=60)
        assert second.returncode == 1
        assert f"Another timer worker (pid {first.pid}) already runs" in second.stderr
        assert "另一个计时进程" in second.stderr
        with pytest.raises(WorkerRefused):
            Worker(rt).start()
    finally:
        stop(first)
        rt.engine.dispose()


def test_a_worker_killed_mid_batch_loses_nothing_and_fires_nothing_twice_after_restart(
        database_url, tmp_path):
    rt = make_runtime(database_url)
    ids = loadgen.seed(rt.engine, 800, utcnow() - timedelta(minutes=5))
    worker = start_worker(database_url, "--batch", "100", log=tmp_path / "worker.log")
    try:
        fired = wait_for(lambda: sum(escalations(rt).values()), 60, "the first batch")
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=20)
        at_kill = sum(escalations(rt).values())
        assert fired <= at_kill < len(ids)                # killed with work left to do
    finally:
        stop(worker)
    worker = start_worker(database_url, "--batch", "100", log=tmp_path / "worker.log")
    try:
        wait_for(lambda: sum(escalations(rt).values()) >= len(ids), 120, "every escalation")
        time.sleep(0.5)                                     # a duplicate would show by now
        counts = escalations(rt)
        assert set(counts) == set(ids) and set(counts.values()) == {1}
        assert scalar(rt, select(func.count()).select_from(deadlines).where(
            deadlines.c.next_at <= utcnow())) == 0
    finally:
        stop(worker)
        rt.engine.dispose()


@pytest.mark.postgres
def test_two_postgresql_workers_share_2000_due_deadlines_and_fire_each_exactly_once(
        pg_database_url, tmp_path):
    rt = make_runtime(pg_database_url)
    ids = loadgen.seed(rt.engine, 2000, utcnow() - timedelta(minutes=5))
    pair = [start_worker(pg_database_url, "--batch", "100", log=tmp_path / f"worker{n}.log")
            for n in range(2)]
    try:
        wait_for(lambda: sum(escalations(rt).values()) >= len(ids), 120, "every escalation")
        time.sleep(0.5)
        counts = escalations(rt)
        assert set(counts) == set(ids) and set(counts.values()) == {1}
        with rt.engine.connect() as conn:
            shares = conn.execute(select(workers.c.fired_total)).scalars().all()
        assert len(shares) == 2 and sum(shares) == len(ids) and min(shares) > 0, shares
    finally:
        for process in pair:
            stop(process)
        rt.engine.dispose()
