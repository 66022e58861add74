"""The policy versions in the database: every policy file ever loaded, numbered and
immutable, and which one is active for new complaints.

Every web and timer process reads the active version from here (`Runtime` looks again
every few seconds), so all machines act on the same policy whatever file each was
started with. A complaint stays pinned to the version it was filed under
(`complaints.policy_version`) until an administrator migrates it
(`workflow.admin.policy`).
"""
from __future__ import annotations

import dataclasses
import json
import time
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError, OperationalError

from states.policy import Policy, parse_policy, parse_policy_text
from workflow.store.schema import policy_versions as t


def parse_row(row) -> Policy:
    """The stored version as a Policy (validated again: it was valid when stored)."""
    source = f"policy version {row.id}"
    if row.text.lstrip().startswith("{"):    # built in code, stored as its data (`_text`)
        policy = parse_policy(json.loads(row.text), source)
        return dataclasses.replace(policy, number=row.id, text=row.text)
    return parse_policy_text(row.text, source, number=row.id)


def stored_text(policy: Policy) -> str:
    """What is stored of a policy: its file as loaded, or (a policy built in code, e.g. a
    test's) its data as JSON."""
    return policy.text or json.dumps(policy.raw, ensure_ascii=False, sort_keys=True, indent=1)


def get(conn, number: int):
    """The row of version `number`, or None."""
    return conn.execute(select(t).where(t.c.id == number)).first()


def active_number(conn) -> int | None:
    """The version new complaints are pinned to, or None before the first is stored."""
    return conn.execute(select(t.c.id).where(t.c.active)).scalar()


def listing(conn) -> list:
    """Every version, newest first."""
    return conn.execute(select(t).order_by(t.c.id.desc())).all()


def by_digest(conn, digest: str) -> int | None:
    """The version with this content, or None."""
    return conn.execute(select(t.c.id).where(t.c.digest == digest)).scalar()


def add(conn, policy: Policy, *, by: str, now: datetime, note: str = "") -> tuple[int, bool]:
    """Store `policy` as a new version (inactive); return (its number, True), or the
    number of the version that already has this content and False."""
    existing = by_digest(conn, policy.digest)
    if existing is not None:
        return existing, False
    number = (conn.execute(select(func.max(t.c.id))).scalar() or 0) + 1
    conn.execute(t.insert().values(id=number, digest=policy.digest, text=stored_text(policy),
                                   source=policy.source[:200], note=note[:500], loaded_by=by,
                                   loaded_at=now, active=False))
    return number, True


def activate(conn, number: int, *, by: str, now: datetime) -> None:
    """Make version `number` the one new complaints get (in the caller's transaction)."""
    if get(conn, number) is None:
        raise LookupError(f"no policy version {number}")
    conn.execute(update(t).where(t.c.active, t.c.id != number).values(active=False))
    conn.execute(update(t).where(t.c.id == number, t.c.active.is_(False))
                 .values(active=True, activated_by=by, activated_at=now))


def ensure_first(engine, policy: Policy, *, by: str, now: datetime) -> int:
    """The active version; `policy` stored and activated as version 1 when there is none.

    Two processes starting on an empty database may both try: one inserts, the other
    finds the version it inserted."""
    with engine.connect() as conn:
        number = active_number(conn)
        if number is not None:
            return number
    for attempt in range(5):
        try:
            with engine.begin() as conn:
                if active_number(conn) is None:
                    number, _ = add(conn, policy, by=by, now=now,
                                    note="the policy the service first started with")
                    activate(conn, number, by=by, now=now)
            break
        except IntegrityError:
            break       # the other process inserted it
        except OperationalError:
            # SQLite: this read transaction could not become a write one because the other
            # process wrote first ("database is locked" at once, no busy wait): look again.
            with engine.connect() as conn:
                if active_number(conn) is not None:
                    break
            if attempt == 4:
                raise
            time.sleep(0.05 * (attempt + 1))
    with engine.connect() as conn:
        return active_number(conn)
