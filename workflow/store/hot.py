"""Hot issues (热点) in SQL: rising causes, clusters that may be one joint complaint, and
numbers that complain again and again; and the clusters the major desk escalated.

Every figure is one aggregate statement over a range of `complaints.created_at` (its
index), grouped in the database; nothing loads complaints into Python to count them.
The lists behind a figure (`members`) select exactly the rows the figure counted, with
the same conditions, so a list has as many rows as its figure says.

A period is `[start, end)` in UTC; the previous period is the same length right before.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import and_, case, func, or_, select

from workflow.store.schema import complaints as t
from workflow.store.schema import hot_cluster_members as m
from workflow.store.schema import hot_clusters as hc

#: What a cluster groups by besides the cause: the district, or the free-text location.
CLUSTER_KINDS = ("district", "location")


@dataclass(frozen=True)
class Rising:
    """A cause with its count in the period and in the previous one."""

    cause: str
    count: int
    previous: int

    @property
    def rise(self) -> int:
        """How many more than in the previous period."""
        return self.count - self.previous


@dataclass(frozen=True)
class Cluster:
    """Complaints about one cause in one district (or location) within the period."""

    kind: str            # district or location
    cause: str
    place: str           # the district code or the location text
    complaints: int
    customers: int       # distinct mobile numbers
    open_normal: int     # not yet major and still open: what escalating would change
    first_at: datetime
    last_at: datetime


@dataclass(frozen=True)
class Recurring:
    """A number with several complaints in the period."""

    first_id: int        # its first complaint in the period (links use it, not the number)
    mobile: str
    complaints: int
    causes: int
    first_at: datetime
    last_at: datetime


def _in(start: datetime, end: datetime):
    return and_(t.c.created_at >= start, t.c.created_at < end)


def rising_causes(conn, start: datetime, end: datetime, *, min_count: int,
                  limit: int = 10) -> list[Rising]:
    """Causes with at least `min_count` complaints in the period whose count rose most
    against the previous period of the same length (by how many more, then by count)."""
    before = start - (end - start)
    now_n = func.sum(case((t.c.created_at >= start, 1), else_=0))
    prev_n = func.sum(case((t.c.created_at < start, 1), else_=0))
    q = (select(t.c.cause, now_n.label("n"), prev_n.label("p"))
         .where(_in(before, end)).group_by(t.c.cause)
         .having(and_(now_n >= min_count, now_n > prev_n))
         .order_by((now_n - prev_n).desc(), now_n.desc(), t.c.cause).limit(limit))
    return [Rising(r.cause, int(r.n), int(r.p)) for r in conn.execute(q)]


def cause_counts(conn, start: datetime, end: datetime) -> dict[str, int]:
    """Complaints per cause in the period (for a link's figure)."""
    q = select(t.c.cause, func.count()).where(_in(start, end)).group_by(t.c.cause)
    return dict(conn.execute(q).all())


def _place(kind: str):
    if kind not in CLUSTER_KINDS:
        raise ValueError(f"cluster kind {kind!r}")
    return t.c[kind]


def clusters(conn, start: datetime, end: datetime, *, min_customers: int, kind: str = "district",
             limit: int = 50) -> list[Cluster]:
    """Cause and district (or location) pairs with complaints from at least
    `min_customers` different numbers in the period: candidate joint complaints.

    The grouping reads `ix_complaints_hot` only; how many of each cluster are still open
    and not major (`open_normal`) is a second statement over the clusters found."""
    place = _place(kind)
    customers = func.count(t.c.mobile.distinct())
    q = (select(t.c.cause, place.label("place"), func.count().label("n"),
                customers.label("customers"), func.min(t.c.created_at).label("first_at"),
                func.max(t.c.created_at).label("last_at"))
         .where(_in(start, end), place != "")
         .group_by(t.c.cause, place).having(customers >= min_customers)
         .order_by(customers.desc(), func.count().desc(), t.c.cause, place).limit(limit))
    found = conn.execute(q).all()
    if not found:
        return []
    pending = func.sum(case((and_(t.c.escalation_level == 0, t.c.state != "closed"), 1), else_=0))
    open_q = (select(t.c.cause, place.label("place"), pending.label("open_normal"))
              .where(_in(start, end), or_(*(and_(t.c.cause == r.cause, place == r.place)
                                           for r in found)))
              .group_by(t.c.cause, place))
    still_open = {(r.cause, r.place): int(r.open_normal or 0) for r in conn.execute(open_q)}
    return [Cluster(kind, r.cause, r.place, int(r.n), int(r.customers),
                    still_open.get((r.cause, r.place), 0), _utc(r.first_at), _utc(r.last_at))
            for r in found]


def recurring_numbers(conn, start: datetime, end: datetime, *, min_complaints: int,
                      limit: int = 50) -> list[Recurring]:
    """Numbers with at least `min_complaints` complaints in the period, most first."""
    n = func.count()
    q = (select(func.min(t.c.id).label("first_id"), t.c.mobile, n.label("n"),
                func.count(t.c.cause.distinct()).label("causes"),
                func.min(t.c.created_at).label("first_at"),
                func.max(t.c.created_at).label("last_at"))
         .where(_in(start, end)).group_by(t.c.mobile).having(n >= min_complaints)
         .order_by(n.desc(), t.c.mobile).limit(limit))
    return [Recurring(int(r.first_id), r.mobile, int(r.n), int(r.causes), _utc(r.first_at),
                      _utc(r.last_at)) for r in conn.execute(q)]


def _utc(value):
    """Aggregates (MIN/MAX) come back without the column type's processing on SQLite."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value is not None and value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value


# --- the complaints behind a figure -------------------------------------------------------

def where_cause(cause: str, start: datetime, end: datetime) -> list:
    """The complaints behind a cause's count in a period."""
    return [_in(start, end), t.c.cause == cause]


def where_cluster(kind: str, cause: str, place: str, start: datetime, end: datetime) -> list:
    """The complaints behind a cluster."""
    return [_in(start, end), t.c.cause == cause, _place(kind) == place]


def where_same_number(conn, complaint_id: int, start: datetime, end: datetime) -> list | None:
    """The complaints in the period from the number of complaint `complaint_id` (links
    name a complaint rather than carry a full mobile number); None when it is unknown."""
    mobile = conn.execute(select(t.c.mobile).where(t.c.id == complaint_id)).scalar()
    return None if mobile is None else [_in(start, end), t.c.mobile == mobile]


def where_escalated_cluster(cluster_id: int) -> list:
    """The complaints linked to an escalated cluster."""
    return [t.c.id.in_(select(m.c.complaint_id).where(m.c.cluster_id == cluster_id))]


def members(conn, where: list, *, visible=None, limit: int = 500) -> list:
    """The rows behind a figure, oldest first (the id, number fields and state)."""
    q = (select(t.c.id, t.c.created_at, t.c.mobile, t.c.customer_name, t.c.cause, t.c.state,
                t.c.department, t.c.escalation_level, t.c.major_reasons)
         .where(*where).order_by(t.c.created_at, t.c.id).limit(limit))
    if visible is not None:
        q = q.where(visible)
    return list(conn.execute(q))


def cluster_customers(conn, where: list) -> int:
    """How many different numbers complained among the rows of `where`."""
    return conn.execute(select(func.count(t.c.mobile.distinct())).where(*where)).scalar() or 0


def member_ids(conn, where: list) -> list[int]:
    """The ids behind a figure, oldest first, without a limit (for escalating a cluster)."""
    q = select(t.c.id).where(*where).order_by(t.c.created_at, t.c.id)
    return [row.id for row in conn.execute(q)]


# --- escalated clusters --------------------------------------------------------------------

def add_cluster(conn, row: dict) -> int:
    """Record an escalated cluster; return its id. The unique key (kind, cause, place,
    period) makes a second escalation of the same cluster an IntegrityError."""
    return conn.execute(hc.insert().values(row)).inserted_primary_key[0]


def add_members(conn, cluster_id: int, outcomes: list[tuple[int, str]]) -> None:
    """Link each complaint to the cluster with what escalating did to it."""
    if outcomes:
        conn.execute(m.insert(), [{"cluster_id": cluster_id, "complaint_id": cid, "outcome": o}
                                  for cid, o in outcomes])


def escalated_clusters(conn, start: datetime, end: datetime) -> dict[tuple, dict]:
    """The clusters escalated for this very period, by (kind, cause, place)."""
    q = select(hc).where(hc.c.period_start == start, hc.c.period_end == end)
    return {(r.kind, r.cause, r.place): r._asdict() for r in conn.execute(q)}


def clusters_of(conn, complaint_id: int) -> list[dict]:
    """The escalated clusters a complaint belongs to."""
    q = (select(hc, m.c.outcome).join(m, m.c.cluster_id == hc.c.id)
         .where(m.c.complaint_id == complaint_id).order_by(hc.c.id))
    return [r._asdict() for r in conn.execute(q)]
