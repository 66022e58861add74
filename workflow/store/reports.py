"""Supervision figures in SQL: the reports page, the department scorecard, their exports.

Every figure is ONE select (`figure_select`) of the facts behind it — one row per
complaint received, per close, per clock run met or missed, per escalation, per reply —
over the complaints table `c` joined to the fact. The count a report shows is
`count(*)` of that select grouped by the chosen grouping, and the list a figure links to
is the same select filtered to one group: the list always has exactly as many rows as
the figure says. Rates are two such figures (numerator and denominator); the median and
p90 time to reply are nearest-rank percentiles over the reply figure's `value`, in SQL
window functions. Nothing loads rows into Python but the lists and the per-group totals.

Attribution (documented in docs/reports.md): a complaint's groups are its columns as they
stand (handling department = `complaints.department` now, originating = the first-contact
department); an escalation is credited to the department that held the complaint when
it escalated (`events.data.from_department`). Period bounds are local days (Asia/Shanghai),
`start` inclusive, `end` exclusive, as aware datetimes.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import Integer, and_, case, cast, func, literal, or_, select
from sqlalchemy.sql import Select

from states.calendar import SHANGHAI
from workflow.store.schema import clock_events, complaints, events

c = complaints

#: The groupings a report may choose: name -> what it groups by (None: a time bucket of
#: the fact's own time).
GROUPINGS: dict[str, object] = {
    "department": c.c.department,
    "originating": c.c.originating_department,
    "cause": c.c.cause,
    "channel": c.c.channel,
    "source": c.c.source,
    "district": c.c.district,
    "severity": case((c.c.escalation_level >= 1, literal("major")), else_=literal("normal")),
    "day": None,
    "week": None,
    "month": None,
    "all": literal("all"),
}
TIME_GROUPINGS = ("day", "week", "month")

#: Clock kinds whose runs are rated timely (met / (met + missed)).
RATED_CLOCKS = ("assign", "first_contact", "reply")


@dataclass(frozen=True)
class Figure:
    """One countable figure: its code and its name (a catalogue id, context "report")."""

    code: str
    zh: str


FIGURES: dict[str, Figure] = {f.code: f for f in (
    Figure("received", "受理量"),
    Figure("closed", "结案量"),
    Figure("open_at_end", "期末未结"),
    Figure("assign_due", "派单考核数"),
    Figure("assign_met", "及时派单"),
    Figure("first_contact_due", "首次联系考核数"),
    Figure("first_contact_met", "及时首次联系"),
    Figure("reply_due", "答复考核数"),
    Figure("reply_met", "及时答复"),
    Figure("missed", "超时次数"),
    Figure("escalated_timer", "超时自动升级"),
    Figure("escalated_criterion", "按标准升级"),
    Figure("escalated_manual", "人工升级"),
    Figure("major", "重大投诉"),
    Figure("authority", "越级投诉"),
    Figure("repeat", "重复投诉"),
    Figure("replied", "答复次数"),
    Figure("reopened", "重新打开"),
    Figure("satisfied", "满意"),
    Figure("overdue_now", "当前超时"),
)}

#: Rates: code -> (numerator figure, denominator figure, name: a catalogue id).
RATES: dict[str, tuple[str, str, str]] = {
    "assign_rate": ("assign_met", "assign_due", "及时派单率"),
    "first_contact_rate": ("first_contact_met", "first_contact_due", "及时首次联系率"),
    "reply_rate": ("reply_met", "reply_due", "及时答复率"),
    "reopen_rate": ("reopened", "replied", "重新打开率"),
    "satisfaction_rate": ("satisfied", "closed", "满意率"),
}

#: Percentiles of the time to reply (seconds, paused time excluded), over `replied`.
PERCENTILES: dict[str, tuple[int, str]] = {
    "reply_median_s": (50, "答复用时中位数"),
    "reply_p90_s": (90, "答复用时90分位"),
}

#: What the reports page shows, in order.
REPORT_FIGURES = ("received", "closed", "open_at_end", "assign_due", "assign_met",
                  "first_contact_due", "first_contact_met", "reply_due", "reply_met",
                  "escalated_timer", "escalated_criterion", "escalated_manual", "major",
                  "authority", "repeat", "replied", "reopened", "satisfied")
#: What the scorecard shows per department (besides its rates).
SCORECARD_FIGURES = ("received", "assign_due", "assign_met", "first_contact_due",
                     "first_contact_met", "reply_due", "reply_met", "overdue_now", "missed",
                     "escalations_caused", "replied", "reopened", "closed", "satisfied")
SCORECARD_RATES = ("assign_rate", "first_contact_rate", "reply_rate", "reopen_rate",
                   "satisfaction_rate")
FIGURES["escalations_caused"] = Figure("escalations_caused", "导致升级")


@dataclass(frozen=True)
class Period:
    """Local days [first, last] as aware UTC-comparable bounds [start, end)."""

    first: date
    last: date

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time(), SHANGHAI)

    @property
    def end(self) -> datetime:
        return datetime.combine(self.last + timedelta(days=1), time(), SHANGHAI)

    @property
    def days(self) -> int:
        """How many days the period has."""
        return (self.last - self.first).days + 1

    @property
    def previous(self) -> "Period":
        """The period of the same length right before (the hot issues' comparison)."""
        return Period(self.first - timedelta(days=self.days), self.first - timedelta(days=1))

    def args(self) -> dict:
        """As query arguments (`from`, `to`)."""
        return {"from": self.first.isoformat(), "to": self.last.isoformat()}

    @classmethod
    def month(cls, year: int, month: int) -> "Period":
        first = date(year, month, 1)
        nxt = date(year + month // 12, month % 12 + 1, 1)
        return cls(first, nxt - timedelta(days=1))

    def previous_month(self) -> "Period":
        before = self.first - timedelta(days=1)
        return Period.month(before.year, before.month)

    def label(self) -> str:
        return f"{self.first.isoformat()} — {self.last.isoformat()}"


def _bucket(dialect: str, grouping: str, at):
    """The local day / week (its Monday) / month of `at`, as text."""
    if dialect == "sqlite":
        if grouping == "day":
            return func.strftime("%Y-%m-%d", at, "+8 hours")
        if grouping == "week":
            return func.date(at, "+8 hours", "weekday 0", "-6 days")
        return func.strftime("%Y-%m", at, "+8 hours")
    local = func.timezone("Asia/Shanghai", at)
    if grouping == "day":
        return func.to_char(local, "YYYY-MM-DD")
    if grouping == "week":
        return func.to_char(func.date_trunc("week", local), "YYYY-MM-DD")
    return func.to_char(local, "YYYY-MM")


def epoch(dialect: str, at):
    """Seconds since 1970 of a timestamp column, as an integer expression."""
    if dialect == "sqlite":
        return cast(func.strftime("%s", at), Integer)
    return cast(func.extract("epoch", at), Integer)


def _json_text(column, key: str):
    return column[key].as_string()


def _time_to_reply(dialect: str, r):
    """Seconds from the start of the reply's cycle (intake or reopen) to the reply, less
    the time the clock waited on the customer in that cycle (pause .. resume, or pause ..
    the reply itself, which ends a wait)."""
    e2 = events.alias("cycle_start")
    start_id = (select(func.max(e2.c.id)).where(
        e2.c.complaint_id == r.c.complaint_id, e2.c.id < r.c.id,
        e2.c.action.in_(("intake", "reopen"))).correlate(r).scalar_subquery())
    s2 = events.alias("cycle_at")
    start_at = select(s2.c.at).where(s2.c.id == start_id).correlate(r).scalar_subquery()
    w = events.alias("waits")
    in_cycle = and_(w.c.complaint_id == r.c.complaint_id, w.c.id > start_id, w.c.id < r.c.id)
    signed = case((w.c.action == "resume", epoch(dialect, w.c.at)),
                  else_=-epoch(dialect, w.c.at))
    opened = case((w.c.action == "pause", 1), else_=-1)
    waits = (select(func.coalesce(func.sum(signed), 0)
                    + func.coalesce(func.sum(opened), 0) * epoch(dialect, r.c.at))
             .where(in_cycle, w.c.action.in_(("pause", "resume"))).correlate(r)
             .scalar_subquery())
    return epoch(dialect, r.c.at) - epoch(dialect, start_at) - waits


def _plain() -> dict:
    ce, ev = clock_events, events
    out = {
        "closed": (ev, ev.c.action == "close", ("close",)),
        "satisfied": (ev, and_(ev.c.action == "close",
                               _json_text(ev.c.data, "satisfaction") == "satisfied"), ("close",)),
        "replied": (ev, ev.c.action == "reply", ("reply",)),
        "reopened": (ev, ev.c.action == "reopen", ("reopen",)),
        "missed": (ce, ce.c.event == "missed", ("missed",)),
    }
    for kind in RATED_CLOCKS:
        out[f"{kind}_due"] = (ce, and_(ce.c.event.in_(("met", "missed")), ce.c.kind == kind),
                              ("met", "missed"))
        out[f"{kind}_met"] = (ce, and_(ce.c.event == "met", ce.c.kind == kind), ("met",))
    return out


#: The figures that are one condition on one fact table (events or clock_events),
#: credited to the complaint's handling department: `figure_select` makes their select
#: from it, and `counts_many` counts several of them in one pass over the period's rows.
PLAIN: dict[str, tuple] = _plain()
#: The figures that are one condition on the complaints received in the period.
PLAIN_RECEIVED = {
    "received": c.c.id.is_not(None),
    "major": c.c.escalation_level >= 1,
    "authority": c.c.source != "direct",
    "repeat": c.c.repeat_of_id.is_not(None),
}


def figure_select(code: str, period: Period, dialect: str, *, at_now: datetime | None = None,
                  with_value: bool = True) -> Select:
    """The facts behind figure `code` in `period`: columns `cid`, `at` (when the fact
    happened), `value` (seconds, for the reply figure; else NULL), `department_credit`
    (the department a fact is credited to when grouping by handling department), with
    the complaint `c` joined so every grouping applies."""
    s, e = period.start, period.end
    nothing = literal(None, Integer)

    def of_complaints(*where, at=c.c.created_at, credit=c.c.department):
        return select(c.c.id.label("cid"), at.label("at"), nothing.label("value"),
                      credit.label("credit")).where(*where)

    def of_events(*where, value=nothing, credit=c.c.department, table=events):
        return (select(table.c.complaint_id.label("cid"), table.c.at.label("at"),
                       value.label("value"), credit.label("credit"))
                .select_from(table.join(c, c.c.id == table.c.complaint_id))
                .where(table.c.at >= s, table.c.at < e, *where))

    if code in PLAIN_RECEIVED:
        return of_complaints(c.c.created_at >= s, c.c.created_at < e, PLAIN_RECEIVED[code])
    if code == "open_at_end":
        last = events.alias("last")
        state_at_end = (select(last.c.to_state).where(last.c.complaint_id == c.c.id,
                                                      last.c.at < e)
                        .order_by(last.c.id.desc()).limit(1).scalar_subquery())
        # The state now holds at the end for a complaint not touched since; only the others
        # need their last event before the end.
        return of_complaints(c.c.created_at < e, or_(
            and_(c.c.updated_at < e, c.c.state != "closed"),
            and_(c.c.updated_at >= e, state_at_end != "closed")))
    if code == "overdue_now":
        if at_now is None:
            raise ValueError("overdue_now needs at_now (the caller's clock)")
        # `next_due_at` is the nearest due time of the running clocks; a replied complaint
        # runs only its auto-close period, which is no deadline of the department's.
        return of_complaints(c.c.next_due_at <= at_now, c.c.state.not_in(("closed", "replied")),
                             at=c.c.next_due_at)
    if code == "replied":
        return of_events(events.c.action == "reply",
                         value=_time_to_reply(dialect, events) if with_value else nothing)
    if code in PLAIN:
        table, where, _keys = PLAIN[code]
        return of_events(where, table=table)
    criterion = _json_text(events.c.data, "criterion")
    credit = func.coalesce(_json_text(events.c.data, "from_department"), c.c.department)
    if code == "escalated_timer":
        return of_events(events.c.action == "escalate", criterion.like("deadline:%"),
                         credit=credit)
    if code == "escalated_criterion":
        return of_events(or_(
            and_(events.c.action == "escalate", criterion.is_not(None),
                 criterion.not_like("deadline:%")),
            and_(events.c.action == "reopen",
                 _json_text(events.c.data, "became_major").is_not(None))), credit=credit)
    if code == "escalated_manual":
        return of_events(events.c.action == "escalate", criterion.is_(None), credit=credit)
    if code == "escalations_caused":
        return of_events(or_(events.c.action == "escalate",
                             and_(events.c.action == "reopen",
                                  _json_text(events.c.data, "became_major").is_not(None))),
                         credit=credit)
    raise KeyError(code)


def _group_expr(grouping: str, dialect: str, sub):
    """The grouping over a figure select `sub` (aliased), as a text expression."""
    if grouping in TIME_GROUPINGS:
        return _bucket(dialect, grouping, sub.c.at)
    if grouping == "department":
        return sub.c.credit
    return sub.c.group


def _grouped(code: str, grouping: str, period: Period, dialect: str, at_now=None,
             with_value: bool = True):
    base = figure_select(code, period, dialect, at_now=at_now, with_value=with_value)
    if grouping not in TIME_GROUPINGS and grouping != "department":
        base = base.add_columns(GROUPINGS[grouping].label("group"))
    sub = base.subquery("f")
    return sub, _group_expr(grouping, dialect, sub)


def counts(conn, code: str, grouping: str, period: Period, *, at_now=None) -> dict[str, int]:
    """Figure `code` per group: {group key: count}."""
    dialect = conn.dialect.name
    sub, key = _grouped(code, grouping, period, dialect, at_now, with_value=False)
    rows = conn.execute(select(key.label("k"), func.count().label("n"))
                        .select_from(sub).group_by(key))
    return {("" if k is None else str(k)): n for k, n in rows}


def counts_many(conn, codes, grouping: str, period: Period, *, at_now=None
                ) -> dict[str, dict[str, int]]:
    """Figure by figure as `counts`, but the `PLAIN` figures of one table in one pass:
    `sum(case when <its condition> then 1 end)` per figure over the rows of any of them."""
    dialect = conn.dialect.name
    out: dict[str, dict[str, int]] = {}
    by_table: dict = {}
    for code in codes:
        if code in PLAIN:
            table, where, index_keys = PLAIN[code]
            by_table.setdefault(table.name, (table, [], set()))[1].append((code, where))
            by_table[table.name][2].update(index_keys)
        elif code in PLAIN_RECEIVED:
            by_table.setdefault("complaints", (c, [], set()))[1].append(
                (code, PLAIN_RECEIVED[code]))
        else:
            out[code] = counts(conn, code, grouping, period, at_now=at_now)
    for table, items, index_keys in by_table.values():
        if len(items) == 1:
            code = items[0][0]
            out[code] = counts(conn, code, grouping, period, at_now=at_now)
            continue
        at = c.c.created_at if table is c else table.c.at
        if grouping in TIME_GROUPINGS:
            key = _bucket(dialect, grouping, at)
        elif grouping == "department":
            key = c.c.department
        else:
            key = GROUPINGS[grouping]
        sums = [func.sum(case((where, 1), else_=0)).label(code) for code, where in items]
        source = c if table is c else table.join(c, c.c.id == table.c.complaint_id)
        # The action / event column leads the index of both fact tables: one range each.
        lead = ([table.c.event.in_(sorted(index_keys))] if table is clock_events else
                [table.c.action.in_(sorted(index_keys))] if table is events else [])
        q = (select(key.label("k"), *sums).select_from(source)
             .where(*lead, at >= period.start, at < period.end,
                    or_(*(where for _code, where in items)))
             .group_by(key))
        for code, _where in items:
            out[code] = {}
        for row in conn.execute(q):
            k = "" if row.k is None else str(row.k)
            for code, _where in items:
                n = row._mapping[code]
                if n:
                    out[code][k] = int(n)
    return out


def percentiles(conn, grouping: str, period: Period) -> dict[str, dict[str, int]]:
    """Nearest-rank median and p90 of the time to reply per group: {code: {group: s}}."""
    dialect = conn.dialect.name
    sub, key = _grouped("replied", grouping, period, dialect)
    ranked = select(key.label("k"), sub.c.value.label("v"),
                    func.row_number().over(partition_by=key, order_by=sub.c.value).label("rn"),
                    func.count().over(partition_by=key).label("n")).subquery("ranked")
    out: dict[str, dict[str, int]] = {}
    for code, (p, _name) in PERCENTILES.items():
        # rank = ceil(n * p / 100), in integers
        rows = conn.execute(select(ranked.c.k, ranked.c.v).where(
            ranked.c.rn * 100 >= ranked.c.n * p, (ranked.c.rn - 1) * 100 < ranked.c.n * p))
        out[code] = {("" if k is None else str(k)): int(v) for k, v in rows}
    return out


def rows(conn, code: str, grouping: str, key: str, period: Period, *, at_now=None,
         limit: int | None = None) -> list[dict]:
    """The facts behind figure `code` for one group `key` (`grouping` "all": every
    group): complaint id, number's date, state, departments, cause, when, value."""
    dialect = conn.dialect.name
    sub, expr = _grouped(code, grouping, period, dialect, at_now)
    q = (select(sub.c.cid, sub.c.at, sub.c.value, c.c.created_at, c.c.state, c.c.department,
                c.c.originating_department, c.c.cause, c.c.district, c.c.escalation_level)
         .select_from(sub.join(c, c.c.id == sub.c.cid)))
    if grouping != "all":
        q = q.where(func.coalesce(expr, "") == key)
    q = q.order_by(sub.c.at, sub.c.cid)
    if limit:
        q = q.limit(limit)
    return [dict(r._mapping) for r in conn.execute(q)]


def rate(num: int, den: int) -> float | None:
    """A percentage with one decimal, or None when nothing was due."""
    return None if not den else round(100.0 * num / den, 1)


@dataclass
class Table:
    """A report: one row per group, the figures, rates and percentiles of each."""

    grouping: str
    period: Period
    keys: list[str]
    figures: dict[str, dict[str, int]]
    percentiles: dict[str, dict[str, int]]
    codes: tuple[str, ...]
    rate_codes: tuple[str, ...]

    def value(self, code: str, key: str):
        if code in self.figures:
            return self.figures[code].get(key, 0)
        if code in RATES:
            num, den = RATES[code][:2]
            return rate(self.figures[num].get(key, 0), self.figures[den].get(key, 0))
        return self.percentiles.get(code, {}).get(key)

    def total(self, code: str):
        if code in self.figures:
            return sum(self.figures[code].values())
        if code in RATES:
            num, den = RATES[code][:2]
            return rate(self.total(num), self.total(den))
        return None

    def series(self, code: str) -> list[tuple[str, object]]:
        """(group, value) for every group, for charts."""
        return [(k, self.value(code, k)) for k in self.keys]


def report(conn, grouping: str, period: Period, *, codes=REPORT_FIGURES,
           rate_codes=tuple(RATES), with_percentiles: bool = True, at_now=None,
           keys: list[str] | None = None) -> Table:
    """Every figure of `codes` (and the rates and percentiles) per group."""
    if grouping not in GROUPINGS:
        raise KeyError(grouping)
    needed = list(dict.fromkeys([*codes, *(x for r in rate_codes for x in RATES[r][:2])]))
    figures = counts_many(conn, needed, grouping, period, at_now=at_now)
    pct = percentiles(conn, grouping, period) if with_percentiles else {}
    found = sorted({k for per in figures.values() for k in per}
                   | {k for per in pct.values() for k in per})
    return Table(grouping, period, keys if keys is not None else found, figures, pct,
                 tuple(codes), tuple(rate_codes))


def overall(conn, period: Period, *, at_now=None) -> Table:
    """The report with a single group "all" (the page's headline figures)."""
    return report(conn, "all", period, at_now=at_now)


def scorecard(conn, period: Period, *, by: str = "department", at_now=None,
              departments: list[str] | None = None) -> Table:
    """One row per department (handling, or `by="originating"`): the scorecard."""
    return report(conn, by, period, codes=SCORECARD_FIGURES, rate_codes=SCORECARD_RATES,
                  with_percentiles=False, at_now=at_now, keys=departments)

