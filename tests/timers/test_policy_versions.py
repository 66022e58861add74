"""Policy versions and the clock history (issue: every deadline explains itself).

On SQLite and PostgreSQL, with a fake clock: a complaint keeps the policy version it
was filed under for every clock it ever starts; a new version moves nothing until
complaints are migrated to it, and then exactly what its preview listed, once; a clock's
life (missed, reopened, met) is kept and shown; a calendar load moves exactly the
fallback clocks it concerns; every clock's due time replays from its history.
"""
from __future__ import annotations

import dataclasses
import random
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from states.catalogue import CAUSES
from states.durations import parse_duration
from states.policy import load_policy
from tests.conftest import DESK, NETWORK, OPERATOR, complaint_values, make_runtime
from tests.timers.helpers import FakeClock, clock, in_handling, sweep_at, worker_on
from workflow import services
from workflow.admin import calendar as calendar_admin
from workflow.admin import policy as admin
from workflow.domain.clocks import replay
from workflow.domain.errors import DomainError
from workflow.settings import Settings
from workflow.store import policies, queries
from workflow.store.runtime import Runtime
from workflow.store.schema import clock_events, deadlines

H = timedelta(hours=1)


def with_deadlines(policy, **tracks):
    """`policy` with some durations changed: with_deadlines(p, normal={"reply": "10h"})."""
    raw = {k: (dict(v) if isinstance(v, dict) else v) for k, v in policy.raw.items()}
    raw["deadlines"] = {t: dict(d) for t, d in raw["deadlines"].items()}
    for track, changes in tracks.items():
        raw["deadlines"][track].update(changes)
    text = "\n".join(_toml(raw))
    from states.policy import parse_policy_text
    return parse_policy_text(text, "candidate.toml")


def _toml(data, prefix=""):
    scalars = [(k, v) for k, v in data.items() if not isinstance(v, dict)]
    tables = [(k, v) for k, v in data.items() if isinstance(v, dict)]
    lines = [f"[{prefix[:-1]}]"] if prefix and scalars else []
    for key, value in scalars:
        if isinstance(value, bool):
            lines.append(f"{key} = {'true' if value else 'false'}")
        elif isinstance(value, (int, float)):
            lines.append(f"{key} = {value}")
        elif isinstance(value, list):
            lines.append(f"{key} = [{', '.join(repr(v).replace(chr(39), chr(34)) for v in value)}]")
        else:
            lines.append(f'{key} = "{value}"')
    for key, value in tables:
        lines += _toml(value, f"{prefix}{key}.")
    return lines


def entries(rt, cid, kind=None):
    query = select(clock_events).where(clock_events.c.complaint_id == cid)
    if kind:
        query = query.where(clock_events.c.kind == kind)
    with rt.engine.connect() as conn:
        return conn.execute(query.order_by(clock_events.c.id)).mappings().all()


def new_version(rt, policy, now, note="test"):
    stored = admin.store(rt, policy.text, source=policy.source, by="admin", now=now, note=note)
    return stored.number


def test_a_new_active_version_leaves_filed_complaints_on_theirs_also_after_reopen_and_escalation(rt, now):
    first = rt.policy
    assert first.number == 1 and first.deadline("normal", "reply") == parse_duration("48h")
    old = in_handling(rt, now)
    services.act(rt, old, "contact", NETWORK, now=now + H, comment="已联系客户")

    shorter = with_deadlines(first, normal={"reply": "10h", "assign": "30m"},
                             major={"reply": "5h"})
    number = new_version(rt, shorter, now)
    admin.activate(rt, number, by="admin", now=now)
    assert rt.policy.number == number == 2

    new = in_handling(rt, now)
    assert clock(rt, new, "reply").due_at == now + 10 * H
    assert clock(rt, old, "reply").due_at == now + 48 * H

    # A reply, a reopen: the old complaint's new cycle runs on version 1's deadlines.
    later = now + 5 * H
    services.act(rt, old, "reply", NETWORK, now=later, comment="已处理")
    services.act(rt, old, "reopen", OPERATOR, now=later + H, comment="客户不满意",
                 reason="仍无信号")
    assert clock(rt, old, "reply").due_at == later + H + 48 * H
    assert clock(rt, old, "assign").due_at == later + H + 2 * H
    # An escalation: version 1's major track (reply 24h), not version 2's (5h).
    services.act(rt, old, "assign", OPERATOR, now=later + 2 * H, department="network")
    services.act(rt, old, "accept", NETWORK, now=later + 2 * H)
    services.act(rt, old, "escalate", DESK, now=later + 3 * H, comment="升级",
                 reason="客户多次投诉")
    assert clock(rt, old, "reply").due_at == later + 3 * H + 24 * H
    with rt.uow(write=False) as uow:
        assert queries.load(uow, old).policy_version == 1
        assert queries.load(uow, new).policy_version == 2
    started = [e for e in entries(rt, old) if e["event"] == "started"]
    assert {e["policy_version"] for e in started} == {1}


def test_the_preview_lists_exactly_what_migrating_moves_and_a_second_migration_moves_nothing(rt, now):
    a = in_handling(rt, now)                                   # reply running
    b = in_handling(rt, now, mobile="13900000001")
    services.act(rt, b, "pause", NETWORK, now=now + H, comment="等客户", reason="客户出差")
    c = services.intake(rt, OPERATOR, complaint_values(mobile="13900000002"),
                        now=now).complaint.id                 # received: assign running
    d = in_handling(rt, now, mobile="13900000003")
    services.act(rt, d, "reply", NETWORK, now=now + H, comment="已答复")   # auto_close only

    candidate = with_deadlines(rt.policy, normal={"reply": "12h", "assign": "2h"})
    plan = admin.preview(rt, candidate, now=now + 2 * H)
    moved = {(m.complaint_id, m.kind): (m.old_due, m.new_due) for m in plan.moves}
    assert moved == {
        (a, "reply"): (now + 48 * H, now + 12 * H),
        # Paused since now+1h: its due time stays as it was when paused, minus 36 h.
        (b, "reply"): (now + 48 * H, now + 12 * H),
        (c, "reply"): (now + 48 * H, now + 12 * H),      # the reply clock runs from intake
    }
    assert plan.by_clock() == {"reply": 3}
    assert plan.by_department() == {"network": 3}    # routed to network at intake
    assert not plan.overdue_at_once()
    # Later, the shorter reply clock would be overdue at once and, on_breach, escalate.
    late = admin.preview(rt, candidate, now=now + 13 * H)
    assert {m.complaint_id for m in late.overdue_at_once()} == {a, c}     # b is paused
    assert {m.complaint_id for m in late.escalates_at_once()} == {a, c}

    number = new_version(rt, candidate, now)
    before = len(entries(rt, a)) + len(entries(rt, b)) + len(entries(rt, c)) + len(entries(rt, d))
    done = admin.migrate(rt, number, by="admin", now=now + 2 * H)
    assert (done.complaints, done.clocks) == (4, 3)     # d pinned, nothing of its moved
    assert clock(rt, a, "reply").due_at == now + 12 * H
    assert clock(rt, a, "reply").next_at == now + 9 * H      # the warning at 75 %
    assert clock(rt, b, "reply").due_at == now + 12 * H
    assert clock(rt, c, "assign").due_at == now + 2 * H        # 2h in both versions
    after = len(entries(rt, a)) + len(entries(rt, b)) + len(entries(rt, c)) + len(entries(rt, d))
    assert after - before == 3
    (move,) = [e for e in entries(rt, a) if e["event"] == "moved"]
    assert (move["reason"], move["actor"], move["policy_version"]) == ("policy", "admin", number)
    assert move["seconds"] == -36 * 3600

    again = admin.migrate(rt, number, by="admin", now=now + 3 * H)
    assert (again.complaints, again.clocks) == (0, 0)
    assert not admin.preview(rt, rt.policy_version(number), now=now + 3 * H).moves
    # Resuming b after the migration counts on the new due time.
    services.act(rt, b, "resume", NETWORK, now=now + 4 * H, comment="客户回来了")
    assert clock(rt, b, "reply").due_at == now + 12 * H + 3 * H


def test_an_action_decided_on_the_old_version_does_not_land_after_a_migration(rt, now):
    cid = in_handling(rt, now)
    number = new_version(rt, with_deadlines(rt.policy, normal={"reply": "12h"}), now)
    with rt.uow() as uow:
        complaint = queries.load(uow, cid)          # read before the migration
    admin.migrate(rt, number, by="admin", now=now)
    with rt.uow() as uow, pytest.raises(DomainError):
        services.apply_action(uow, complaint, "contact", NETWORK, now=now + H, comment="x")


def by_whoever_may(rt, cid, action, at, **values):
    """Fire `action` as the first of the test's users who may."""
    with rt.uow(write=False) as uow:
        complaint = queries.load(uow, cid)
        actor = next(a for a in (OPERATOR, NETWORK, DESK)
                     if action in services.allowed_actions(uow, complaint, a))
    return services.act(rt, cid, action, actor, now=at, **values)


def test_a_missed_first_reply_and_a_met_second_are_both_kept_and_shown(rt, now, tmp_path):
    worker_clock = FakeClock(now)
    policy = with_deadlines(rt.policy, normal={"reply": "48h"})
    assert policy.escalate_on_breach == {"reply"}
    cid = in_handling(rt, now)
    worker = worker_on(rt, worker_clock)
    try:
        sweep_at(worker, now + 37 * H)                 # the warning (75 % of 48 h)
        sweep_at(worker, now + 49 * H)                 # missed: escalated to the major desk
    finally:
        worker.close()
    replied = now + 50 * H
    by_whoever_may(rt, cid, "accept", replied)          # the escalation assigned it anew
    by_whoever_may(rt, cid, "reply", replied, comment="已答复")
    by_whoever_may(rt, cid, "reopen", replied + H, comment="不满意", reason="未解决")
    by_whoever_may(rt, cid, "assign", replied + H, department="network")
    by_whoever_may(rt, cid, "accept", replied + H)
    by_whoever_may(rt, cid, "reply", replied + 5 * H, comment="第二次答复")

    reply = list(entries(rt, cid, "reply"))
    events = [(e["run"], e["event"]) for e in reply]
    assert (1, "warned") in events and (1, "missed") in events
    missed = next(e for e in reply if e["event"] == "missed")
    assert missed["seconds"] == 3600
    assert missed["data"]["effect"]["outcome"] == "escalated"
    assert missed["data"]["effect"]["level"] == 1
    # The escalation restarted the reply clock on the major track (run 2, 24 h), which
    # the reply an hour later met; the reopen started run 3 and the second reply met it.
    assert (2, "started") in events and (2, "met") in events
    last = [e for e in reply if e["run"] == max(r for r, _ in events)]
    assert [e["event"] for e in last] == ["started", "met"]
    assert last[-1]["seconds"] == 20 * 3600          # major track 24 h, replied after 4 h


def test_a_2027_calendar_load_previews_and_moves_exactly_the_fallback_clocks_it_concerns(database_url, now):
    policy = with_deadlines(load_policy(), normal={"outer_limit": "10 workdays"})
    rt = make_runtime(database_url, policy)
    try:
        # Filed on 2026-12-28: ten working days cross into 2027 (no package data: fallback).
        late = datetime(2026, 12, 28, 2, 0, tzinfo=timezone.utc)
        crossing = in_handling(rt, late)
        early = in_handling(rt, now, mobile="13900000009")       # ends within 2026
        assert not clock(rt, crossing, "outer_limit").confirmed
        assert clock(rt, early, "outer_limit").confirmed
        old_due = clock(rt, crossing, "outer_limit").due_at
        # 2027: New Year's Day Friday 1 January off, Sunday 3 January worked (an example).
        days = {datetime(2027, 1, 1).date(): False, datetime(2027, 1, 4).date(): False,
                datetime(2027, 1, 9).date(): True}
        with rt.uow(write=False) as uow:
            plan = calendar_admin.preview_year(uow, days, now=late)
        assert [(m.complaint_id, m.kind) for m in plan.moves] == [(crossing, "outer_limit")]
        (move,) = plan.moves
        # Two weekdays off and one Saturday worked: 11 January becomes 12 January.
        assert move.new_due - move.old_due == timedelta(days=1)
        with rt.uow() as uow:
            result = calendar_admin.load_year(uow, days, loaded_by="admin", now=late)
            uow.commit()
        assert result.recomputed == 1
        row = clock(rt, crossing, "outer_limit")
        assert row.due_at == move.new_due != old_due and row.confirmed
        (moved,) = [e for e in entries(rt, crossing, "outer_limit") if e["event"] == "moved"]
        assert (moved["reason"], moved["actor"]) == ("calendar", "admin")
        assert [e["event"] for e in entries(rt, early, "outer_limit")] == ["started"]
    finally:
        rt.engine.dispose()


def test_two_processes_started_with_different_policy_files_act_on_the_one_active_version(
        database_url, tmp_path, now):
    shipped = load_policy()
    other = tmp_path / "other.toml"
    other.write_text(with_deadlines(shipped, normal={"reply": "3h"}).text, "utf-8")
    env = {"COMPLAINTS_DATABASE_URL": database_url, "COMPLAINTS_DEMO": "1"}
    one = Runtime.from_settings(Settings.from_env({**env}))
    two = Runtime.from_settings(Settings.from_env({**env, "COMPLAINTS_POLICY": str(other)}))
    try:
        for rt in (one, two):
            make_runtime_departments(rt)
        assert one.policy.number == two.policy.number == 1
        assert two.policy.digest == shipped.digest != two.bootstrap_policy.digest
        a = in_handling(one, now)
        b = in_handling(two, now, mobile="13900000004")
        assert clock(one, a, "reply").due_at == clock(two, b, "reply").due_at == now + 48 * H
        # Process two's file stored and activated: process one sees it on its next look.
        number = new_version(two, two.bootstrap_policy, now)
        admin.activate(two, number, by="admin", now=now)
        one.policies.refresh()                      # its next look (every few seconds)
        c = in_handling(one, now, mobile="13900000005")
        assert clock(one, c, "reply").due_at == now + 3 * H
    finally:
        one.engine.dispose()
        two.engine.dispose()


def make_runtime_departments(rt):
    from workflow.admin.directory import ensure_departments
    with rt.uow() as uow:
        ensure_departments(uow.conn)
        uow.commit()


def test_the_same_file_loaded_twice_is_one_version_and_a_bad_file_lists_every_problem(rt, now):
    text = rt.policy.text
    again = admin.store(rt, text + "\n# only a comment\n", source="same.toml", by="admin", now=now)
    assert (again.number, again.created) == (1, False)
    from states.policy import PolicyError
    with pytest.raises(PolicyError) as bad:
        admin.store(rt, text.replace('reply = "48h"', 'reply = "soon"')
                    .replace("max_level = 2", "max_level = \"two\""),
                    source="bad.toml", by="admin", now=now)
    assert len(bad.value.problems) >= 2
    with rt.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(policies.t)).scalar() == 1


def _walk(rt, rng, now, count):
    """Complaints driven at random through the process, with the timer worker firing in
    between (warnings, misses, escalations, auto-close)."""
    worker_clock = FakeClock(now)
    worker = worker_on(rt, worker_clock)
    actors = [OPERATOR, NETWORK, DESK]
    ids = [services.intake(rt, OPERATOR, complaint_values(
        mobile=f"139{n:08d}", cause=rng.choice(list(CAUSES))), now=now).complaint.id
           for n in range(count)]
    at = now
    try:
        for _step in range(count * 8):
            at += timedelta(minutes=rng.choice([5, 30, 90, 300, 1500]))
            cid = rng.choice(ids)
            with rt.uow(write=False) as uow:
                complaint = queries.load(uow, cid)
                choices = [(a, actor) for actor in actors
                           for a in services.allowed_actions(uow, complaint, actor)
                           if a != "attach"]        # takes a file; touches no clock
            if choices:
                action, actor = rng.choice(choices)
                values = dict(comment="随机", reason="随机原因", department="network",
                              satisfaction="satisfied")
                try:
                    services.act(rt, cid, action, actor, now=at, **values)
                except DomainError:
                    pass
            sweep_at(worker, at)
    finally:
        worker.close()
    return ids


def test_every_clock_replays_from_its_history_after_random_walks(rt, now):
    policy = dataclasses.replace(rt.policy)
    ids = _walk(rt, random.Random(11), now, 12)
    number = new_version(rt, with_deadlines(policy, normal={"reply": "20h"},
                                            major={"first_contact": "2h"}), now)
    admin.migrate(rt, number, by="admin", now=now + 3 * 24 * H)
    checked = 0
    with rt.engine.connect() as conn:
        rows = conn.execute(select(deadlines).where(deadlines.c.complaint_id.in_(ids))).mappings()
        for row in rows:
            history = entries(rt, row["complaint_id"], row["kind"])
            rebuilt = replay(history, rt.policy_version, rt.calendar)
            assert rebuilt == row["due_at"], (row["complaint_id"], row["kind"], history)
            assert history[-1]["run"] == row["run"]
            checked += 1
    assert checked >= 12 * 4
    kinds = {e["event"] for cid in ids for e in entries(rt, cid)}
    assert {"started", "met", "warned", "missed"} <= kinds


def test_threads_of_a_new_process_never_file_on_the_start_up_file_unstored(rt, now):
    """The first units of work of a process, on many threads at once, all get the stored
    active version (a thread that found the look-up under way used to get the start-up
    file, not yet a stored version, and its intake failed on the foreign key)."""
    import threading

    fresh = Runtime(rt.engine, with_deadlines(load_policy(), normal={"reply": "5h"}))
    seen, barrier = [], threading.Barrier(8)

    def first_unit_of_work():
        barrier.wait()
        with fresh.uow(write=False) as uow:
            seen.append(uow.policy.number)

    threads = [threading.Thread(target=first_unit_of_work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert seen == [1] * 8
    cid = services.intake(fresh, OPERATOR, complaint_values(), now=now).complaint.id
    assert clock(fresh, cid, "reply").due_at == now + 48 * H      # version 1, not the file
