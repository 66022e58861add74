"""Domain errors, each with a code and parameters, and no words: only `web/` turns them
into HTTP codes and into Chinese or English text (`web/messages.py`, through the one
catalogue, where each code is an id of the "error" or "field" context).

`str()` of an error names its code and parameters, for logs: `not_found: kind='complaint',
key=5`. A field error (`FieldError`) is a `str` equal to its code, with its `params`.
"""
from __future__ import annotations

#: Every field error code; its text in each language is the catalogue's (web/translations).
FIELD_CODES: frozenset[str] = frozenset({
    "required", "too_long", "mobile_format", "unknown_choice", "one_of",
    "unknown_department", "same_department", "whole_number", "boolean", "wrong_type",
    "unknown_field", "unknown_parameter", "repeated_parameter", "date_time", "cursor",
    "escalation_at_max", "pause_count_used", "pause_total_used", "password_too_short",
    "username_format", "already_exists", "code_format", "name_required", "phone_format",
    "email_format", "length_between", "no_active_user", "unknown_user",
    "handler_other_department", "handler_cannot_act", "same_handler", "date", "year_month",
    "period_order", "period_too_long", "bad_characters", "file_too_large", "file_empty",
    "file_executable", "file_unknown_type", "file_name_mismatch", "file_kind_refused",
    "file_name_too_long",
})


class FieldError(str):
    """What is wrong with one field: a code from FIELD_CODES and its parameters.

    It is also the code as a string, so `errors` maps compare and serialise simply."""

    code: str
    params: dict

    def __new__(cls, code: str, **params):
        if code not in FIELD_CODES:
            raise ValueError(f"unknown field error code {code!r}")
        self = super().__new__(cls, code)
        self.code, self.params = code, params
        return self

    def describe(self) -> str:
        """The code and its parameters, for logs: `too_long(max=100)`."""
        return f"{self.code}({_args(self.params)})" if self.params else self.code

    def __reduce__(self):
        return (_field_error, (self.code, self.params))


def _field_error(code, params):
    return FieldError(code, **params)


def _args(params: dict) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in params.items())


class DomainError(Exception):
    """Base of every error a service raises on purpose: `code` and `params`."""

    code = "domain_error"

    def __init__(self, **params):
        self.params = params
        super().__init__(f"{self.code}: {_args(params)}" if params else self.code)


class ValidationError(DomainError):
    """Input is wrong; `errors` maps every bad field to its FieldError."""

    code = "validation_error"

    def __init__(self, errors: dict[str, FieldError]):
        bad = {k: v for k, v in errors.items() if not isinstance(v, FieldError)}
        if bad:
            raise TypeError(f"field errors must be FieldError, not {bad!r}")
        self.errors = dict(errors)
        DomainError.__init__(self)
        self.args = (f"{self.code}: " + "; ".join(f"{k}={v.describe()}" for k, v in self.errors.items()),)


class NotFound(DomainError):
    """An unknown complaint, department, cause, user or action (or one the actor may not
    see: to them it does not exist)."""

    code = "not_found"

    def __init__(self, kind: str, key):
        self.kind, self.key = kind, key
        super().__init__(kind=kind, key=key)


class Forbidden(DomainError):
    """The actor may see the complaint but may not do this to it."""

    code = "forbidden"

    def __init__(self, actor: str, role: str, action: str, number: str):
        super().__init__(actor=actor, role=role, action=action, number=number)


class IntakeForbidden(Forbidden):
    """The actor's role may not file complaints."""

    code = "intake_forbidden"

    def __init__(self, actor: str, role: str):
        DomainError.__init__(self, actor=actor, role=role)


class ActionNotAllowed(DomainError):
    """The machine does not allow this action from the complaint's current state (for
    this actor's role)."""

    code = "action_not_allowed"

    def __init__(self, action: str, state: str, allowed: list[str]):
        self.action, self.state, self.allowed = action, state, list(allowed)
        super().__init__(action=action, state=state, allowed=self.allowed)


class Conflict(DomainError):
    """Someone else changed the complaint first (stale version)."""

    code = "conflict"

    def __init__(self, complaint_id: int, expected: int | None, current: int | None):
        self.complaint_id, self.expected, self.current = complaint_id, expected, current
        super().__init__(complaint_id=complaint_id, expected=expected, current=current)


class StaleClocks(Conflict):
    """The write was refused though the complaint's version did not move: a clock the
    action decided on changed meanwhile (the timer worker warned, fired, restarted or
    moved it) while the version and the policy version stood. Deciding again on a fresh
    load may succeed."""


class IdempotencyMismatch(DomainError):
    """An idempotency key was reused with a different request."""

    code = "idempotency_mismatch"

    def __init__(self, key: str):
        self.key = key
        super().__init__(key=key)
