"""The work queue's counts per state, kept beside the complaints (`queue_counts`).

Every queue page and API list shows how many complaints of its scope are in each state
(the chips) and pages by their total. Counting the matching complaints themselves reads
every one of them: at a million complaints 320-620 ms on SQLite for a scope that sees
most of them, however narrow the index (the per-row work, not the reading, is the cost).
Instead the triggers of migration 0013 keep one row per combination of the columns
`KEYS` with how many complaints have it (a few thousand combinations, however many
complaints), and a count is a sum over the matching combinations: a few milliseconds.

Writers only append: a complaint that changes a counted column adds -1 for its old
combination and +1 for its new one, so concurrent actions never wait on a shared row.
`compact` folds the rows of each combination into one; the timer worker runs it every
few seconds (`timers.worker`). A count is right whether or not it has run: folding only
keeps the table small.

The conditions are those of `workflow.store.queries` on the same column names; the queue
takes this table whenever every filter is on one of `KEYS` (scopes, department, severity,
handler, cause, channel, source) and counts the complaints otherwise (a search, a date
range, overdue or warned).
"""
from __future__ import annotations

from sqlalchemy import delete, func, insert, select, text

from workflow.store.schema import complaints
from workflow.store.schema import queue_counts as q

#: The counted columns (those of `queue_counts` but `id` and `n`).
KEYS = ("state", "escalation_level", "source", "department", "originating_department",
        "routed_department", "handler_user", "cause", "channel")
#: PostgreSQL: the advisory lock one compaction at a time holds (timer workers on several
#: machines); another worker that finds it taken leaves the folding to the holder.
_LOCK_KEY = 0x636F756E74        # "count"


def by_state(conn, where) -> dict[str, int]:
    """How many complaints match `where` (conditions on `queue_counts.c`) in each state;
    states without any are left out."""
    rows = conn.execute(select(q.c.state, func.sum(q.c.n)).where(*where)
                        .group_by(q.c.state)).all()
    return {state: int(n) for state, n in rows if n}


def compact(conn) -> int:
    """Fold every combination with more than one row into one row holding the sum (none
    when the sum is 0), in the caller's transaction; how many rows went. All of it in
    the database, however many rows there are (a bulk load of a million complaints
    through the triggers leaves a million).

    PostgreSQL: one statement deletes the rows and inserts the sums of exactly the rows
    it deleted, so a row appended meanwhile stays for the next time; a second
    compaction finds the advisory lock taken and leaves the folding to the holder.
    SQLite: the caller's transaction must be a writing one (it holds the write lock, so
    nothing but the sums is added between the statements); the rows folded are those
    with an id up to the largest before the sums were added."""
    if conn.dialect.name == "postgresql":
        if not conn.execute(text("SELECT pg_try_advisory_xact_lock(:k)"),
                            {"k": _LOCK_KEY}).scalar():
            return 0
        gone, kept = conn.execute(text(_FOLD_POSTGRESQL)).one()
        return gone - kept
    last = conn.execute(select(func.max(q.c.id))).scalar()
    if last is None:
        return 0
    kept = conn.execute(text(_FOLD_SQLITE_SUMS), {"last": last}).rowcount
    gone = conn.execute(text(_FOLD_SQLITE_ROWS), {"last": last}).rowcount
    return gone - kept


_KEYS = ", ".join(KEYS)


def _folded(upto: str = "") -> str:
    """The ids of the rows of every combination that has more than one (one pass)."""
    return (f"SELECT id FROM (SELECT id, count(*) OVER (PARTITION BY {_KEYS}) AS rows_of "
            f"FROM queue_counts {upto}) AS combos WHERE rows_of > 1")


_FOLD_POSTGRESQL = f"""
WITH gone AS (DELETE FROM queue_counts WHERE id IN ({_folded()}) RETURNING {_KEYS}, n),
     kept AS (INSERT INTO queue_counts ({_KEYS}, n)
              SELECT {_KEYS}, sum(n) FROM gone GROUP BY {_KEYS} HAVING sum(n) <> 0
              RETURNING 1)
SELECT (SELECT count(*) FROM gone), (SELECT count(*) FROM kept)"""
_FOLD_SQLITE_SUMS = f"""
INSERT INTO queue_counts ({_KEYS}, n)
SELECT {_KEYS}, sum(n) FROM queue_counts WHERE id IN ({_folded("WHERE id <= :last")})
GROUP BY {_KEYS} HAVING sum(n) <> 0"""
_FOLD_SQLITE_ROWS = f"DELETE FROM queue_counts WHERE id IN ({_folded('WHERE id <= :last')})"


def rebuild(conn) -> None:
    """Count every complaint again (after a bulk load that bypassed the triggers, such as
    PostgreSQL's COPY under `session_replication_role = replica`), in the caller's
    transaction."""
    conn.execute(delete(q))
    conn.execute(insert(q).from_select([*KEYS, "n"], _counted()))


def kept(conn) -> dict[tuple, int]:
    """Every combination of `KEYS` (in that order) with its kept count, none of them 0."""
    keys = [q.c[k] for k in KEYS]
    rows = conn.execute(select(*keys, func.sum(q.c.n)).group_by(*keys)).all()
    return {tuple(r[:-1]): int(r[-1]) for r in rows if r[-1]}


def counted(conn) -> dict[tuple, int]:
    """The same, counted from the complaints themselves."""
    return {tuple(r[:-1]): r[-1] for r in conn.execute(_counted()).all()}


def drift(conn) -> dict[tuple, tuple[int, int]]:
    """The combinations whose kept count is not the complaints' count: (kept, counted).
    Empty unless a writer bypassed the triggers (see `rebuild`)."""
    have, want = kept(conn), counted(conn)
    return {k: (have.get(k, 0), want.get(k, 0)) for k in have.keys() | want.keys()
            if have.get(k, 0) != want.get(k, 0)}


def _counted():
    c = complaints.c
    columns = [func.coalesce(c.handler_user, "") if k == "handler_user" else c[k]
               for k in KEYS]
    return select(*columns, func.count()).group_by(*columns)


def recount(conn, where) -> dict[str, int]:
    """The same figures as `by_state`, counted from the complaints themselves (`where`:
    conditions on `complaints.c`): what the tests and the system run check it against."""
    rows = conn.execute(select(complaints.c.state, func.count()).where(*where)
                        .group_by(complaints.c.state)).all()
    return {state: n for state, n in rows if n}
