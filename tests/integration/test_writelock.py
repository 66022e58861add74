"""The SQLite writer lock queues threads and processes in the kernel, not in SQLite's busy handler."""
from __future__ import annotations

import fcntl
import multiprocessing
import os
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.conftest import NETWORK, OPERATOR, complaint_values, make_runtime
from workflow import services
from workflow.domain.errors import NotFound
from workflow.store.locks import WriterLock
from workflow.store.schema import events, utcnow


def held_elsewhere(path: str) -> bool:
    """Whether another open file (as another process would have) finds the lock taken."""
    fd = os.open(path, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def test_the_lock_is_reentrant_in_a_thread_and_released_by_the_outermost_release(tmp_path):
    lock = WriterLock(str(tmp_path / "x.db"))
    lock.acquire()
    lock.acquire()
    assert held_elsewhere(lock.path)
    lock.release()
    assert held_elsewhere(lock.path)          # the inner release keeps it
    lock.release()
    assert not held_elsewhere(lock.path)


def _probe_after_fork(lock: WriterLock, out) -> None:
    # Inherited descriptors share the parent's lock: the child must open its own.
    out.put(held_elsewhere(lock.path) and not _could_lock(lock))


def _could_lock(lock: WriterLock) -> bool:
    try:
        fcntl.flock(lock._file(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def test_a_forked_child_waits_for_its_parents_lock(tmp_path):
    lock = WriterLock(str(tmp_path / "x.db"))
    with lock:
        ctx = multiprocessing.get_context("fork")
        out = ctx.Queue()
        child = ctx.Process(target=_probe_after_fork, args=(lock, out))
        child.start()
        blocked = out.get(timeout=30)
        child.join(timeout=30)
    assert blocked is True


def _append_pairs(database: str, log: str, who: str, rounds: int, barrier) -> None:
    lock = WriterLock(database)
    barrier.wait(timeout=30)
    for _ in range(rounds):
        with lock, open(log, "a") as f:
            f.write(f"{who}<")
            f.flush()
            time.sleep(0.0005)     # widen the window an unlocked writer would use
            f.write(f">{who}")


def test_processes_holding_the_lock_never_overlap(tmp_path):
    database, log = str(tmp_path / "x.db"), str(tmp_path / "log")
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(3)
    procs = [ctx.Process(target=_append_pairs, args=(database, log, who, 100, barrier))
             for who in "AB"]
    for proc in procs:
        proc.start()
    _append_pairs(database, log, "C", 100, barrier)
    for proc in procs:
        proc.join(timeout=60)
    text = Path(log).read_text()
    pairs = [text[i:i + 4] for i in range(0, len(text), 4)]
    assert len(pairs) == 300
    assert all(p[0] == p[3] and p[1:3] == "<>" for p in pairs), text[:200]


def _file_many(url: str, n: int, barrier, out) -> None:
    rt = make_runtime(url)
    barrier.wait(timeout=30)
    started = time.monotonic()
    for _ in range(n):
        services.intake(rt, OPERATOR, complaint_values(), now=utcnow())
    out.put(time.monotonic() - started)
    rt.engine.dispose()


def test_two_processes_writing_one_sqlite_file_queue_without_errors(sqlite_url):
    ctx = multiprocessing.get_context("spawn")
    barrier, out = ctx.Barrier(2), ctx.Queue()
    procs = [ctx.Process(target=_file_many, args=(sqlite_url, 40, barrier, out))
             for _ in range(2)]
    for proc in procs:
        proc.start()
    took = [out.get(timeout=120) for _ in procs]
    for proc in procs:
        proc.join(timeout=30)
        assert proc.exitcode == 0
    rt = make_runtime(sqlite_url)
    with rt.uow(write=False) as uow:
        filed = uow.conn.execute(select(func.count()).select_from(events)
                                 .where(events.c.action == "intake")).scalar()
    rt.engine.dispose()
    assert filed == 80 and len(took) == 2


def test_a_unit_of_work_that_writes_holds_the_file_lock_until_it_ends(sqlite_url, now):
    rt = make_runtime(sqlite_url)
    path = rt.sqlite_writer.path
    assert path == sqlite_url.removeprefix("sqlite:///") + ".write.lock"
    with rt.uow() as uow:
        assert held_elsewhere(path)
        uow.commit()
    assert not held_elsewhere(path)
    with rt.uow(write=False):
        assert not held_elsewhere(path)       # readers never queue
    services.intake(rt, OPERATOR, complaint_values(), now=now)
    assert not held_elsewhere(path)
    with pytest.raises(NotFound):
        services.act(rt, 10**9, "contact", NETWORK, now=now, comment="x")
    assert not held_elsewhere(path)           # released on errors too
    rt.engine.dispose()
