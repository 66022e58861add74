"""A crash inside an action, and every kind of bad input, leave the database as it was."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.conftest import AUDITOR, DESK, MARKETING, NETWORK, OPERATOR, complaint_values
from workflow import services
from workflow.domain.errors import ActionNotAllowed, Forbidden, NotFound, ValidationError
from workflow.store import plan as plan_module
from workflow.store.schema import complaints, events
from workflow.store.schema import deadlines as clocks


def everything(rt):
    """Every row an action or an intake may write."""
    with rt.engine.connect() as conn:
        return [conn.execute(select(table).order_by(*table.primary_key.columns)).all()
                for table in (complaints, events, clocks)]


@pytest.fixture
def handling(rt, now):
    cid = services.intake(rt, OPERATOR, complaint_values(), now=now).complaint.id
    services.act(rt, cid, "assign", OPERATOR, now=now, department="network")
    services.act(rt, cid, "accept", NETWORK, now=now + timedelta(minutes=5))
    return cid


def test_a_crash_while_applying_the_clocks_leaves_state_version_history_and_clocks_unchanged(
        rt, now, handling, monkeypatch):
    before = everything(rt)
    changed_in_memory = []

    # The plan (state, history and clocks: on PostgreSQL one statement) is written: crash
    # after it, before the commit.
    write = plan_module.write

    def crash_after_writing(conn, plan, **options):
        assert write(conn, plan, **options) is not None
        changed_in_memory.append((plan.event["to_state"], plan.version + 1))
        raise RuntimeError("disk on fire")
    monkeypatch.setattr(plan_module, "write", crash_after_writing)
    with pytest.raises(RuntimeError, match="disk on fire"):
        services.act(rt, handling, "reply", NETWORK, now=now + timedelta(hours=1), comment="已处理")
    assert changed_in_memory == [("replied", 4)]   # the machine had moved it on
    assert everything(rt) == before


def test_a_crash_while_writing_the_history_event_leaves_the_database_unchanged(
        rt, now, handling, monkeypatch):
    before = everything(rt)

    def crash(conn, params):
        raise RuntimeError("history store gone")

    # Statement by statement (on PostgreSQL too), so that the event's insert fails alone.
    monkeypatch.setattr(plan_module, "ONE_STATEMENT", False)
    monkeypatch.setattr(plan_module._INSERT_EVENT, "execute", crash)
    with pytest.raises(RuntimeError):
        services.act(rt, handling, "escalate", DESK, now=now + timedelta(hours=1), reason="客户投诉到媒体")
    assert everything(rt) == before


@pytest.mark.parametrize("overrides,fields", [
    (dict(mobile="1381234567"), {"mobile"}),            # ten digits
    (dict(mobile="12812345678"), {"mobile"}),           # 12x is no mobile prefix
    (dict(mobile="1381234567a"), {"mobile"}),
    (dict(cause="weather"), {"cause"}),
    (dict(channel="pigeon"), {"channel"}),
    (dict(text="   "), {"text"}),
    (dict(text=""), {"text"}),
    (dict(source="cctv"), {"source"}),
    (dict(complainant_count=0), {"complainant_count"}),
    (dict(media="yes"), {"media"}),
    (dict(colour="red"), {"colour"}),
    (dict(mobile="", cause="", text=""), {"mobile", "cause", "text"}),
])
def test_bad_intake_names_every_bad_field_and_writes_nothing(rt, now, overrides, fields):
    before = everything(rt)
    with pytest.raises(ValidationError) as err:
        services.intake(rt, OPERATOR, complaint_values(**overrides), now=now)
    assert set(err.value.errors) == fields
    assert all(name in str(err.value) for name in fields)
    assert everything(rt) == before


def test_an_unknown_action_is_named_and_writes_nothing(rt, now, handling):
    before = everything(rt)
    with pytest.raises(NotFound, match="not_found: kind='action', key='fly'"):
        services.act(rt, handling, "fly", NETWORK, now=now)
    assert everything(rt) == before


def test_an_unknown_complaint_is_named_and_writes_nothing(rt, now, handling):
    before = everything(rt)
    with pytest.raises(NotFound, match="not_found: kind='complaint', key=999999"):
        services.act(rt, 999999, "contact", NETWORK, now=now, comment="已联系")
    assert everything(rt) == before


def test_an_unknown_department_is_named_and_writes_nothing(rt, now, handling):
    before = everything(rt)
    with pytest.raises(ValidationError, match="department=unknown_department") as err:
        services.act(rt, handling, "transfer", NETWORK, now=now, department="sales", reason="不归我们管")
    assert set(err.value.errors) == {"department"}
    assert everything(rt) == before


def test_missing_fields_of_an_action_are_all_listed_and_nothing_is_written(rt, now, handling):
    before = everything(rt)
    with pytest.raises(ValidationError) as err:
        services.act(rt, handling, "transfer", NETWORK, now=now)
    assert set(err.value.errors) == {"department", "reason"}
    with pytest.raises(ValidationError) as err:
        services.act(rt, handling, "reply", NETWORK, now=now, comment="  ")
    assert set(err.value.errors) == {"comment"}
    assert everything(rt) == before


def test_a_close_with_an_unknown_satisfaction_is_refused_and_writes_nothing(rt, now, handling):
    services.act(rt, handling, "reply", NETWORK, now=now, comment="已处理")
    before = everything(rt)
    with pytest.raises(ValidationError, match="satisfaction"):
        services.act(rt, handling, "close", OPERATOR, now=now, satisfaction="delighted")
    assert everything(rt) == before


def test_an_action_the_role_may_not_fire_is_forbidden_and_writes_nothing(rt, now, handling):
    before = everything(rt)
    with pytest.raises(Forbidden):
        services.act(rt, handling, "escalate", NETWORK, now=now, reason="想升级")
    with pytest.raises(Forbidden):   # an auditor sees everything and acts on nothing
        services.act(rt, handling, "contact", AUDITOR, now=now, comment="x")
    with pytest.raises(NotFound):    # another department's complaint is not there for them
        services.act(rt, handling, "contact", MARKETING, now=now, comment="x")
    assert everything(rt) == before


def test_an_action_the_state_does_not_allow_lists_what_is_allowed_and_writes_nothing(
        rt, now, handling):
    before = everything(rt)
    with pytest.raises(ActionNotAllowed) as err:
        services.act(rt, handling, "reopen", OPERATOR, now=now, reason="客户不满意")
    assert err.value.state == "handling"
    assert set(err.value.allowed) == {"contact", "pause", "reply", "attach"}   # what the operator may do
    assert everything(rt) == before
