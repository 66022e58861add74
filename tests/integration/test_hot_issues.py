"""Hot issues on SQLite and PostgreSQL: rising causes, clusters (candidate joint
complaints) and recurring numbers against hand-computed figures, and escalating a
cluster: all of it major with the criterion recorded, or none of it."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.conftest import DESK, NETWORK, OPERATOR, complaint_values
from workflow import services
from workflow.domain.errors import Forbidden
from workflow.services import hot
from workflow.store import hot as store
from workflow.store.schema import complaints, deadlines, events, hot_cluster_members, hot_clusters


def levels(rt, ids) -> list[int]:
    with rt.engine.connect() as conn:
        return conn.execute(select(complaints.c.escalation_level).where(complaints.c.id.in_(ids))
                            .order_by(complaints.c.id)).scalars().all()


def file(rt, at, **values):
    return services.intake(rt, OPERATOR, complaint_values(**values), now=at).complaint.id


@pytest.fixture
def seeded(rt, now):
    """A week (the period) and the week before it, by hand:

    period: coverage 4 (nanshan x3 from three numbers, futian x1), network_quality 3 at
    the location 桃源村三期 (three numbers), tariff 3 (one number, 13900000001), billing_error 2;
    previous week: coverage 1, tariff 3 (three numbers), network_quality 0.
    Rising (min 3): coverage +3 (4 vs 1), network_quality +3 (3 vs 0); tariff +0 and
    billing_error (2 < 3) do not rank. Cluster by district: coverage in nanshan (3
    customers). By location: network_quality at 桃源村三期. Recurring (min 3): 13900000001."""
    start = now
    end = now + timedelta(days=7)
    ids = {"nanshan": [file(rt, start + timedelta(hours=h), mobile=m, district="nanshan")
                       for h, m in ((1, "13800000001"), (30, "13800000002"), (50, "13800000003"))]}
    file(rt, start + timedelta(hours=2), mobile="13800000004", district="futian")
    ids["location"] = [file(rt, start + timedelta(hours=3 + h), mobile=f"1370000000{h}",
                            cause="network_quality", location="桃源村三期", district="")
                       for h in range(3)]
    ids["tariff"] = [file(rt, start + timedelta(days=d), mobile="13900000001", cause="tariff")
                     for d in (1, 2, 3)]
    for d in (4, 5):
        file(rt, start + timedelta(days=d), mobile=f"1360000000{d}", cause="billing_error")
    file(rt, start - timedelta(days=2), mobile="13500000001")
    for d in (1, 3, 5):
        file(rt, start - timedelta(days=d), mobile=f"1350000001{d}", cause="tariff")
    file(rt, end + timedelta(hours=1), mobile="13800000009", district="nanshan")   # after it
    return start, end, ids


def test_rising_causes_rank_by_how_many_more_than_the_previous_period(rt, seeded):
    start, end, _ = seeded
    with rt.engine.connect() as conn:
        rising = store.rising_causes(conn, start, end, min_count=3)
    assert [(r.cause, r.count, r.previous, r.rise) for r in rising] == [
        ("coverage", 4, 1, 3), ("network_quality", 3, 0, 3)]


def test_a_cluster_of_three_customers_in_one_district_is_a_hot_issue(rt, seeded):
    start, end, ids = seeded
    report = hot.report(rt, start, end)
    by_district = [c for c in report.clusters if c.kind == "district"]
    assert [(c.cause, c.place, c.complaints, c.customers, c.open_normal) for c in by_district] == [
        ("coverage", "nanshan", 3, 3, 3)]
    by_location = [c for c in report.clusters if c.kind == "location"]
    assert [(c.cause, c.place, c.customers) for c in by_location] == [
        ("network_quality", "桃源村三期", 3)]
    with rt.engine.connect() as conn:
        rows = store.members(conn, store.where_cluster("district", "coverage", "nanshan", start, end))
    assert [r.id for r in rows] == ids["nanshan"]


def test_recurring_numbers_count_a_numbers_complaints_in_the_period(rt, seeded):
    start, end, ids = seeded
    report = hot.report(rt, start, end)
    assert [(r.mobile, r.complaints, r.causes, r.first_id) for r in report.recurring] == [
        ("13900000001", 3, 1, ids["tariff"][0])]
    with rt.engine.connect() as conn:
        where = store.where_same_number(conn, ids["tariff"][0], start, end)
        assert [r.id for r in store.members(conn, where)] == ids["tariff"]
    assert hot.report(rt, start, end, min_recurring=4).recurring == []


def test_escalating_a_cluster_makes_all_three_major_with_the_criterion_recorded(rt, seeded, now):
    start, end, ids = seeded
    at = now + timedelta(days=7, hours=2)
    done = hot.escalate_cluster(rt, DESK, kind="district", cause="coverage", place="nanshan",
                                start=start, end=end, now=at, comment="南山区同小区信号问题")
    assert done.status == "escalated" and done.escalated == ids["nanshan"]
    with rt.engine.connect() as conn:
        rows = conn.execute(select(complaints.c.id, complaints.c.escalation_level,
                                   complaints.c.major_reasons, complaints.c.department)
                            .where(complaints.c.id.in_(ids["nanshan"]))).all()
        history = conn.execute(select(events.c.complaint_id, events.c.data)
                               .where(events.c.action == "escalate")).all()
        links = conn.execute(select(hot_cluster_members.c.complaint_id, hot_cluster_members.c.outcome)
                             .order_by(hot_cluster_members.c.complaint_id)).all()
        tracks = conn.execute(select(func.count()).select_from(deadlines).where(
            deadlines.c.complaint_id.in_(ids["nanshan"]), deadlines.c.track == "major",
            deadlines.c.status == "active")).scalar()
        cluster = conn.execute(select(hot_clusters)).one()
    assert all(level == 1 and "joint" in reasons and dept == "customer_service"
               for _, level, reasons, dept in rows)
    assert sorted(cid for cid, _ in history) == ids["nanshan"]
    assert all(data["criterion"] == "joint" and data["cluster"] == done.cluster_id
               for _, data in history)
    assert links == [(cid, "escalated") for cid in ids["nanshan"]]
    assert tracks >= 3                    # the clocks moved onto the major track
    assert (cluster.criterion, cluster.customers, cluster.escalated_by) == ("joint", 3, DESK.username)
    assert hot.report(rt, start, end).escalated[("district", "coverage", "nanshan")]["id"] == done.cluster_id
    again = hot.escalate_cluster(rt, DESK, kind="district", cause="coverage", place="nanshan",
                                 start=start, end=end, now=at)
    assert again.status == "already" and again.cluster_id == done.cluster_id
    assert levels(rt, ids["nanshan"]) == [1, 1, 1]


def test_a_cluster_that_fails_half_way_escalates_none_of_its_complaints(rt, seeded, now, monkeypatch):
    start, end, ids = seeded
    real, calls = hot._escalate_one, []

    def failing(uow, cid, *args):
        calls.append(cid)
        if len(calls) == 2:
            raise RuntimeError("crash in the middle of the cluster")
        return real(uow, cid, *args)
    monkeypatch.setattr(hot, "_escalate_one", failing)
    with pytest.raises(RuntimeError):
        hot.escalate_cluster(rt, DESK, kind="district", cause="coverage", place="nanshan",
                             start=start, end=end, now=now + timedelta(days=7))
    assert levels(rt, ids["nanshan"]) == [0, 0, 0]
    with rt.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(hot_clusters)).scalar() == 0
        assert conn.execute(select(func.count()).select_from(events)
                            .where(events.c.action == "escalate")).scalar() == 0


def test_only_who_may_escalate_can_escalate_a_cluster_and_a_non_cluster_is_refused(rt, seeded, now):
    start, end, ids = seeded
    with pytest.raises(Forbidden):
        hot.escalate_cluster(rt, NETWORK, kind="district", cause="coverage", place="nanshan",
                             start=start, end=end, now=now + timedelta(days=7))
    not_one = hot.escalate_cluster(rt, DESK, kind="district", cause="coverage", place="futian",
                                   start=start, end=end, now=now + timedelta(days=7))
    assert not_one.status == "not_a_cluster"
    assert levels(rt, ids["nanshan"]) == [0, 0, 0]
    with rt.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(hot_clusters)).scalar() == 0


def test_members_already_major_or_closed_are_linked_but_left_as_they_are(rt, seeded, now):
    start, end, ids = seeded
    first, second, third = ids["nanshan"]
    at = now + timedelta(days=7)
    services.act(rt, first, "escalate", DESK, now=at, reason="领导关注", comment="先行升级")
    services.act(rt, second, "reply", OPERATOR, now=at, comment="已答复客户")
    services.act(rt, second, "close", OPERATOR, now=at, satisfaction="satisfied")
    done = hot.escalate_cluster(rt, DESK, kind="district", cause="coverage", place="nanshan",
                                start=start, end=end, now=at + timedelta(minutes=1))
    assert done.outcomes == [(first, "already_major"), (second, "not_open"), (third, "escalated")]
    with rt.engine.connect() as conn:
        levels = dict(conn.execute(select(complaints.c.id, complaints.c.escalation_level)
                                   .where(complaints.c.id.in_(ids["nanshan"]))).all())
    assert levels == {first: 1, second: 0, third: 1}
