"""Intake: routing, first-contact responsibility, repeats, major and escalated complaints,
idempotency — on a SQLite file and on PostgreSQL."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from states.process import Role
from tests.conftest import DESK, MARKETING, NETWORK, OPERATOR, complaint_values
from workflow import services
from workflow.domain.errors import IdempotencyMismatch
from workflow.domain.model import Actor
from workflow.store import queries
from workflow.store.schema import complaints, deadlines, events

HALL = Actor("zhaomin", Role.operator, "marketing", "赵敏 (营业厅)")


def count(rt, table=complaints) -> int:
    with rt.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar()


def stored(rt, cid):
    with rt.uow(write=False) as uow:
        return queries.get_complaint(uow, cid, DESK).complaint


@pytest.mark.parametrize("cause,department", [
    ("coverage", "network"), ("tariff", "marketing"), ("billing_error", "it_centre"),
    ("bank_collection", "finance"), ("monternet", "billing_centre"), ("legal", "general_office"),
    ("delivery", "logistics"),
])
def test_a_complaint_is_routed_to_the_department_responsible_for_its_cause(
        rt, now, cause, department):
    c = services.intake(rt, OPERATOR, complaint_values(cause=cause), now=now).complaint
    assert (c.routed_department, c.department, c.severity) == (department, department, "normal")
    with rt.engine.connect() as conn:
        event = conn.execute(select(events)).one()
    assert event.data["routed_department"] == department


def test_the_originating_department_is_kept_and_always_sees_its_complaint(rt, now):
    c = services.intake(rt, HALL, complaint_values(cause="coverage"), now=now).complaint
    assert c.originating_department == "marketing" and c.department == "network"
    services.act(rt, c.id, "assign", HALL, now=now, department="network")
    services.act(rt, c.id, "accept", NETWORK, now=now)
    services.act(rt, c.id, "transfer", NETWORK, now=now, department="it_centre", reason="计费问题")
    services.act(rt, c.id, "escalate", DESK, now=now, reason="客户多次来电")
    after = stored(rt, c.id)
    assert (after.department, after.originating_department) == ("customer_service", "marketing")
    with rt.uow(write=False) as uow:
        assert queries.get_complaint(uow, c.id, MARKETING).complaint.id == c.id
        listed, total, _ = queries.list_complaints(uow, MARKETING, queries.Filters(), now=now)
    assert total == 1 and listed[0][0].id == c.id


def test_a_repeat_within_the_window_is_linked_and_counted_and_the_third_becomes_major(rt, now):
    first = services.intake(rt, OPERATOR, complaint_values(), now=now)
    second = services.intake(rt, OPERATOR, complaint_values(text="还是没有信号"),
                             now=now + timedelta(days=10))
    assert first.repeat_of is None
    assert second.repeat_of == first.complaint.id and second.complaint.repeat_of_id == first.complaint.id
    assert stored(rt, first.complaint.id).repeat_count == 1
    assert second.complaint.severity == "normal"
    third = services.intake(rt, OPERATOR, complaint_values(text="第三次投诉"),
                            now=now + timedelta(days=20))
    assert third.repeat_of == second.complaint.id
    assert third.major_reasons == ["repeated"]
    assert (third.complaint.severity, third.complaint.department) == ("major", "customer_service")
    assert third.complaint.major_reasons == ["repeated"]


def test_a_complaint_outside_the_window_or_about_another_cause_is_not_a_repeat(rt, now):
    first = services.intake(rt, OPERATOR, complaint_values(), now=now).complaint
    later = services.intake(rt, OPERATOR, complaint_values(), now=now + timedelta(days=31))
    other = services.intake(rt, OPERATOR, complaint_values(cause="tariff"), now=now + timedelta(days=32))
    assert later.repeat_of is None and other.repeat_of is None
    assert stored(rt, first.id).repeat_count == 0


@pytest.mark.parametrize("overrides,reasons", [
    (dict(complainant_count=3), ["joint"]),
    (dict(media=True), ["media"]),
    (dict(leadership=True), ["leadership"]),
    (dict(serious_deficiency=True), ["serious_deficiency"]),
    (dict(serious_deficiency=True, media=True, complainant_count=12),
     ["serious_deficiency", "media", "joint"]),
])
def test_a_complaint_meeting_a_major_criterion_is_major_at_once_with_its_reasons(
        rt, now, overrides, reasons):
    result = services.intake(rt, OPERATOR, complaint_values(**overrides), now=now)
    c = result.complaint
    assert result.major_reasons == reasons and stored(rt, c.id).major_reasons == reasons
    assert (c.severity, c.track, c.department) == ("major", "major", "customer_service")
    with rt.engine.connect() as conn:
        reply = conn.execute(select(deadlines).where(deadlines.c.kind == "reply")).one()
    assert reply.track == "major" and reply.due_at == now + timedelta(hours=24)


def test_two_complainants_are_not_yet_a_joint_complaint(rt, now):
    c = services.intake(rt, OPERATOR, complaint_values(complainant_count=2), now=now).complaint
    assert c.severity == "normal" and c.major_reasons == []


def test_a_complaint_through_an_authority_is_escalated_and_owned_by_customer_service(rt, now):
    c = services.intake(rt, OPERATOR, complaint_values(source="gd_cab"), now=now).complaint
    assert c.escalated and c.track == "escalated"
    assert (c.department, c.routed_department) == ("customer_service", "network")
    with rt.engine.connect() as conn:
        kinds = dict(conn.execute(select(deadlines.c.kind, deadlines.c.due_at)).all())
    assert kinds["regulator"] == now + timedelta(days=30)
    assert kinds["reply"] == now + timedelta(hours=24) and "outer_limit" not in kinds


def test_a_retried_intake_with_the_same_key_returns_the_same_complaint(rt, now):
    first = services.intake(rt, OPERATOR, complaint_values(), now=now, idempotency_key="css-1")
    again = services.intake(rt, OPERATOR, complaint_values(), now=now + timedelta(minutes=1),
                            idempotency_key="css-1")
    assert again.replayed and not first.replayed
    assert again.complaint.id == first.complaint.id
    assert count(rt) == 1 and count(rt, events) == 1


def test_a_key_reused_for_a_different_request_is_refused_and_writes_nothing(rt, now):
    services.intake(rt, OPERATOR, complaint_values(), now=now, idempotency_key="css-2")
    with pytest.raises(IdempotencyMismatch, match="css-2"):
        services.intake(rt, OPERATOR, complaint_values(text="另一件事"), now=now,
                        idempotency_key="css-2")
    assert count(rt) == 1 and count(rt, events) == 1


def test_concurrent_intakes_with_one_key_make_one_complaint(rt, now):
    barrier, ids, errors = threading.Barrier(3), [], []

    def file():
        barrier.wait(timeout=30)
        try:
            ids.append(services.intake(rt, OPERATOR, complaint_values(), now=now,
                                       idempotency_key="css-3").complaint.id)
        except Exception as exc:  # reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=file) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and len(ids) == 3 and len(set(ids)) == 1
    assert count(rt) == 1 and count(rt, events) == 1
