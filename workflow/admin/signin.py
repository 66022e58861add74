"""Signing in: throttling and lockout counted in the database, a password check that costs
the same for unknown users, and the log of every attempt.

Every attempt is a row of `sign_ins` (who typed which user name, when, from which
address, and what came of it), so the counts hold across processes and machines.
An account whose last `LOCK_AFTER` failures fall within `WINDOW` (counted since its last
successful sign-in or unlock) waits `BASE_WAIT` after the latest, doubling with every
further failure up to `MAX_WAIT`; an address with `ADDRESS_LOCK_AFTER` failures in the
window (password spraying over many accounts) waits the same way. While waiting, even
the right password is refused. An administrator's unlock is a row too (`unlocked`).

The check and the hash run outside any transaction (a hash takes ~0.1 s: it must not
hold SQLite's write lock); two attempts racing may therefore both be counted after
the limit, which only makes the wait longer.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import desc, insert, select
from werkzeug.security import check_password_hash, generate_password_hash

from states.process import Role
from workflow.domain.model import Actor
from workflow.store.schema import sign_ins, users

WINDOW = timedelta(minutes=15)
LOCK_AFTER = 5
ADDRESS_LOCK_AFTER = 20
BASE_WAIT = timedelta(minutes=1)
MAX_WAIT = timedelta(minutes=15)
FAILURES = ("bad_password", "unknown_user")
RESETS = ("ok", "unlocked")
#: How many of the latest rows one lock decision reads (enough to see past the limit).
_LOOK_BACK = 60


@dataclass(frozen=True)
class Attempt:
    """What came of a sign-in: the actor (on success), or the outcome and any wait."""

    actor: Actor | None
    outcome: str
    wait: timedelta | None = None
    generation: int = 0


@cache
def _dummy_hash() -> str:
    # The same method and cost as a real password's hash (werkzeug's default).
    return generate_password_hash("no such user: the same work as a real one")


def _wait(rows, limit: int, now: datetime) -> timedelta | None:
    """The wait left from rows (newest first: outcome, at), or None when not locked."""
    failures, latest = 0, None
    for outcome, at in rows:
        if outcome in RESETS:
            break
        if outcome in FAILURES:
            failures += 1
            latest = latest or at
    if failures < limit:
        return None
    wait = min(BASE_WAIT * 2 ** (failures - limit), MAX_WAIT)
    left = latest + wait - now
    return left if left > timedelta(0) else None


def _recent(conn, column, value: str, now: datetime):
    # Only failures and resets: refused attempts while locked must not push the
    # failures out of the rows looked at.
    return conn.execute(select(sign_ins.c.outcome, sign_ins.c.at)
                        .where(column == value, sign_ins.c.at > now - WINDOW,
                               sign_ins.c.outcome.in_(FAILURES + RESETS))
                        .order_by(desc(sign_ins.c.id)).limit(_LOOK_BACK)).all()


def account_wait(conn, username: str, now: datetime) -> timedelta | None:
    """How long the account must still wait before a sign-in is tried, or None."""
    return _wait(_recent(conn, sign_ins.c.username, username, now), LOCK_AFTER, now)


def address_wait(conn, address: str, now: datetime) -> timedelta | None:
    """How long the client address must still wait, or None."""
    return _wait(_recent(conn, sign_ins.c.address, address, now), ADDRESS_LOCK_AFTER, now)


def record(conn, username: str, address: str, outcome: str, *, now: datetime,
           by: str | None = None) -> None:
    """Write one row of the sign-in log."""
    conn.execute(insert(sign_ins).values(at=now, username=username[:60], address=address[:64],
                                         outcome=outcome, by=by))


def attempt(rt, username: str, password: str, address: str, *, now: datetime) -> Attempt:
    """Try a sign-in and record it: locked (account or address), unknown user, wrong
    password, or the actor. The hash runs whether or not the user exists."""
    username = username[:60]
    with rt.uow(write=False) as uow:
        wait = account_wait(uow.conn, username, now)
        outcome = "locked" if wait else None
        if wait is None:
            wait = address_wait(uow.conn, address, now)
            outcome = "address_locked" if wait else None
        row = uow.conn.execute(select(users).where(users.c.username == username,
                                                   users.c.active)).first()
    found = None
    if outcome is None:
        stored = row.password_hash if row is not None and row.password_hash else None
        matches = check_password_hash(stored or _dummy_hash(), password)
        if stored and matches:
            outcome, found = "ok", Actor(row.username, Role(row.role), row.department,
                                         row.display_name, row.lead)
        else:
            outcome = "bad_password" if row is not None else "unknown_user"
    with rt.uow() as uow:
        record(uow.conn, username, address, outcome, now=now)
        uow.commit()
    return Attempt(found, outcome, wait, row.session_generation if found else 0)


def unlock(conn, username: str, *, by: str, now: datetime) -> None:
    """Let the account sign in again at once (its failures so far no longer count)."""
    record(conn, username, "-", "unlocked", now=now, by=by)


def locked_accounts(conn, *, now: datetime) -> dict[str, timedelta]:
    """username -> wait left, for every account locked now."""
    rows = conn.execute(select(sign_ins.c.username, sign_ins.c.outcome, sign_ins.c.at)
                        .where(sign_ins.c.at > now - WINDOW,
                               sign_ins.c.outcome.in_(FAILURES + RESETS))
                        .order_by(desc(sign_ins.c.id))).all()
    by_user: dict[str, list] = {}
    for r in rows:
        by_user.setdefault(r.username, []).append((r.outcome, r.at))
    locked = {}
    for username, recent in by_user.items():
        wait = _wait(recent, LOCK_AFTER, now)
        if wait:
            locked[username] = wait
    return locked


def history(conn, *, username: str | None = None, limit: int = 200) -> list:
    """The latest rows of the sign-in log, newest first (optionally of one user name)."""
    query = select(sign_ins).order_by(desc(sign_ins.c.id)).limit(limit)
    if username:
        query = query.where(sign_ins.c.username == username)
    return conn.execute(query).all()
