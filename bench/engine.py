"""The hot path: one service action against a raw sqlite3 floor, on one SQLite file.

In one run, on a fresh SQLite file (WAL, synchronous=NORMAL) seeded with `--rows`
complaints in `handling` after their first contact (seeded with executemany, not
through the services), so that a progress contact writes what the floor writes:

- floor:   raw sqlite3 doing the writes of one action (BEGIN IMMEDIATE, SELECT the
           complaint, UPDATE with version check, INSERT the history event, UPSERT one
           deadline row, INSERT its two clock-history entries, COMMIT);
- action:  a progress contact through `workflow.services.act` (the full service: unit
           of work, machine, role and access checks, versioned update, history event,
           clock rule: stop first_contact (already stopped) and restart progress_contact);
- mix:     contact / pause / resume in turn, through `workflow.services.act`;
- machine: the same service action with a fresh `transitions.Machine` built per action
           instead of the shared one (the naive alternative), and that build alone.

Rounds alternate between the variants and the best round of each is kept, so a noisy
neighbour on a shared machine hurts all of them alike. Run: `.venv/bin/python bench/engine.py`
(`--rows 100000 --actions 2500 --rounds 5` are the defaults).
"""
from __future__ import annotations

import argparse
import json
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from transitions import Machine

from states.policy import load_policy
from states.process import PROCESS, TRANSITIONS, Role, State
from workflow import services
from workflow.admin.directory import ensure_departments
from workflow.domain.model import Actor
from workflow.store import migrate, policies, search
from workflow.store.db import make_engine
from workflow.store.runtime import Runtime

NOW = datetime(2026, 11, 30, 1, 0, tzinfo=timezone.utc)
HANDLER = Actor("zhangwei", Role.handler, "network", "张伟")


def seed(path: Path, rows: int) -> None:
    """Migrate and fill the file with `rows` complaints in handling, each with live clocks."""
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    policies.ensure_first(engine, load_policy(), by="bench", now=datetime.now(timezone.utc))
    with engine.begin() as conn:
        ensure_departments(conn)
    engine.dispose()
    db = sqlite3.connect(path, isolation_level=None)
    search.register(db)     # the search table's triggers call it
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    at = "2026-11-29 01:00:00.000000"
    db.execute("BEGIN")
    db.executemany(
        "INSERT INTO complaints (id, state, version, mobile, customer_name, channel, source, "
        "cause, text, complainant_count, media, leadership, serious_deficiency, "
        "routed_department, department, originating_department, escalation_level, "
        "major_reasons, repeat_count, reopen_count, cycle, pause_count, paused_seconds, "
        "policy_version, created_by, created_at, updated_at) VALUES "
        "(?, 'handling', 1, ?, '黄先生', 'hotline', 'direct', 'coverage', "
        "'小区地下车库没有信号,打不了电话。', 1, 0, 0, 0, 'network', 'network', "
        "'customer_service', 0, '[]', 0, 0, 1, 0, 0, 1, 'wangli', ?, ?)",
        ((i, f"138{i:08d}", at, at) for i in range(1, rows + 1)))
    # A case in handling after its first contact: that clock stopped, the others live.
    # (times in the store's own text form, six digits of microseconds: an action's write
    # checks its clocks are still as it loaded them, and compares them as stored)
    clocks = (("first_contact", "24h", "stopped", "2026-11-29 19:00:00.000000",
               "2026-11-30 01:00:00.000000"),
              ("progress_contact", "48h", "active", "2026-11-30 13:00:00.000000",
               "2026-12-01 01:00:00.000000"),
              ("reply", "48h", "active", "2026-11-30 13:00:00.000000", "2026-12-01 01:00:00.000000"),
              ("outer_limit", "15 days", "active", "2026-12-10 07:00:00.000000",
               "2026-12-14 01:00:00.000000"))
    db.executemany(
        "INSERT INTO deadlines (complaint_id, kind, track, cycle, duration, status, "
        "started_at, warn_at, due_at, next_at, paused_seconds, confirmed) VALUES "
        "(?, ?, 'normal', 1, ?, ?, ?, ?, ?, ?, 0, 1)",
        ((i, kind, text, status, at, warn, due, warn if status == "active" else None)
         for i in range(1, rows + 1) for kind, text, status, warn, due in clocks))
    db.execute("COMMIT")
    db.close()


def floor(path: Path, ids: list[int]) -> float:
    """Raw sqlite3: the writes of one action per id; return seconds."""
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    search.register(db)     # the search table's triggers call it
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    t0 = time.perf_counter()
    for n, cid in enumerate(ids):
        at = (NOW + timedelta(seconds=n)).strftime("%Y-%m-%d %H:%M:%S.%f")
        db.execute("BEGIN IMMEDIATE")
        row = db.execute("SELECT * FROM complaints WHERE id = ?", (cid,)).fetchone()
        version = row[2]
        cur = db.execute("UPDATE complaints SET state = ?, version = version + 1, updated_at = ? "
                         "WHERE id = ? AND version = ?", (row[1], at, cid, version))
        assert cur.rowcount == 1
        db.execute("INSERT INTO events (complaint_id, at, actor, actor_role, action, from_state, "
                   "to_state, comment, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   (cid, at, "zhangwei", "handler", "contact", row[1], row[1], "已联系客户",
                    json.dumps({})))
        db.execute("INSERT INTO deadlines (complaint_id, kind, track, cycle, duration, status, "
                   "started_at, warn_at, due_at, next_at, paused_seconds, confirmed) "
                   "VALUES (?, 'progress_contact', 'normal', 1, '48h', 'active', ?, ?, ?, ?, 0, 1) "
                   "ON CONFLICT (complaint_id, kind) DO UPDATE SET status = excluded.status, "
                   "started_at = excluded.started_at, warn_at = excluded.warn_at, "
                   "due_at = excluded.due_at, next_at = excluded.next_at",
                   (cid, at, at, at, at))
        # The clock's history: the progress run restarted, and the new run started.
        db.executemany("INSERT INTO clock_events (complaint_id, kind, run, at, event, "
                       "policy_version, track, duration, warn_at, due_at, confirmed, seconds, "
                       "reason, actor, data) VALUES (?, 'progress_contact', ?, ?, ?, 1, "
                       "'normal', '48h', ?, ?, 1, ?, 'contact', 'zhangwei', '{}')",
                       [(cid, 1, at, "restarted", at, at, 0), (cid, 2, at, "started", at, at, None)])
        db.execute("COMMIT")
    elapsed = time.perf_counter() - t0
    db.close()
    return elapsed


class FreshMachineProcess:
    """The naive alternative: a new `transitions.Machine` bound to the complaint per action."""

    def __init__(self, process=PROCESS):
        self.process = process
        self.transitions = process.rows

    def __getattr__(self, name):
        return getattr(self.process, name)

    def fire(self, model, action: str, **kwargs) -> None:
        """Build a machine for this one complaint and fire the action on it."""
        machine = Machine(model=model, states=State, transitions=self.transitions,
                          initial=model.state, auto_transitions=False, send_event=True,
                          model_attribute="state")
        if not machine.events[action].trigger(model, **kwargs):
            raise RuntimeError(f"{action} refused")


def service(rt: Runtime, ids: list[int], actions=("contact",)) -> float:
    """The full service action per id, cycling through `actions`; return seconds."""
    fields = {"contact": {"comment": "已联系客户"}, "pause": {"reason": "等待客户提供账单"},
              "resume": {}}
    t0 = time.perf_counter()
    for n, cid in enumerate(ids):
        action = actions[n % len(actions)]
        services.act(rt, cid, action, HANDLER, now=NOW + timedelta(seconds=n),
                     **fields[action])
    return time.perf_counter() - t0


def machine_build(count: int) -> float:
    """Seconds to build `count` machines bound to a fresh model and fire one event."""
    transitions = [{k: v for k, v in t.items() if k != "roles"} for t in TRANSITIONS]

    class Model:
        state = State.handling

    t0 = time.perf_counter()
    for _ in range(count):
        model = Model()
        Machine(model=model, states=State, transitions=transitions, initial=State.handling,
                auto_transitions=False).events["contact"].trigger(model)
    return time.perf_counter() - t0


def main(argv=None) -> None:
    """Run every variant in alternating rounds and print per-action times and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--actions", type=int, default=2500, help="actions per variant per round")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.db"
        t0 = time.perf_counter()
        seed(path, args.rows)
        print(f"seeded {args.rows} complaints in {time.perf_counter() - t0:.1f}s at {path}")
        rt = Runtime(make_engine(f"sqlite:///{path}"), load_policy())
        naive = Runtime(rt.engine, rt.policy, process=FreshMachineProcess())
        rng = random.Random(2004)
        ids = list(range(1, args.rows + 1))
        rng.shuffle(ids)
        take = iter(ids * 10)
        best: dict[str, list[float]] = {}
        variants = {
            "floor": lambda batch: floor(path, batch),
            "action": lambda batch: service(rt, batch),
            "mix": lambda batch: service(rt, batch, ("contact", "pause", "resume")),
            "fresh_machine": lambda batch: service(naive, batch),
        }
        services.act(rt, 1, "contact", HANDLER, now=NOW, comment="warm-up")
        floor(path, [1])
        for _ in range(args.rounds):
            for name, run in variants.items():
                batch = [next(take) for _ in range(args.actions)]
                if name == "mix":  # the same complaint three times: contact, pause, resume
                    batch = [cid for cid in batch[: args.actions // 3] for _ in range(3)]
                best.setdefault(name, []).append(run(batch) / len(batch) * 1e6)
        build = machine_build(2000) / 2000 * 1e6
        rt.engine.dispose()

    us = {name: min(times) for name, times in best.items()}
    print(f"{'variant':15} {'best µs':>9} {'median µs':>10} {'vs floor':>9}")
    for name, times in best.items():
        print(f"{name:15} {us[name]:9.1f} {statistics.median(times):10.1f} "
              f"{us[name] / us['floor']:9.2f}")
    print(f"{'machine build':15} {build:9.1f}  (a fresh Machine + one event, no database)")
    print(f"result: action_vs_floor={us['action'] / us['floor']:.2f} action_us={us['action']:.0f} "
          f"floor_us={us['floor']:.0f} mix_us={us['mix']:.0f} "
          f"fresh_machine_action_us={us['fresh_machine']:.0f} "
          f"machine_per_action_us={build:.0f} rows={args.rows}")


if __name__ == "__main__":
    sys.exit(main())
