"""Policy administration: store a policy file as a new version, compare versions,
preview what a version would move, activate it, and migrate open complaints to it.

A version is stored whole or not at all (the file's checks, every bad key listed,
`states.policy.PolicyError`). Activating one changes which version *new* complaints
are pinned to and nothing else. Migrating moves complaints already filed onto it: one
transaction per complaint, each moved clock with a "moved" entry in its history (by
version N, by whom); a complaint already on the version is skipped, so a migration that
was interrupted can simply be run again. Used by `complaints policy` and the
administrator's policy page.
"""
from __future__ import annotations

import difflib
import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update

from states.policy import Policy, changes, parse_policy_text
from workflow.admin import moves
from workflow.store import policies
from workflow.store.schema import complaints as c

log = logging.getLogger(__name__)


@dataclass
class Stored:
    """What storing a file did."""

    number: int
    created: bool          # False: the same content was already this version


def store(rt, text: str, *, source: str, by: str, now: datetime, note: str = "") -> Stored:
    """Validate a policy file's text and store it as a new version (inactive)."""
    policy = parse_policy_text(text, source)
    with rt.uow() as uow:
        number, created = policies.add(uow.conn, policy, by=by, now=now, note=note)
        uow.commit()
    log.info("policy %s %s by %s (%s)", number, "stored" if created else "already stored",
             by, source)
    return Stored(number, created)


def activate(rt, number: int, *, by: str, now: datetime) -> None:
    """Make version `number` the one new complaints are pinned to (every process sees it
    within `policy_registry.POLICY_REFRESH_SECONDS`)."""
    with rt.uow() as uow:
        policies.activate(uow.conn, number, by=by, now=now)
        uow.commit()
    rt.refresh_policy()
    log.info("policy %s activated by %s", number, by)


def diff(rt, old: int, new: int) -> tuple[list[tuple[str, object, object]], list[str]]:
    """What differs from version `old` to version `new`: key by key, and as text."""
    a, b = rt.policy_version(old), rt.policy_version(new)
    lines = difflib.unified_diff(a.text.splitlines(), b.text.splitlines(),
                                 f"version {old}", f"version {new}", lineterm="")
    return changes(a, b), list(lines)


def _selection(complaint_ids=None, department: str | None = None):
    where = []
    if department:
        where.append(c.c.department == department)
    return dict(where=tuple(where), complaint_ids=complaint_ids)


def preview(rt, candidate: Policy, *, now: datetime, complaint_ids=None,
            department: str | None = None) -> moves.Plan:
    """The running clocks of open complaints (all, or those chosen) that would move if
    they were migrated to `candidate` (stored or not), without changing anything."""
    selection = _selection(complaint_ids, department)
    if candidate.number:       # a stored version: complaints already on it do not move
        selection["where"] += (c.c.policy_version != candidate.number,)
    with rt.uow(write=False) as uow:
        # A clock can move only where the candidate's rule for it differs from the
        # version its complaint is pinned to (the same rule on the same calendar gives
        # the same times: see `workflow.domain.clocks.replay`): read just those.
        counts = moves.groups(uow.conn, **selection)
        changed = [g for g in counts if _differs(rt.policy_version(g[0], uow.conn), candidate,
                                                 g[1], g[2])]
        rows = moves.running(uow.conn, groups=changed, **selection)
        unchanged = sum(n for g, n in counts.items() if g not in changed)
        return moves.plan(rows, lambda _row: candidate, uow.calendar, now, looked=unchanged)


def _differs(pinned: Policy, candidate: Policy, track: str, kind: str) -> bool:
    return (pinned.deadline(track, kind) != candidate.deadline(track, kind)
            or pinned.warning_fraction != candidate.warning_fraction)


@dataclass
class Migrated:
    """What a migration did."""

    complaints: int        # moved onto the version
    clocks: int            # clocks whose times moved
    skipped: int           # already on it, or closed meanwhile


def migrate(rt, number: int, *, by: str, now: datetime, complaint_ids=None,
            department: str | None = None) -> Migrated:
    """Pin open complaints (all, or those chosen) to version `number` and move their
    running clocks to its deadlines: one transaction per complaint."""
    policy = rt.policy_version(number)
    query = select(c.c.id).where(c.c.state != "closed", c.c.policy_version != number)
    if department:
        query = query.where(c.c.department == department)
    if complaint_ids is not None:
        query = query.where(c.c.id.in_(list(complaint_ids)))
    with rt.uow(write=False) as uow:
        ids = uow.conn.execute(query.order_by(c.c.id)).scalars().all()
    done = Migrated(0, 0, 0)
    for cid in ids:
        with rt.uow() as uow:
            # Pin first: the row lock (PostgreSQL) keeps the worker and actions off this
            # complaint until the commit, and an action decided on the old version fails
            # its version check (`workflow.store.complaints.write_change`).
            pinned = uow.conn.execute(
                update(c).where(c.c.id == cid, c.c.state != "closed",
                                c.c.policy_version != number)
                .values(policy_version=number)).rowcount
            if not pinned:
                done.skipped += 1
                continue
            planned = moves.plan(moves.running(uow.conn, complaint_ids=[cid]),
                                 lambda _row: policy, uow.calendar, now)
            done.clocks += moves.move(uow.conn, planned.moves, version=number,
                                      reason="policy", by=by, now=now)
            uow.commit()
            done.complaints += 1
    log.info("policy %s: %s complaints migrated by %s, %s clocks moved, %s skipped",
             number, done.complaints, by, done.clocks, done.skipped)
    return done
