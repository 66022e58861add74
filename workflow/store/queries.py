"""Read models: one complaint with its clocks and history, and filtered, paged lists."""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    and_,
    bindparam,
    cast,
    false,
    func,
    null,
    or_,
    select,
    text,
    true,
    union_all,
)

from states.catalogue import STATE_NAMES
from states.fields import PAGE_SIZE
from workflow.domain import access
from workflow.domain.actions import allowed_actions
from workflow.domain.errors import NotFound
from workflow.domain.model import Actor, Complaint
from workflow.store import counts as kept_counts
from workflow.store import search
from workflow.store.complaints import load
from workflow.store.schema import clock_events, queue_counts
from workflow.store.schema import complaint_columns as loaded
from workflow.store.schema import complaints as t
from workflow.store.schema import deadlines as d
from workflow.store.schema import events as e


def _clause(rule, actor: Actor, c=t.c):
    if rule is access.ALL:
        return true()
    if not rule:
        return false()
    return or_(*(c[column] == actor.department for column in rule))


def visible_clause(actor: Actor, c=t.c):
    """The SQL condition selecting the complaints the actor may see (`access.SEES`);
    `c`: the columns it is written on (the complaints', or the same names of
    `queue_counts`)."""
    return _clause(access.SEES[actor.role], actor, c)


@dataclass
class ComplaintView:
    """A complaint as a page or the API shows it."""

    complaint: Complaint
    deadlines: list
    history: list
    allowed: list[str]


def get_complaint(uow, complaint_id, actor: Actor) -> ComplaintView:
    """One complaint the actor may see, with deadlines, history and allowed actions."""
    complaint = load(uow, complaint_id)
    if not access.may_see(actor, complaint):
        raise NotFound("complaint", complaint_id)
    allowed = allowed_actions(uow.process, uow.policy_for(complaint), complaint, actor)
    return ComplaintView(complaint, deadlines_of(uow, complaint.id),
                         history_of(uow, complaint.id), allowed)


_DEADLINES_OF = (select(d).where(d.c.complaint_id == bindparam("cid"))
                 .order_by(d.c.due_at, d.c.id))


def deadlines_of(uow, complaint_id) -> list:
    """The complaint's clocks, nearest due first."""
    return uow.conn.execute(_DEADLINES_OF, {"cid": complaint_id}).all()


def clock_history(uow, complaint_id) -> list:
    """Every entry of the complaint's clock history (`clock_events`), oldest first."""
    return uow.conn.execute(select(clock_events)
                            .where(clock_events.c.complaint_id == complaint_id)
                            .order_by(clock_events.c.id)).mappings().all()


def history_of(uow, complaint_id) -> list:
    """The complaint's history events, oldest first."""
    return uow.conn.execute(select(e).where(e.c.complaint_id == complaint_id)
                            .order_by(e.c.id)).all()


#: The work queue's scopes: whose turn it is (`access.TURNS`), what the actor holds as
#: handler of record (我接的单), what the actor's department handles now, everything the
#: actor may see.
SCOPES = ("mine", "assigned", "dept", "all")
#: The work queue's orders.
SORTS = ("due", "received_new", "received_old", "severity")
#: A complaint number as shown: TS, the local date (8 digits), the id (6 or more digits).
_NUMBER = re.compile(r"^TS(\d{8})(\d{6,})$")


@dataclass
class Filters:
    """What a work queue or API list is narrowed to."""

    state: str | None = None
    department: str | None = None
    severity: str | None = None
    overdue: bool = False
    text: str | None = None
    updated_since: datetime | None = None
    scope: str = "all"
    cause: str | None = None
    channel: str | None = None
    source: str | None = None           # "direct", "escalated" (any authority) or one code
    received_from: datetime | None = None   # created_at >= (UTC)
    received_before: datetime | None = None  # created_at < (UTC)
    sort: str = "due"
    warned: bool = False                 # a clock past its warning time, none overdue
    due_before: datetime | None = None   # the nearest open due time before this
    handler: str | None = None           # held by this user (the handler of record)

    def without_state(self) -> "Filters":
        """The same filters for every state (what the state chips count)."""
        return replace(self, state=None)

    def counted(self) -> bool:
        """Whether every filter is on a column `queue_counts` keeps (`workflow.store.counts`),
        so that the counts per state come from there."""
        return not (self.text or self.overdue or self.warned or self.due_before
                    or self.received_from or self.received_before or self.updated_since)


def turn_clause(actor: Actor, c=t.c):
    """The SQL condition selecting the complaints waiting on the actor (`access.TURNS`)."""
    parts = []
    for turn in access.TURNS[actor.role]:
        clauses = [_clause(turn.columns, actor, c), c.state.in_(turn.states)]
        if turn.major is True:
            clauses.append(c.escalation_level >= 1)
        elif turn.major is False:
            clauses.append(c.escalation_level == 0)
        if turn.direct_only:
            clauses.append(c.source == "direct")
        parts.append(and_(*clauses))
    return or_(*parts) if parts else false()


def scope_clause(actor: Actor, scope: str, c=t.c):
    """The SQL condition of one of `SCOPES` for the actor."""
    if scope == "mine":
        return turn_clause(actor, c)
    if scope == "assigned":   # held by the actor, as far as it may see
        return and_(c.handler_user == actor.username, visible_clause(actor, c))
    if scope == "dept":   # handled by the actor's department now, as far as it may see
        return and_(c.department == actor.department, visible_clause(actor, c))
    return visible_clause(actor, c)


def search_clause(text: str):
    """A search by complaint number (full, or the digits at its end), mobile number (all 11
    digits, or the last 4), customer name or complaint text (a substring, any case);
    each through an index (`workflow.store.search`)."""
    text = text.strip()
    number = _NUMBER.match(text.upper())
    if number:
        return t.c.id == int(number.group(2))
    if text.isdigit():
        clauses = [t.c.id == int(text)] if len(text) <= 12 else []
        if len(text) == 11:
            clauses.append(t.c.mobile == text)
        elif len(text) == 4:
            clauses.append(search.mobile_ends(text))
        return or_(*clauses) if clauses else false()
    return search.text_clause(text)


def _counted_where(actor: Actor, f: Filters, c=t.c) -> list:
    """The conditions of the scope and of the filters on the columns `queue_counts` keeps
    (all but a search, dates and clocks), on the columns `c`."""
    # Whose turn it is and what the department handles are parts of what the actor may
    # see (see `access`), so the scope's condition alone is enough.
    clauses = [scope_clause(actor, f.scope, c)]
    if f.state:
        clauses.append(c.state == f.state)
    if f.department:
        clauses.append(c.department == f.department)
    if f.severity == "major":
        clauses.append(c.escalation_level >= 1)
    elif f.severity == "normal":
        clauses.append(c.escalation_level == 0)
    if f.handler:
        clauses.append(c.handler_user == f.handler)
    if f.cause:
        clauses.append(c.cause == f.cause)
    if f.channel:
        clauses.append(c.channel == f.channel)
    if f.source == "escalated":
        clauses.append(c.source != "direct")
    elif f.source:
        clauses.append(c.source == f.source)
    return clauses


def _where(actor: Actor, f: Filters, now: datetime):
    clauses = _counted_where(actor, f)
    if f.received_from:
        clauses.append(t.c.created_at >= f.received_from)
    if f.received_before:
        clauses.append(t.c.created_at < f.received_before)
    if f.updated_since:
        clauses.append(t.c.updated_at >= f.updated_since)
    if f.text:
        clauses.append(search_clause(f.text))
    if f.overdue:
        clauses.append(t.c.next_due_at <= now)
    if f.warned:
        clauses += [t.c.next_due_at > now, warned_exists(now)]
    if f.due_before:
        clauses += [t.c.next_due_at > now, t.c.next_due_at <= f.due_before]
    return clauses


def warned_exists(now: datetime):
    """The SQL condition: the complaint has a running clock past its warning time and not
    yet due (`clockview`'s "warned"): looked up per complaint by its clocks' index, so
    it goes after the conditions that narrow the complaints."""
    return (select(d.c.id).where(d.c.complaint_id == t.c.id, d.c.status == "active",
                                 d.c.due_at > now,
                                 or_(d.c.warned_at.is_not(None), d.c.warn_at <= now))
            .exists())


def _scanning(uow, where: list, filters: Filters) -> list:
    """The conditions of a count, written so that SQLite reads the table straight through.

    Counting needs every matching row; when an index matches most of the table (the
    overdue filter, a scope of several department columns) SQLite walks it and reads
    each row by it, several times slower than one pass over the table (160-235 ms
    against 25-40 ms at 100,000 complaints). A condition inside a function is not one
    an index can serve, so `coalesce(all of it, false)` makes the pass. A search keeps
    its indexes (a number is a rowid lookup, a mobile number has its index), and so
    does the warned filter (its per-complaint lookup of the clocks must come after the
    indexed `next_due_at > now`, not for every row), and a received-date range (its
    index on `created_at` picks a few days out of months). PostgreSQL's planner is left
    to itself.
    """
    if (filters.text or filters.warned or filters.received_from or filters.received_before
            or uow.conn.dialect.name != "sqlite"):
        return where
    return [func.coalesce(and_(*where), false())]


#: One count per state in a single pass: an aggregate without GROUP BY (SQLite grouping
#: by state walked the state index and read every row by it, 250 ms at 100,000).
_STATE_COUNTS = tuple(func.count().filter(t.c.state == state).label(state)
                      for state in STATE_NAMES)


def dashboard(uow, actor: Actor, scope: str, now: datetime, soon: datetime) -> dict:
    """What a role's dashboard counts in one scope, in one pass: complaints per state,
    overdue now, warned now (none overdue), and due between now and `soon` (the same
    conditions as the queue's filters)."""
    due = t.c.next_due_at
    row = uow.conn.execute(select(
        *_STATE_COUNTS,
        func.count().filter(due <= now).label("_overdue"),
        func.count().filter(due > now, due <= soon).label("_due_soon"),
        func.count().filter(due > now, warned_exists(now)).label("_warned"),
    ).where(*_scanning(uow, [scope_clause(actor, scope)], Filters()))).one()._mapping
    return {"by_state": {s: row[s] for s in STATE_NAMES if row[s]}, "overdue": row["_overdue"],
            "warned": row["_warned"], "due_soon": row["_due_soon"]}


def _rows(uow, query) -> list:
    return [(Complaint.from_row(r), r["next_due_at"]) for r in uow.conn.execute(query).mappings()]


def list_complaints(uow, actor: Actor, filters: Filters, *, now: datetime,
                    page: int = 1, page_size: int = PAGE_SIZE) -> tuple[list, int, int]:
    """A page of complaints in the filters' order, the total count and the page shown
    (a page past the last shows the last). See `queue_page`."""
    rows, total, page, _ = queue_page(uow, actor, filters, now=now, page=page,
                                      page_size=page_size)
    return rows, total, page


def queue_page(uow, actor: Actor, filters: Filters, *, now: datetime, page: int = 1,
               page_size: int = PAGE_SIZE) -> tuple[list, int, int, dict[str, int]]:
    """A page of complaints in the filters' order, the total count, the page shown (a
    page past the last shows the last), and the counts per state of the filters but
    the state (the chips): from the counts kept beside the complaints where they answer
    the filters (`counts_by_state`), for a search from the same pass as its page
    (`_search_page`).

    By due time (the default): complaints with a running or missed clock first in
    `next_due_at` order, then those without one in id order: two index-ordered queries
    instead of one sort of every matching row (an `IS NULL` sort key would defeat the
    index). By received time: id order (ids are given in filing order). By severity:
    the highest escalation level first, each level by due time. A search, whose
    matches its index finds (`workflow.store.search`), sorts their ids and keys only,
    then reads the page's rows (a sort of whole rows, the text included, spilled to
    disk on PostgreSQL: 400 ms for a phrase in 5 % of a million complaints).
    """
    if filters.text:
        return _search_page(uow, actor, filters, now, page, page_size)
    counts = counts_by_state(uow, actor, filters, now=now)
    total = counts.get(filters.state, 0) if filters.state else sum(counts.values())
    pages = max((total + page_size - 1) // page_size, 1)
    page = min(max(page, 1), pages)
    offset = (page - 1) * page_size
    base = select(*loaded).where(*_where(actor, filters, now))
    if filters.sort in ("received_new", "received_old"):
        order = t.c.id.desc() if filters.sort == "received_new" else t.c.id
        return _rows(uow, base.order_by(order).limit(page_size).offset(offset)), total, page, counts
    if filters.sort == "severity":      # every match sorted
        return _rows(uow, base.order_by(*_order(t.c, filters.sort))
                     .limit(page_size).offset(offset)), total, page, counts
    timed_rows = base.where(t.c.next_due_at.is_not(None))
    rows = _rows(uow, timed_rows.order_by(t.c.next_due_at, t.c.id).limit(page_size)
                 .offset(offset))
    if len(rows) < page_size and offset + len(rows) < total:
        # past the complaints with a due time: how many there are is known from this
        # page when it holds some, else counted (only on pages after all of them)
        timed = offset + len(rows) if rows else uow.conn.execute(
            select(func.count()).select_from(timed_rows.subquery())).scalar()
        rows += _rows(uow, base.where(t.c.next_due_at.is_(None)).order_by(t.c.id)
                      .limit(page_size - len(rows)).offset(max(offset - timed, 0)))
    return rows, total, page, counts


def _order(c, sort: str) -> tuple:
    """The sort keys of a search's matches (all of them sorted) on the columns `c`."""
    if sort == "received_new":
        return (c.id.desc(),)
    if sort == "received_old":
        return (c.id,)
    first = (c.escalation_level.desc(),) if sort == "severity" else ()
    return (*first, c.next_due_at.is_(None), c.next_due_at, c.id)


#: PostgreSQL estimates a phrase of several bigrams as if each were independent of the
#: others (地下车库: 127 rows expected, 50,322 found at a million complaints), so it reads
#: the matches from the table in one process; for the search's own statement these let
#: its parallel workers share the reading (295 -> 225 ms there; a rare name pays the
#: workers' start, 9 -> 17 ms).
_PARALLEL = ("parallel_setup_cost", "parallel_tuple_cost", "min_parallel_table_scan_size")


def _search_page(uow, actor: Actor, filters: Filters, now: datetime, page: int,
                 page_size: int):
    """A search's page and its counts per state from one pass over its matches: their ids
    and sort keys, taken once (a CTE read twice, which both databases materialize), give
    the page's ids and the counts per state in one statement; then the page's rows.
    (Counting first and sorting after read every match from the table twice; a window
    count over the matches did it once but cost SQLite 250 ms for a phrase in 5 % of a
    million complaints, against 170 ms this way.) A page past the last is known from the
    counts and read again as the last."""
    matches = (select(t.c.id, t.c.state, t.c.escalation_level, t.c.next_due_at)
               .where(*_where(actor, filters.without_state(), now)).cte("matches"))
    shown = select(matches, cast(null(), BigInteger).label("n"))
    if filters.state:
        shown = shown.where(matches.c.state == filters.state)
    page = max(page, 1)
    shown = (shown.order_by(*_order(matches.c, filters.sort))
             .limit(page_size).offset((page - 1) * page_size).subquery())
    counted = select(null(), matches.c.state, null(), null(), func.count()).group_by(
        matches.c.state)
    query = union_all(select(shown), counted)
    parallel = uow.conn.dialect.name == "postgresql" and uow.conn.in_transaction()
    if parallel:        # (in a transaction only: set_config(..., true) ends with it)
        uow.conn.execute(select(*(func.set_config(name, "0", True) for name in _PARALLEL)))
    found = uow.conn.execute(query).all()
    if parallel:        # (a failed statement leaves them to the transaction's rollback)
        uow.conn.execute(text("SELECT set_config(name, reset_val, true) FROM pg_settings "
                              "WHERE name IN :names").bindparams(
            bindparam("names", _PARALLEL, expanding=True)))
    counts = {row.state: row.n for row in found if row.n is not None}
    total = counts.get(filters.state, 0) if filters.state else sum(counts.values())
    last = max((total + page_size - 1) // page_size, 1)
    if page > last:
        return _search_page(uow, actor, filters, now, last, page_size)
    ids = [row.id for row in found if row.n is None]
    rows = {c.id: (c, due) for c, due in _rows(uow, select(*loaded).where(t.c.id.in_(ids)))}
    return [rows[i] for i in ids if i in rows], total, page, counts   # (one deleted meanwhile)


def counts_by_state(uow, actor: Actor, filters: Filters | None = None, *,
                    now: datetime | None = None) -> dict[str, int]:
    """How many complaints of the filters' scope (and other filters but the state) are in
    each state; without filters, every complaint the actor may see. From the counts kept
    beside the complaints when every filter is on a column they keep
    (`workflow.store.counts`), else in one pass over the matching complaints."""
    filters = (filters or Filters()).without_state()
    if filters.counted():
        return kept_counts.by_state(uow.conn, _counted_where(actor, filters, queue_counts.c))
    where = _scanning(uow, _where(actor, filters, now), filters)
    row = uow.conn.execute(select(*_STATE_COUNTS).where(*where)).one()._mapping
    return {state: row[state] for state in STATE_NAMES if row[state]}


_OPEN_CLOCKS = ("active", "paused", "fired")


def open_clocks(uow, complaint_ids) -> dict[int, list]:
    """For each complaint id, its open clocks (running, paused, or missed and not yet
    stopped), nearest due first: what a queue row's clock cell is decided from."""
    if not complaint_ids:
        return {}
    rows = uow.conn.execute(select(d).where(d.c.complaint_id.in_(list(complaint_ids)),
                                            d.c.status.in_(_OPEN_CLOCKS))
                            .order_by(d.c.due_at, d.c.id)).all()
    found: dict[int, list] = {}
    for row in rows:
        found.setdefault(row.complaint_id, []).append(row)
    return found

def list_after(uow, actor: Actor, filters: Filters, *, now: datetime, after_id: int = 0,
               limit: int = PAGE_SIZE) -> list:
    """Up to `limit` complaints with id > `after_id`, in id order (keyset paging for the API:
    a page boundary does not move when complaints change); each with its nearest due time."""
    rows = uow.conn.execute(
        select(*loaded).where(*_where(actor, filters, now), t.c.id > after_id)
        .order_by(t.c.id).limit(limit)).mappings().all()
    return [(Complaint.from_row(r), r["next_due_at"]) for r in rows]


#: How many earlier complaints the complaint page lists for the customer.
CUSTOMER_HISTORY_LIMIT = 20
_HISTORY_COLUMNS = (t.c.id, t.c.state, t.c.cause, t.c.created_at, t.c.updated_at,
                    t.c.satisfaction, t.c.department, t.c.escalation_level, t.c.repeat_of_id)


def customer_history(uow, complaint: Complaint, actor: Actor,
                     limit: int = CUSTOMER_HISTORY_LIMIT) -> tuple[list, bool]:
    """The other complaints on the same mobile number that the actor may see, newest
    first (`ix_complaints_mobile_created`), at most `limit`; and whether there are more."""
    rows = uow.conn.execute(
        select(*_HISTORY_COLUMNS)
        .where(t.c.mobile == complaint.mobile, t.c.id != complaint.id, visible_clause(actor))
        .order_by(t.c.created_at.desc(), t.c.id.desc()).limit(limit + 1)).mappings().all()
    return rows[:limit], len(rows) > limit
