"""Acting on a complaint: the use case every entry point calls, and its in-transaction
core that the timer's "deadline due" service shares.

`apply_action` loads the complaint with its clocks (or takes a complaint already
loaded and reads its clocks), lets the domain decide (`workflow.domain.actions.decide`:
404, 403, 409, 422 or the change; `workflow.domain.clocks.Clocks`: what it does to the
clocks) and has the store write both as they are (`workflow.store.complaints.write_change`).
It does not commit: `act` does, and the timer worker commits a whole batch.

The write lands only on the complaint's version and clocks as loaded. The timer worker
changes clocks without bumping the version, so a write refused while the version stood
still (`StaleClocks`) is no one's conflicting edit: the action loads and decides again,
up to `ATTEMPTS` times, and only then answers Conflict.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from states.clocks import RULES
from states.process import ACTIONS
from workflow import metrics
from workflow.domain import actions as rules
from workflow.domain.clocks import Clocks, touched
from workflow.domain.errors import NotFound, StaleClocks
from workflow.domain.model import Actor, Complaint
from workflow.store import complaints as store
from workflow.store.runtime import Runtime

log = logging.getLogger(__name__)

#: How many times an action is decided on a fresh load when only its clocks moved.
ATTEMPTS = 3


def allowed_actions(uow, complaint: Complaint, actor: Actor) -> list[str]:
    """The actions this actor may fire on this complaint now."""
    return rules.allowed_actions(uow.process, uow.policy_for(complaint), complaint, actor)


def apply_action(uow, complaint: int | Complaint, action: str, actor: Actor, *,
                 now: datetime, expected_version: int | None = None,
                 data: dict | None = None, want_clocks: bool = False,
                 **values) -> Complaint | tuple[Complaint, list | None]:
    """Fire `action` on a complaint (an id, or the complaint as loaded in this unit of
    work) in the unit of work's transaction; return it changed (and its clocks after
    the action when `want_clocks`). `values` are the action's fields: comment,
    department, satisfaction, reason (`states.fields.ACTION_SPECS`)."""
    if not isinstance(complaint, Complaint) and action not in ACTIONS:  # before any read
        raise NotFound("action", action)
    once = dict(now=now, expected_version=expected_version, data=data,
                want_clocks=want_clocks, **values)
    for attempt in range(1, ATTEMPTS):
        try:
            return _apply_once(uow, complaint, action, actor, **once)
        except StaleClocks:
            complaint = getattr(complaint, "id", complaint)     # load it afresh
            log.info("complaint %s: %s was decided on clocks changed meanwhile; "
                     "deciding again (%s)", complaint, action, attempt)
    return _apply_once(uow, complaint, action, actor, **once)


def _apply_once(uow, complaint: int | Complaint, action: str, actor: Actor, *,
                now: datetime, expected_version: int | None, data: dict | None,
                want_clocks: bool, **values):
    if not isinstance(complaint, Complaint):
        complaint, clocks = store.load_for_action(uow, complaint, touched(RULES.get(action)))
    else:
        clocks = store.clocks_of(uow, complaint.id, touched(RULES.get(action)))
    policy = uow.policy_for(complaint)
    change = rules.decide(uow.process, policy, complaint, action, actor, now=now,
                          values=values, data=data, expected_version=expected_version,
                          department_active=store.department_active(uow),
                          user_of=store.user_of(uow))
    planned = Clocks(complaint, clocks, policy, uow.calendar, now, reason=action,
                     actor=actor.username).apply(change.rule).plan()
    clocks = store.write_change(uow, change, planned, want_clocks=want_clocks)
    log.debug("complaint %s: %s %s -> %s by %s", complaint.id, action, change.from_state.value,
              complaint.state.value, actor.username)
    return (complaint, clocks) if want_clocks else complaint


def check_may(rt: Runtime, complaint_id: int, action: str, actor: Actor, *,
              expected_version: int | None = None) -> None:
    """Raise what `act` would answer before looking at the fields (404, stale version,
    403, 409), reading only: so that an entry point that refuses malformed fields at its
    boundary still gives those answers first, as the pages do."""
    if action not in ACTIONS:
        raise NotFound("action", action)
    with rt.uow(write=False) as uow:
        complaint = store.load(uow, complaint_id)
        rules.check_may(uow.process, uow.policy_for(complaint), complaint, action, actor,
                        expected_version)


def act(rt: Runtime, complaint_id: int, action: str, actor: Actor, *, now: datetime,
        **fields) -> Complaint:
    """Fire one action on one complaint, in a transaction of its own."""
    try:
        with rt.uow() as uow:
            complaint = apply_action(uow, complaint_id, action, actor, now=now, **fields)
            uow.commit()
    except Exception as exc:
        metrics.count_action(action, metrics.outcome_of(exc))
        raise
    _count_done(action)
    return complaint


def _count_done(action: str) -> None:
    metrics.count_action(action, "ok")
    if action == "escalate":
        metrics.ESCALATIONS.labels("hand").inc()


@dataclass
class Acted:
    """An action's outcome as an API answer shows it, all read in the action's transaction."""

    complaint: Complaint
    deadlines: list[dict]     # `workflow.store.deadlines.rows`: the clocks, nearest due first
    allowed: list[str]        # what the actor may fire next


def act_and_read(rt: Runtime, complaint_id: int, action: str, actor: Actor, *,
                 now: datetime, **fields) -> Acted:
    """`act`, also reading the changed complaint's clocks and the actor's next actions
    before the commit: one unit of work instead of a second one to read them back.

    On PostgreSQL, when the action's writes are one statement (`store.one_statement`),
    that unit of work runs in autocommit: no BEGIN and COMMIT round trips. The statement
    is atomic by itself; what could fail after it is building the answer, and then the
    action stands, as it would if the answer were lost on its way to the caller."""
    try:
        with rt.uow(autocommit=store.one_statement(rt.engine.dialect.name, action)) as uow:
            complaint, clocks = apply_action(uow, complaint_id, action, actor, now=now,
                                             want_clocks=True, **fields)
            acted = Acted(complaint, clocks, allowed_actions(uow, complaint, actor))
            uow.commit()
    except Exception as exc:
        metrics.count_action(action, metrics.outcome_of(exc))
        raise
    _count_done(action)
    return acted
