"""Firing one action on one complaint inside a unit of work: the hot path.

`apply_action` checks the action against the machine, the role table and the actor's
department, fires it on the shared machine, writes the new state with an optimistic
version check, appends the history event and applies the clock rule, all in the
caller's transaction. It does not commit: `workflow.services.act` does, and the timer
worker commits together with marking its deadline fired. On PostgreSQL the writes of
every action whose clock rule needs no read first go to the server as one statement
(`workflow.store.pgwrite`); SQLite, and PostgreSQL for `resume` and `escalate`, run them one
by one.
"""
from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import bindparam, insert, select, update

from states.catalogue import CUSTOMER_SERVICE, SATISFACTION
from states.clocks import RULES
from states.process import ACTIONS
from workflow.domain import access
from workflow.store import deadlines, pgwrite
from workflow.domain.errors import (ActionNotAllowed, Conflict, Forbidden, NotFound,
                             ValidationError)
from workflow.store.fastsql import Prepared
from workflow.domain.model import Actor, Complaint
from workflow.store.schema import complaints as t, departments, events

log = logging.getLogger(__name__)

MUTABLE = ("state", "department", "escalation_level", "major_reasons", "reopen_count",
           "cycle", "satisfaction", "paused_at", "pause_count", "paused_seconds")
MAX_TEXT = 4000
_SELECT = Prepared(select(t).where(t.c.id == bindparam("id")))
_UPDATE = Prepared(update(t).where(t.c.id == bindparam("_id"),
                                   t.c.version == bindparam("_version"))
                   .values(version=t.c.version + 1))
_INSERT_EVENT = Prepared(insert(events))
_DEPARTMENT = select(departments.c.code).where(departments.c.code == bindparam("code"),
                                               departments.c.active)
NEEDS_COMMENT = frozenset({"contact", "reply"})
NEEDS_REASON = frozenset({"transfer", "reopen", "escalate", "pause"})


def load(uow, complaint_id) -> Complaint:
    """Load a complaint or raise NotFound."""
    row = _SELECT.first(uow.conn, {"id": complaint_id})
    if row is None:
        raise NotFound("complaint", complaint_id)
    return Complaint.from_row(row)


def allowed_actions(uow, complaint: Complaint, actor: Actor) -> list[str]:
    """The actions this actor may fire on this complaint now.

    Left out too: an action the policy's limits refuse whatever its fields (escalate at
    the highest level, pause once the waits are used up). The machine allows those, but
    pages would offer a form that can only fail."""
    if not access.may_act(actor, complaint):
        return []
    return [action for action in uow.process.allowed(complaint, actor.role)
            if _policy_limit(uow.policy, complaint, action) is None]


def _policy_limit(policy, complaint, action) -> tuple[str, str] | None:
    """(field, why) when the policy's limits refuse `action` on this complaint now."""
    if action == "escalate" and complaint.escalation_level >= policy.max_escalation_level:
        return "escalation_level", (f"already at the highest escalation level "
                                    f"({policy.max_escalation_level})")
    if action == "pause":
        if complaint.pause_count >= policy.max_pauses:
            return "reason", (f"the reply clock may wait on the customer at most "
                              f"{policy.max_pauses} times")
        if complaint.paused_seconds >= policy.max_pause_total.seconds:
            return "reason", f"the reply clock has already waited {policy.max_pause_total} in all"
    return None


def _check_fields(uow, complaint, action, actor, comment, department, satisfaction, reason):
    errors = {}
    if comment and len(comment) > MAX_TEXT:
        errors["comment"] = f"at most {MAX_TEXT} characters"
    if action in NEEDS_COMMENT and not (comment or "").strip():
        errors["comment"] = "required"
    if action in NEEDS_REASON and not (reason or "").strip():
        errors["reason"] = "required"
    elif reason and len(reason) > MAX_TEXT:
        errors["reason"] = f"at most {MAX_TEXT} characters"
    if action in ("assign", "transfer"):
        if not department:
            errors["department"] = "required"
        elif uow.conn.execute(_DEPARTMENT, {"code": department}).first() is None:
            errors["department"] = f"unknown department {department!r}"
        elif action == "transfer" and department == complaint.department:
            errors["department"] = "already assigned to this department"
    if action == "close" and satisfaction not in SATISFACTION:
        errors["satisfaction"] = f"one of {', '.join(SATISFACTION)}"
    limit = _policy_limit(uow.policy, complaint, action)
    if limit:
        errors[limit[0]] = limit[1]
    if errors:
        raise ValidationError(errors)


def _apply_effects(complaint, action, actor, now, department, satisfaction, data):
    extra = {}
    if action in ("assign", "transfer"):
        extra["from_department"] = complaint.department
        complaint.department = department
    elif action == "close":
        complaint.satisfaction = satisfaction
    elif action == "reopen":
        complaint.reopen_count += 1
        complaint.cycle += 1
        complaint.satisfaction = None
    elif action == "pause":
        complaint.paused_at = now
        complaint.pause_count += 1
    elif action == "resume" or (action == "reply" and complaint.paused_at is not None):
        # A reply ends a wait on the customer too: the clocks it stops are not resumed.
        complaint.paused_seconds += int((now - complaint.paused_at).total_seconds())
        complaint.paused_at = None
    elif action == "escalate":
        _escalate(complaint, actor, data)
    return extra


def _escalate(complaint, actor, data):
    if complaint.escalation_level == 0:
        complaint.department = CUSTOMER_SERVICE
    complaint.escalation_level += 1
    why = data.get("criterion") or ("timer" if actor.username == "system" else "manual")
    if why not in complaint.major_reasons:
        complaint.major_reasons = [*complaint.major_reasons, why]


def one_statement(dialect_name: str, action: str) -> bool:
    """Whether the action's writes go to the database as a single statement
    (`workflow.store.pgwrite`), so its unit of work may run in autocommit."""
    return dialect_name == "postgresql" and action in ACTIONS and pgwrite.covers(RULES.get(action))


def _conflict(uow, complaint_id, version) -> Conflict:
    current = uow.conn.execute(select(t.c.version).where(t.c.id == complaint_id)).scalar()
    return Conflict(complaint_id, version, current)


def apply_action(uow, complaint_id, action: str, actor: Actor, *, now: datetime,
                 expected_version: int | None = None, comment: str = "",
                 department: str | None = None, satisfaction: str | None = None,
                 reason: str | None = None, data: dict | None = None) -> Complaint:
    """Fire `action` on a complaint in the unit of work's transaction; return it changed."""
    return _apply(uow, complaint_id, action, actor, now, expected_version, comment, department,
                  satisfaction, reason, data, want_clocks=False)[0]


def apply_and_read_clocks(uow, complaint_id, action: str, actor: Actor, *, now: datetime,
                          expected_version: int | None = None, comment: str = "",
                          department: str | None = None, satisfaction: str | None = None,
                          reason: str | None = None,
                          data: dict | None = None) -> tuple[Complaint, list[dict]]:
    """`apply_action`, also returning the complaint's clocks after it (`deadlines.rows`);
    on PostgreSQL they come back with the writes (see workflow.store.pgwrite)."""
    return _apply(uow, complaint_id, action, actor, now, expected_version, comment, department,
                  satisfaction, reason, data, want_clocks=True)


def _apply(uow, complaint_id, action, actor, now, expected_version, comment, department,
           satisfaction, reason, data, want_clocks: bool) -> tuple[Complaint, list | None]:
    if action not in ACTIONS:
        raise NotFound("action", action)
    complaint = load(uow, complaint_id)
    if not access.may_see(actor, complaint):
        raise NotFound("complaint", complaint_id)
    if expected_version is not None and expected_version != complaint.version:
        raise Conflict(complaint.id, expected_version, complaint.version)
    step = uow.process.step_for(complaint, action)
    if step is None:
        raise ActionNotAllowed(action, complaint.state.value,
                               allowed_actions(uow, complaint, actor))
    if actor.role not in step.roles or not access.may_act(actor, complaint):
        raise Forbidden(f"{actor.username} ({actor.role.value}) may not {action} "
                        f"complaint {complaint.number}")
    _check_fields(uow, complaint, action, actor, comment, department, satisfaction, reason)

    from_state, version = complaint.state, complaint.version
    before = {c: getattr(complaint, c) for c in MUTABLE}
    data = dict(data or {})
    uow.process.fire(complaint, action)
    data.update(_apply_effects(complaint, action, actor, now, department, satisfaction, data))
    if (action == "reopen" and complaint.escalation_level == 0
            and complaint.reopen_count >= uow.policy.repeat_count):
        _escalate(complaint, actor, {"criterion": "repeated"})
        data["became_major"] = "repeated"
    # Only the columns this action changed: fewer values to convert and bind.
    params = {c: v for c, v in before.items() if getattr(complaint, c) != v}
    params = {c: getattr(complaint, c) for c in params}
    params.update(state=complaint.state.value, updated_at=now, _id=complaint.id,
                  _version=version)
    for key, value in (("department", department), ("satisfaction", satisfaction),
                       ("reason", reason)):
        if value:
            data[key] = value
    if action == "escalate":
        data["level"] = complaint.escalation_level
    event = dict(complaint_id=complaint.id, at=now, actor=actor.username,
                 actor_role=actor.role.value, action=action, from_state=from_state.value,
                 to_state=complaint.state.value, comment=comment or "", data=data)
    rule = RULES.get(action)
    if one_statement(uow.conn.dialect.name, action):
        # One round trip for all of it (see workflow.store.pgwrite).
        starts = deadlines.plan(uow, complaint, rule.start, now) if rule else []
        clocks = pgwrite.write(uow.conn, params, event, rule, starts, now, answer=want_clocks)
        if clocks is None:
            raise _conflict(uow, complaint.id, version)
        complaint.version, complaint.updated_at = version + 1, now
    else:
        if getattr(uow, "autocommit", False):
            raise RuntimeError(f"{action} writes several statements: not in autocommit")
        if _UPDATE.execute(uow.conn, params) != 1:
            raise _conflict(uow, complaint.id, version)
        complaint.version, complaint.updated_at = version + 1, now
        _INSERT_EVENT.execute(uow.conn, event)
        deadlines.apply(uow, action, complaint, now)
        clocks = deadlines.rows(uow.conn, complaint.id) if want_clocks else None
    log.debug("complaint %s: %s %s -> %s by %s", complaint.id, action, from_state.value,
              complaint.state.value, actor.username)
    return complaint, clocks if want_clocks else None

