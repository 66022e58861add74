"""Deciding one action on one complaint: who may, whether the state allows it, whether
its fields are right, and what it changes. Pure Python on `states/`: no database.

`decide` answers in a fixed order, the same for pages, the API, the CLI and the timer:
unknown action or a complaint the actor may not see → `NotFound` (404); a stale version
→ `Conflict` (someone acted first: reload); a role that may never fire the action, or an
actor whose department may not act on this complaint → `Forbidden` (403); an action the
current state does not allow → `ActionNotAllowed` (409); allowed in this state but not
for this role → `Forbidden`; bad fields or a policy limit →
`ValidationError` (422). Otherwise it fires the action on the shared machine and
returns the `Change` that the store writes. The process questions ("does the state
allow it", "may this role", "do the policy's limits") are the shared machine's conditions
(`states.process.Process`); the action's effect is its callback (`effects.py`).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from states.clocks import RULES, ClockRule
from states.fields import action_fields, unsafe_text
from states.process import ACTIONS, Process, State, policy_limit_reached
from workflow.domain import access
from workflow.domain.errors import (
    ActionNotAllowed,
    Conflict,
    FieldError,
    Forbidden,
    NotFound,
    ValidationError,
)
from workflow.domain.model import Actor, Complaint

#: The complaint columns an action may change (besides state, version and updated_at).
MUTABLE = ("state", "department", "escalation_level", "major_reasons", "reopen_count",
           "cycle", "satisfaction", "paused_at", "pause_count", "paused_seconds",
           "handler_user")

#: A look-up `username -> (department, role)` of an active user, None when there is none.
UserLookup = Callable[[str], "tuple[str, str] | None"]
#: The roles that may hold a complaint as its handler of record (`workflow.domain.access`).
HOLDERS = access.HOLDERS


@dataclass
class Change:
    """What one action does: the complaint after it, the changed columns, the event."""

    complaint: Complaint
    from_state: State
    version: int                    # the version it was decided on
    columns: dict                   # changed columns -> new values (state, updated_at too)
    event: dict                     # the history event (complaint_id, at, actor, ...)
    rule: ClockRule | None          # what it does to the clocks


def policy_limit(policy, complaint: Complaint, action: str) -> tuple[str, FieldError] | None:
    """(field, error) when the policy's limits refuse `action` on this complaint now (the
    machine's `at_policy_limit` guard asks the same `states.process` rule)."""
    reached = policy_limit_reached(policy, complaint, action)
    return None if reached is None else (reached[0], FieldError(reached[1], **reached[2]))


def allowed_actions(process: Process, policy, complaint: Complaint, actor: Actor) -> list[str]:
    """The actions this actor may fire on this complaint now.

    The machine answers, by its conditions: the state's guards, the role, and the
    policy's limits (escalate at the highest level, pause once the waits are used up: a
    form that can only fail is not offered). The department and the lead rule are
    `workflow.domain.access`'s."""
    if not access.may_act(actor, complaint):
        return []
    return [action for action in process.allowed(complaint, actor.role, policy)
            if access.may_fire(actor, action)]


def check_fields(policy, complaint: Complaint, action: str, values: dict,
                 department_active: Callable[[str], bool],
                 user_of: UserLookup = lambda name: None) -> None:
    """Raise ValidationError listing every field of `values` that `action` refuses.

    `values` maps field names to the values given (None: not given); the fields and
    their limits come from `states.fields.ACTION_SPECS`. Fields the action does not
    take are not checked here (the API refuses them at its boundary)."""
    errors: dict[str, FieldError] = {}
    for spec in action_fields(action):
        value = values.get(spec.name)
        if unsafe_text(value):     # before anything reads it (PostgreSQL refuses NUL)
            errors[spec.name] = FieldError("bad_characters")
        elif spec.kind == "text":
            if spec.required and not (value or "").strip():
                errors[spec.name] = FieldError("required")
            elif value and spec.max_length and len(value) > spec.max_length:
                errors[spec.name] = FieldError("too_long", max=spec.max_length)
        elif spec.kind == "department":
            if not value:
                errors[spec.name] = FieldError("required")
            elif not department_active(value):
                errors[spec.name] = FieldError("unknown_department", value=value)
            elif action == "transfer" and value == complaint.department:
                errors[spec.name] = FieldError("same_department")
        elif spec.kind == "user":
            error = _holder_error(complaint, value, user_of)
            if error:
                errors[spec.name] = error
        elif spec.kind == "choice" and value not in spec.choices:
            errors[spec.name] = FieldError("one_of", choices=", ".join(spec.choices))
    limit = policy_limit(policy, complaint, action)
    if limit:
        errors[limit[0]] = limit[1]
    if errors:
        raise ValidationError(errors)


def _holder_error(complaint: Complaint, username, user_of: UserLookup) -> FieldError | None:
    """Why `username` cannot become the complaint's handler of record (None: they can).

    Only within the department that handles it now: across departments is a transfer."""
    if not (username or "").strip():
        return FieldError("required")
    found = user_of(username)
    if found is None:
        return FieldError("unknown_user", value=username)
    department, role = found
    if department != complaint.department:
        return FieldError("handler_other_department", value=username)
    if role not in HOLDERS:
        return FieldError("handler_cannot_act", value=username)
    if username == complaint.handler_user:
        return FieldError("same_handler", value=username)
    return None


def check_may(process: Process, policy, complaint: Complaint, action: str, actor: Actor,
              expected_version: int | None = None) -> None:
    """Everything `decide` checks before the fields: raise NotFound, Conflict, Forbidden
    or ActionNotAllowed (in that order), or return when the action may go ahead."""
    if action not in ACTIONS:
        raise NotFound("action", action)
    if not access.may_see(actor, complaint):
        raise NotFound("complaint", complaint.id)
    if expected_version is not None and expected_version != complaint.version:
        raise Conflict(complaint.id, expected_version, complaint.version)
    if (actor.role not in process.roles_for(action) or not access.may_act(actor, complaint)
            or not access.may_fire(actor, action)):
        raise Forbidden(actor.username, actor.role.value, action, complaint.number)
    if process.may(complaint, action, role=actor.role):
        return
    # Refused: by the state (409), or in this state by the role (403: only the front line
    # and the desk reply straight from received). One more question to the machine.
    if not process.may(complaint, action):
        raise ActionNotAllowed(action, complaint.state.value,
                               allowed_actions(process, policy, complaint, actor))
    raise Forbidden(actor.username, actor.role.value, action, complaint.number)


def decide(process: Process, policy, complaint: Complaint, action: str, actor: Actor, *,
           now: datetime, values: dict, data: dict | None = None,
           expected_version: int | None = None,
           department_active: Callable[[str], bool] = lambda code: True,
           user_of: UserLookup = lambda name: None) -> Change:
    """Check `action` on the complaint and apply it to the object; return the Change.

    `values` are the action's fields (comment, department, satisfaction, reason)."""
    check_may(process, policy, complaint, action, actor, expected_version)
    check_fields(policy, complaint, action, values, department_active, user_of)
    if action == "attach" and not (data or {}).get("attachment"):
        # Only `workflow.services.attaching` attaches: with the file stored first.
        raise ValidationError({"file": FieldError("required")})

    from_state, version = complaint.state, complaint.version
    before = {c: getattr(complaint, c) for c in MUTABLE}
    data = dict(data or {})
    # The machine checks the guards again and runs the row's effect (`effects.py`).
    process.fire(complaint, action, role=actor.role, policy=policy, actor=actor, now=now,
                 values=values, data=data)
    # Only the columns this action changed: fewer values to convert and bind.
    columns = {c: getattr(complaint, c) for c, v in before.items() if getattr(complaint, c) != v}
    columns.update(state=complaint.state.value, updated_at=now)
    for key in ("department", "satisfaction", "reason"):
        if values.get(key):
            data[key] = values[key]
    event = dict(complaint_id=complaint.id, at=now, actor=actor.username,
                 actor_role=actor.role.value, action=action, from_state=from_state.value,
                 to_state=complaint.state.value, comment=values.get("comment") or "", data=data)
    return Change(complaint, from_state, version, columns, event, RULES.get(action))
