"""What an action does to the clocks, decided by the domain alone (workflow.domain.clocks):
final values, history entries and the next due time, on plain rows, no database."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

from states.calendar import BusinessCalendar
from states.clocks import RULES
from states.policy import load_policy
from workflow.domain.clocks import Clocks, ending, next_due

NOW = datetime(2026, 12, 1, 2, 0, tzinfo=timezone.utc)
POLICY = load_policy()
COMPLAINT = SimpleNamespace(id=7, track="normal", cycle=1, policy_version=1, paused_at=None)


def clock(id_, kind, status="active", due=NOW + timedelta(hours=2), **more) -> dict:
    row = dict(id=id_, complaint_id=7, kind=kind, track="normal", cycle=1, duration="24h",
               status=status, started_at=NOW - timedelta(hours=20), warn_at=due,
               due_at=due, next_at=due, warned_at=None, breached_at=None, stopped_at=None,
               paused_at=None, paused_seconds=0, confirmed=True, run=1)
    row.update(more)
    return row


def planned(rows, action, complaint=COMPLAINT, now=NOW):
    return Clocks(complaint, rows, POLICY, BusinessCalendar(), now, reason=action,
                  actor="zhangwei").apply(RULES[action]).plan()


def test_a_clock_stopped_before_its_due_time_is_met_with_its_margin_and_after_it_missed():
    early = planned([clock(1, "assign", due=NOW + timedelta(minutes=30))], "accept")
    assert early.updates == [(1, dict(status="stopped", next_at=None, stopped_at=NOW))]
    assert [(e["event"], e["seconds"]) for e in early.entries] == [("met", 1800)]
    late = planned([clock(1, "assign", due=NOW - timedelta(seconds=90))], "accept")
    assert [(e["event"], e["seconds"]) for e in late.entries] == [("missed", 90)]


def test_a_run_the_worker_is_firing_now_leaves_its_end_to_the_worker():
    fired = clock(1, "assign", status="fired", breached_at=NOW, due=NOW - timedelta(hours=1))
    assert ending(fired, NOW) is None
    assert ending(fired, NOW + timedelta(minutes=1)) == ("ended", 3660)


def test_a_restart_of_an_open_run_ends_it_restarted_and_starts_the_next_run_from_now():
    plan = planned([clock(1, "first_contact", status="stopped"), clock(2, "progress_contact")],
                   "contact")
    (clock_id, values), = plan.updates
    assert clock_id == 2 and values["run"] == 2 and values["started_at"] == NOW
    assert values["due_at"] == NOW + timedelta(hours=48) and values["warned_at"] is None
    assert [e["event"] for e in plan.entries] == ["restarted", "started"]
    assert plan.next_due == NOW + timedelta(hours=48)


def test_a_resume_moves_the_times_on_by_the_whole_seconds_paused():
    paused = clock(1, "reply", status="paused", paused_at=NOW - timedelta(seconds=100.7),
                   next_at=None)
    complaint = SimpleNamespace(**{**vars(COMPLAINT), "paused_at": NOW})
    due = paused["due_at"]
    plan = planned([paused], "resume", complaint)
    (_, values), = plan.updates
    assert values["due_at"] == due + timedelta(seconds=100)
    assert values["status"] == "active" and values["paused_seconds"] == 100
    assert plan.entries[0]["seconds"] == 100


def test_the_next_due_time_counts_running_and_missed_clocks_only():
    rows = [clock(1, "assign", status="stopped", due=NOW), clock(2, "reply", status="paused",
                                                                 due=NOW + timedelta(hours=1)),
            clock(3, "outer_limit", status="fired", due=NOW + timedelta(hours=3)),
            clock(4, "first_contact", due=NOW + timedelta(hours=5))]
    assert next_due(rows) == NOW + timedelta(hours=3)
    assert next_due([rows[0]]) is None


def test_an_action_that_touches_no_clock_plans_nothing():
    assert not planned([clock(1, "reply")], "reassign")


def test_every_clock_row_an_action_updates_carries_its_values_as_loaded_and_no_other():
    due = NOW + timedelta(hours=3)
    plan = planned([clock(1, "first_contact", status="stopped"),
                    clock(2, "progress_contact", due=due, warned_at=NOW, next_at=due)],
                   "contact")
    assert [clock_id for clock_id, _ in plan.updates] == [2]
    assert plan.loaded == {2: dict(run=1, status="active", due_at=due, next_at=due,
                                   warned_at=NOW, breached_at=None)}
    assert planned([], "intake", now=NOW).loaded == {}        # inserts only: nothing to check
