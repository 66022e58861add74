"""Random action sequences through the services: the history always replays to the stored state.

A hypothesis state machine files complaints and fires random actions (valid and
invalid, with random fields, versions and actors) through `workflow.services.act`.
After every step, for every complaint: the stored state is the end of the history's
from/to chain, the version is the number of events, and a refused action wrote nothing;
and the work queue's counts kept beside the complaints (`workflow.store.counts`, folded
now and then by a rule) equal a recount, for every actor, scope and a few filters.
"""
from __future__ import annotations

import dataclasses
import itertools
from datetime import timedelta

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import select

from states.process import ACTIONS, PROCESS, State
from tests.conftest import (
    AUDITOR,
    DESK,
    MARKETING,
    NETWORK,
    OPERATOR,
    add_holders,
    complaint_values,
    holder_for,
)
from workflow import services
from workflow.domain.errors import ActionNotAllowed, Conflict, DomainError, NotFound
from workflow.domain.model import SYSTEM, Complaint
from workflow.services.actions import allowed_actions
from workflow.store import counts, queries
from workflow.store.schema import complaints, deadlines, events

ACTORS = [OPERATOR, NETWORK, MARKETING, DESK, AUDITOR, SYSTEM]
CAUSES = ["coverage", "tariff", "billing_error"]
#: A new number for every complaint: examples share the database, and a repeat
#: complaint found from an earlier example would make the examples depend on each other.
MOBILES = itertools.count()


def snapshot(conn, cid):
    """Everything an action may change about one complaint."""
    row = conn.execute(select(complaints).where(complaints.c.id == cid)).mappings().one()
    history = conn.execute(select(events).where(events.c.complaint_id == cid)
                           .order_by(events.c.id)).all()
    clocks = conn.execute(select(deadlines).where(deadlines.c.complaint_id == cid)
                          .order_by(deadlines.c.kind)).all()
    return dict(row), history, clocks


#: Filters the counts kept beside the complaints answer (with every scope).
COUNTED_FILTERS = (queries.Filters(), queries.Filters(severity="major"),
                   queries.Filters(source="escalated"), queries.Filters(handler="second_network"),
                   queries.Filters(department="network", cause="coverage", channel="hotline"))


def make_machine(rt, start):
    add_holders(rt)
    class ComplaintLife(RuleBasedStateMachine):
        filed = Bundle("filed")

        def __init__(self):
            super().__init__()
            self.now = start
            self.ids: list[int] = []
            self.checks = 0

        def tick(self, minutes):
            self.now += timedelta(minutes=minutes)
            return self.now

        @initialize(target=filed)
        def file_first(self):
            return self._file("coverage", 1, "direct")

        @rule(target=filed, cause=st.sampled_from(CAUSES), count=st.sampled_from([1, 1, 3]),
              source=st.sampled_from(["direct", "direct", "gd_cab"]))
        def file(self, cause, count, source):
            return self._file(cause, count, source)

        def _file(self, cause, count, source):
            values = complaint_values(cause=cause, complainant_count=count, source=source,
                                      mobile=f"139{next(MOBILES):08d}")
            complaint = services.intake(rt, OPERATOR, values, now=self.tick(1)).complaint
            self.ids.append(complaint.id)
            return complaint.id

        @rule(cid=filed, action=st.sampled_from([*ACTIONS, "fly"]),
              actor=st.sampled_from(ACTORS),
              comment=st.sampled_from(["", "已联系客户,说明处理进度。"]),
              department=st.sampled_from([None, "network", "marketing", "customer_service",
                                          "nowhere"]),
              satisfaction=st.sampled_from([None, "satisfied", "unreachable", "delighted"]),
              reason=st.sampled_from([None, "", "客户不满意"]),
              handler=st.sampled_from([None, "", "second_network", "first_marketing", "nobody"]),
              stale=st.sampled_from([None, None, 0, 1]),
              minutes=st.integers(1, 600))
        def act(self, cid, action, actor, comment, department, satisfaction, reason, handler,
                stale, minutes):
            with rt.engine.connect() as conn:
                before = snapshot(conn, cid)
            version = before[0]["version"]
            expected = None if stale is None else version - stale
            try:
                changed = services.act(rt, cid, action, actor, now=self.tick(minutes),
                                       comment=comment, department=department,
                                       satisfaction=satisfaction, reason=reason,
                                       handler=handler, expected_version=expected)
            except DomainError as exc:
                with rt.engine.connect() as conn:
                    assert snapshot(conn, cid) == before, f"refused {action} wrote something"
                if action == "fly":
                    assert isinstance(exc, NotFound)
                if stale == 1:
                    assert isinstance(exc, (Conflict, NotFound))
                if isinstance(exc, ActionNotAllowed):
                    model = _model(before[0])
                    assert PROCESS.step_for(model, action) is None
                return
            assert action != "fly" and stale != 1
            assert changed.version == version + 1
            with rt.engine.connect() as conn:
                row, history, _ = snapshot(conn, cid)
            assert len(history) == len(before[1]) + 1
            last = history[-1]
            assert (last.action, last.actor, last.from_state) == (action, actor.username,
                                                                  before[0]["state"])
            assert actor.role in PROCESS.step_for(_model(before[0]), action).roles

        @rule(cid=filed, data=st.data(), minutes=st.integers(1, 600))
        def progress(self, cid, data, minutes):
            """An action the process allows now, by an actor who may fire it, with valid fields."""
            with rt.uow(write=False) as uow:
                model = _model(snapshot(uow.conn, cid)[0])
                choices = [(actor, action) for actor in ACTORS
                           for action in allowed_actions(uow, model, actor)
                           if action != "attach"]   # takes a file: tests/web/test_evidence.py
            if not choices:
                return
            actor, action = data.draw(st.sampled_from(choices))
            department = "marketing" if model.department == "network" else "network"
            if action == "assign":
                department = data.draw(st.sampled_from([model.department, department]))
            changed = services.act(rt, cid, action, actor, now=self.tick(minutes),
                                   comment="已联系客户,说明处理进度。", department=department,
                                   satisfaction="satisfied", reason="客户不满意",
                                   handler=holder_for(model), expected_version=model.version)
            assert changed.version == model.version + 1

        @rule()
        def fold_the_counts(self):
            with rt.uow() as uow:
                counts.compact(uow.conn)
                uow.commit()

        @invariant()
        def kept_counts_match_a_recount(self):
            with rt.uow(write=False) as uow:
                # every combination of the counted columns, after every step
                assert counts.kept(uow.conn) == counts.counted(uow.conn)
                # and what the queue asks of them, for every actor, scope and filter,
                # once in every example (after its 15th step)
                self.checks += 1
                if self.checks % 15:
                    return
                for actor in ACTORS:
                    for base in COUNTED_FILTERS:
                        for scope in queries.SCOPES:
                            f = dataclasses.replace(base, scope=scope)
                            assert f.counted()
                            kept = queries.counts_by_state(uow, actor, f)
                            scanned = counts.recount(uow.conn, queries._where(actor, f, self.now))
                            assert kept == scanned, (actor.username, f)

        @invariant()
        def history_replays_to_the_stored_state(self):
            with rt.engine.connect() as conn:
                for cid in self.ids:
                    row, history, clocks = snapshot(conn, cid)
                    state = None
                    for event in history:
                        assert event.from_state == state
                        state = event.to_state
                    assert state == row["state"]
                    assert row["version"] == len(history)
                    if row["state"] == State.closed.value:
                        assert all(c.status in ("stopped", "fired") for c in clocks)

    return ComplaintLife


def _model(row):
    return Complaint.from_row(row)


def test_random_action_sequences_keep_state_version_and_history_consistent(rt, now):
    run_state_machine_as_test(
        make_machine(rt, now),
        settings=settings(max_examples=30, stateful_step_count=15, deadline=None,
                          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                 HealthCheck.too_slow]))
