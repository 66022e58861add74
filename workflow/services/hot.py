"""Hot issues: the figures for a period (`report`), and escalating a cluster of
complaints as one joint complaint (`escalate_cluster`).

Escalating a cluster is one transaction: the cluster row, every member's escalation
through the ordinary action path (`apply_action`: the domain's checks, the versioned
update, the history event with the criterion, the clocks on the major track) and every
member's link. Any failure (a member changed meanwhile, a crash) rolls all of it back:
there is never a half-escalated cluster. Members already major keep their level (an
escalate would push them one level higher, which a joint complaint does not call for);
members no longer open (replied without being major, closed) are linked but left.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.exc import IntegrityError

from workflow import metrics
from workflow.domain import access
from workflow.domain.errors import Forbidden
from workflow.domain.model import Actor
from workflow.services.actions import allowed_actions, apply_action
from workflow.store import complaints as complaint_store
from workflow.store import hot as store
from workflow.store.runtime import Runtime

log = logging.getLogger(__name__)

#: The major-complaint criterion a cluster's escalation records (`states.catalogue`).
CRITERION = "joint"
#: How many complaints about a cause before it may rank as rising, and how many
#: complaints from one number make it a recurring number: below that it is noise.
MIN_CAUSE_COUNT = 3
MIN_RECURRING = 3
#: The escalation's reason in each member's history.
REASON = "群体投诉：同一原因、同一区域的多名客户投诉"


@dataclass
class HotReport:
    """The hot-issue figures of a period."""

    start: datetime
    end: datetime
    min_cause_count: int
    min_customers: int
    min_recurring: int
    rising: list[store.Rising]
    clusters: list[store.Cluster]
    recurring: list[store.Recurring]
    escalated: dict = field(default_factory=dict)    # (kind, cause, place) -> cluster row


def report(rt: Runtime, start: datetime, end: datetime, *, min_cause_count: int = MIN_CAUSE_COUNT,
           min_recurring: int = MIN_RECURRING) -> HotReport:
    """Rising causes, clusters by district and by location, and recurring numbers."""
    min_customers = rt.policy.joint_complainants
    with rt.uow(write=False) as uow:
        conn = uow.conn
        rising = store.rising_causes(conn, start, end, min_count=min_cause_count)
        clusters = [c for kind in store.CLUSTER_KINDS
                    for c in store.clusters(conn, start, end, min_customers=min_customers, kind=kind)]
        recurring = store.recurring_numbers(conn, start, end, min_complaints=min_recurring)
        escalated = store.escalated_clusters(conn, start, end)
    return HotReport(start, end, min_cause_count, min_customers, min_recurring, rising,
                     clusters, recurring, escalated)


@dataclass
class ClusterEscalation:
    """What escalating a cluster did: `status` is escalated, already (this cluster was
    escalated before) or not_a_cluster (it no longer has enough customers)."""

    status: str
    cluster_id: int | None = None
    outcomes: list[tuple[int, str]] = field(default_factory=list)

    @property
    def escalated(self) -> list[int]:
        """The complaints that became major."""
        return [cid for cid, outcome in self.outcomes if outcome == "escalated"]


def escalate_cluster(rt: Runtime, actor: Actor, *, kind: str, cause: str, place: str,
                     start: datetime, end: datetime, now: datetime,
                     comment: str = "", reason: str = REASON) -> ClusterEscalation:
    """Escalate every open, not yet major complaint of the cluster as major with the
    joint-complaint criterion, and link all its complaints to it, in one transaction."""
    if actor.role not in rt.process.roles_for("escalate") or access.ACTS[actor.role] is not access.ALL:
        raise Forbidden(actor.username, actor.role.value, "escalate", f"{cause}/{place}")
    where = store.where_cluster(kind, cause, place, start, end)
    try:
        with rt.uow() as uow:
            ids = store.member_ids(uow.conn, where)
            customers = store.cluster_customers(uow.conn, where)
            if customers < rt.policy.joint_complainants:
                return ClusterEscalation("not_a_cluster")
            cluster_id = store.add_cluster(uow.conn, dict(
                kind=kind, cause=cause, place=place, period_start=start, period_end=end,
                criterion=CRITERION, customers=customers, escalated_by=actor.username,
                escalated_at=now, comment=comment))
            outcomes = [(cid, _escalate_one(uow, cid, actor, now, cluster_id, comment, reason))
                        for cid in ids]
            store.add_members(uow.conn, cluster_id, outcomes)
            uow.commit()
    except IntegrityError:
        with rt.uow(write=False) as uow:
            done = store.escalated_clusters(uow.conn, start, end).get((kind, cause, place))
        if done is None:
            raise
        return ClusterEscalation("already", done["id"])
    for _cid, outcome in outcomes:
        if outcome == "escalated":
            metrics.count_action("escalate", "ok")
            metrics.ESCALATIONS.labels("hand").inc()
    log.info("cluster %s (%s %s %s) escalated by %s: %s", cluster_id, kind, cause, place,
             actor.username, outcomes)
    return ClusterEscalation("escalated", cluster_id, outcomes)


def _escalate_one(uow, complaint_id: int, actor: Actor, now: datetime, cluster_id: int,
                  comment: str, reason: str) -> str:
    complaint = complaint_store.load(uow, complaint_id)
    if complaint.escalation_level > 0:
        return "already_major"
    if "escalate" not in allowed_actions(uow, complaint, actor):
        return "not_open"
    apply_action(uow, complaint, "escalate", actor, now=now,
                 data={"criterion": CRITERION, "cluster": cluster_id},
                 comment=comment or reason, reason=reason)
    return "escalated"
