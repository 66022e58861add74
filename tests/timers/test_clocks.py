"""Every clock of every track, on a fake clock: starts, warns at 75 %, breaches, acts."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from states.policy import load_policy, parse_policy
from tests.conftest import DESK, NETWORK, OPERATOR, complaint_values, make_runtime
from tests.timers.helpers import FakeClock, clock, history, in_handling, notes, sweep_at
from workflow import services
from workflow.store.complaints import load
from workflow.store.schema import deadlines

H = timedelta(hours=1)
SECOND = timedelta(seconds=1)
DEFAULTS = {   # DOMAIN.md's table, as the shipped policy has it
    "normal": {"assign": 2 * H, "first_contact": 24 * H, "reply": 48 * H,
               "progress_contact": 48 * H, "outer_limit": 15 * 24 * H},
    "escalated": {"assign": H, "first_contact": 4 * H, "reply": 24 * H,
                  "progress_contact": 24 * H, "regulator": 30 * 24 * H},
}


@pytest.mark.parametrize("track,source", [("normal", "direct"), ("escalated", "miit")])
def test_intake_starts_every_clock_of_the_track_and_each_warns_at_75_percent(
        rt, now, worker_on, track, source):
    cid = services.intake(rt, OPERATOR, complaint_values(source=source), now=now).complaint.id
    worker = worker_on(rt, FakeClock(now))
    for kind, length in DEFAULTS[track].items():
        row = clock(rt, cid, kind)
        assert (row.track, row.status, row.due_at) == (track, "active", now + length)
        assert row.warn_at == now + length * 0.75 and row.next_at == row.warn_at
    first_warn = min(now + length * 0.75 for length in DEFAULTS[track].values())
    assert sweep_at(worker, first_warn - SECOND) == 0
    assert sweep_at(worker, first_warn) == 1
    assert clock(rt, cid, "assign").warned_at == first_warn
    assert clock(rt, cid, "assign").next_at == clock(rt, cid, "assign").due_at
    warning = notes(rt, cid, "deadline_warning")[0]
    owners = {"normal": ["network", "customer_service"], "escalated": ["customer_service"]}
    assert warning.recipients == owners[track]     # handling and originating departments
    assert "派单" in warning.subject and "即将超时" in warning.subject


def test_a_missed_reply_escalates_a_normal_complaint_to_the_major_desk_as_the_system(
        rt, now, worker_on):
    cid = in_handling(rt, now)
    worker = worker_on(rt, FakeClock(now))
    sweep_at(worker, now + 36 * H)                       # warnings of reply and progress
    assert [n.kind for n in notes(rt, cid)].count("deadline_warning") == 2
    assert "escalation" not in {n.kind for n in notes(rt, cid)}
    assert history(rt, cid, "escalate") == []
    sweep_at(worker, now + 48 * H)
    [event] = history(rt, cid, "escalate")
    assert (event.actor, event.actor_role, event.to_state) == ("system", "system", "assigned")
    assert event.data["reason"] == "deadline reply missed"
    assert event.data["criterion"] == "deadline:reply" and event.data["level"] == 1
    reply = clock(rt, cid, "reply")      # replaced by the major track's clock
    assert (reply.track, reply.status, reply.due_at) == ("major", "active", now + 72 * H)
    [note] = notes(rt, cid, "escalation")
    assert set(note.recipients) == {"customer_service", "network"}


def test_a_missed_reply_on_a_major_complaint_raises_the_level_and_at_the_top_only_notifies(
        rt, now, worker_on):
    cid = in_handling(rt, now)
    services.act(rt, cid, "escalate", DESK, now=now, reason="客户投诉到媒体", data={"criterion": "media"})
    worker = worker_on(rt, FakeClock(now))
    sweep_at(worker, now + 24 * H)
    assert [e.data["level"] for e in history(rt, cid, "escalate")] == [1, 2]
    assert clock(rt, cid, "reply").due_at == now + 48 * H
    sweep_at(worker, now + 48 * H)                       # level 2 is the policy's max
    assert len(history(rt, cid, "escalate")) == 2
    assert clock(rt, cid, "reply").status == "fired"
    assert "最高升级级别" in notes(rt, cid, "deadline_at_max_level")[0].subject


def test_a_missed_reply_on_an_escalated_complaint_escalates_it_on_its_own_track(
        rt, now, worker_on):
    cid = services.intake(rt, OPERATOR, complaint_values(source="gd_cab"), now=now).complaint.id
    services.act(rt, cid, "assign", OPERATOR, now=now, department="network")
    worker = worker_on(rt, FakeClock(now))
    sweep_at(worker, now + 24 * H)
    [event] = history(rt, cid, "escalate")
    assert event.data["level"] == 1 and event.actor == "system"
    assert clock(rt, cid, "reply").track == "escalated"
    assert clock(rt, cid, "regulator").status == "active"


def test_missed_assign_and_first_contact_notify_and_escalate_only_when_the_policy_says_so(
        database_url, now, worker_on):
    raw = dict(load_policy().raw)
    raw["escalation"] = {"on_breach": ["reply", "assign"], "max_level": 2}
    rt = make_runtime(database_url, parse_policy(raw))
    try:
        cid = services.intake(rt, OPERATOR, complaint_values(), now=now).complaint.id
        worker = worker_on(rt, FakeClock(now))
        sweep_at(worker, now + 2 * H)
        assert history(rt, cid, "escalate")[0].data["reason"] == "deadline assign missed"
        services.act(rt, cid, "assign", DESK, now=now + 2 * H, department="network")
        sweep_at(worker, now + 2 * H + 4 * H)            # major first contact: 4 h
        assert clock(rt, cid, "first_contact").status == "fired"
        assert len(history(rt, cid, "escalate")) == 1
        assert notes(rt, cid, "deadline_missed")[0].subject.endswith("首次联系时限已超时")
    finally:
        rt.engine.dispose()


def test_progress_contact_repeats_every_period_until_the_reply(rt, now, worker_on):
    cid = in_handling(rt, now)
    services.act(rt, cid, "contact", NETWORK, now=now + H, comment="已联系客户,正在排查")
    worker = worker_on(rt, FakeClock(now))
    services.act(rt, cid, "pause", NETWORK, now=now + 2 * H, reason="等待客户提供地址")
    sweep_at(worker, now + 49 * H)
    row = clock(rt, cid, "progress_contact")
    assert (row.status, row.started_at, row.due_at) == ("active", now + 49 * H, now + 97 * H)
    assert len(notes(rt, cid, "deadline_due")) == 1
    sweep_at(worker, now + 97 * H)
    assert len(notes(rt, cid, "deadline_due")) == 2


def test_a_replied_complaint_closes_itself_after_seven_days_without_objection(rt, now, worker_on):
    cid = in_handling(rt, now)
    services.act(rt, cid, "reply", NETWORK, now=now + H, comment="已优化基站参数")
    worker = worker_on(rt, FakeClock(now))
    sweep_at(worker, now + H + 7 * 24 * H - SECOND)
    assert history(rt, cid, "close") == []
    sweep_at(worker, now + H + 7 * 24 * H)
    [event] = history(rt, cid, "close")
    assert (event.actor, event.to_state, event.data["satisfaction"]) == ("system", "closed",
                                                                        "no_objection")
    assert clock(rt, cid, "auto_close").status == "fired"


def test_a_deadline_of_an_already_replied_complaint_does_nothing(rt, now, worker_on):
    cid = in_handling(rt, now)
    services.act(rt, cid, "reply", NETWORK, now=now + 47 * H, comment="已答复客户")
    worker = worker_on(rt, FakeClock(now))
    assert sweep_at(worker, now + 49 * H) == 0
    assert history(rt, cid, "escalate") == []
    assert clock(rt, cid, "reply").status == "stopped"


def test_a_stale_live_row_whose_action_is_no_longer_allowed_is_marked_fired_harmlessly(
        rt, now, worker_on):
    cid = in_handling(rt, now)
    services.act(rt, cid, "reply", NETWORK, now=now + H, comment="已答复客户")
    services.act(rt, cid, "close", OPERATOR, now=now + 2 * H, satisfaction="satisfied")
    with rt.engine.begin() as conn:   # as if a stop had been lost: the row still looks live
        conn.execute(update(deadlines).where(deadlines.c.complaint_id == cid,
                                             deadlines.c.kind == "reply")
                     .values(status="active", next_at=now + 48 * H))
    worker = worker_on(rt, FakeClock(now))
    assert sweep_at(worker, now + 48 * H) == 1
    assert worker.counts["moved_on"] == 1
    assert history(rt, cid, "escalate") == [] and clock(rt, cid, "reply").next_at is None
    assert sweep_at(worker, now + 49 * H) == 0


def test_pausing_excludes_the_paused_time_from_the_reply_clock_and_shows_it(rt, now, worker_on):
    cid = in_handling(rt, now)
    worker = worker_on(rt, FakeClock(now))
    services.act(rt, cid, "pause", NETWORK, now=now + 10 * H, reason="等待客户提供话单截图")
    assert clock(rt, cid, "reply").next_at is None
    sweep_at(worker, now + 30 * H)          # the unpaused reply clock would warn at 36 h
    assert not any("答复" in n.subject for n in notes(rt, cid, "deadline_warning"))
    services.act(rt, cid, "resume", NETWORK, now=now + 30 * H)
    reply = clock(rt, cid, "reply")
    assert reply.due_at == now + 68 * H and reply.warn_at == now + 56 * H
    assert reply.paused_seconds == 20 * 3600
    sweep_at(worker, now + 67 * H)
    assert history(rt, cid, "escalate") == []
    sweep_at(worker, now + 68 * H)
    assert len(history(rt, cid, "escalate")) == 1
    with rt.uow(write=False) as uow:
        assert load(uow, cid).paused_seconds == 20 * 3600


def test_after_downtime_a_backlog_fires_oldest_first_in_one_wake_up(rt, now, worker_on):
    ids = [in_handling(rt, now + i * SECOND, mobile=f"1391234{i:04d}") for i in range(7)]
    worker = worker_on(rt, FakeClock(now), batch=2)
    assert sweep_at(worker, now + 30 * 24 * H) > 7      # all clocks, batch after batch
    escalations = [history(rt, cid, "escalate")[0].id for cid in ids]
    assert escalations == sorted(escalations)
    assert sweep_at(worker, now + 30 * 24 * H) == 0
