"""Domain errors, each with a code and parameters; only `web/` turns them into HTTP codes
and into Chinese or English text (`web/messages.py`, one table keyed by these codes).

`str()` of an error is its English text from `ENGLISH` below: for logs, the command
line and the API's `detail`. A field error (`FieldError`) is a `str` with a `code` and
`params`, so the API can answer it as text while pages render it by its code.
"""
from __future__ import annotations

#: Every field error code, with its English text; `{name}` are its parameters.
FIELD_ENGLISH: dict[str, str] = {
    "required": "required",
    "too_long": "at most {max} characters",
    "mobile_format": "must be an 11-digit mobile number starting 13-19, e.g. 13812345678",
    "unknown_choice": "unknown {field} {value!r}",
    "one_of": "one of {choices}",
    "unknown_department": "unknown department {value!r}",
    "same_department": "already assigned to this department",
    "whole_number": "a whole number from {min} to {max}",
    "boolean": "true or false",
    "wrong_type": "must be {expected}",
    "unknown_field": "unknown field",
    "unknown_parameter": "unknown query parameter",
    "repeated_parameter": "given more than once",
    "date_time": "an RFC 3339 date-time with offset, e.g. 2026-11-30T01:00:00Z",
    "cursor": "use the next_cursor of the previous page",
    "escalation_at_max": "already at the highest escalation level ({level})",
    "pause_count_used": "the reply clock may wait on the customer at most {max} times",
    "pause_total_used": "the reply clock has already waited {total} in all",
    "password_too_short": "at least {min} characters",
    "username_format": "1-60 letters, digits, '.' or '_'",
    "already_exists": "{value!r} already exists",
    "code_format": "1-40 lower-case letters, digits or '_'",
    "name_required": "required, at most {max} characters",
    "phone_format": "a phone number (digits, spaces, + - ( ))",
    "email_format": "an e-mail address",
    "length_between": "{min}-{max} characters",
    "no_active_user": "no active user {value!r}",
    "unknown_user": "no active user {value!r}",
    "handler_other_department": "{value!r} is not in the department handling this "
                                "complaint: reassign only within it, or transfer it",
    "handler_cannot_act": "{value!r} cannot handle complaints (auditor or administrator)",
    "same_handler": "{value!r} already holds this complaint",
    "date": "a date, e.g. 2026-11-30",
    "year_month": "a month, e.g. 2026-11",
    "period_order": "the period ends before it starts",
    "period_too_long": "a report covers at most {max} days",
    "bad_characters": "must not contain NUL, control characters or unpaired surrogates",
    "file_too_large": "the file is larger than the policy allows ({max})",
    "file_empty": "the file is empty",
    "file_executable": "the file is a program, not evidence (its name says: {claimed}); "
                       "refused",
    "file_unknown_type": "the content is not an accepted format (audio, image, PDF, "
                         "office document; its name says: {claimed})",
    "file_name_mismatch": "the name says {claimed} but the content is {found}",
    "file_kind_refused": "the policy does not accept this kind of file ({found})",
    "file_name_too_long": "a file name of at most {max} characters",
}

#: Every domain error code, with its English text.
ENGLISH: dict[str, str] = {
    "validation_error": "invalid input: {fields}",
    "not_found": "unknown {kind}: {key!r}",
    "forbidden": "{actor} ({role}) may not {action} complaint {number}",
    "intake_forbidden": "{actor} ({role}) may not file complaints",
    "action_not_allowed": "action {action!r} is not allowed in state {state!r}; "
                          "allowed now: {allowed_text}",
    "conflict": "complaint {complaint_id} was changed by someone else "
                "(your version {expected}, current {current}); reload and try again",
    "idempotency_mismatch": "idempotency key {key!r} was already used for a different request",
}


class FieldError(str):
    """What is wrong with one field: a code from FIELD_ENGLISH and its parameters.

    It is also the English text, so `errors` maps compare and serialise as strings."""

    code: str
    params: dict

    def __new__(cls, code: str, **params):
        self = super().__new__(cls, FIELD_ENGLISH[code].format(**params))
        self.code, self.params = code, params
        return self

    def __reduce__(self):
        return (_field_error, (self.code, self.params))


def _field_error(code, params):
    return FieldError(code, **params)


class DomainError(Exception):
    """Base of every error a service raises on purpose: `code` and `params`."""

    code = "domain_error"

    def __init__(self, **params):
        self.params = params
        super().__init__(ENGLISH.get(self.code, self.code).format(**params))


class ValidationError(DomainError):
    """Input is wrong; `errors` maps every bad field to its FieldError."""

    code = "validation_error"

    def __init__(self, errors: dict[str, FieldError]):
        bad = {k: v for k, v in errors.items() if not isinstance(v, FieldError)}
        if bad:
            raise TypeError(f"field errors must be FieldError, not {bad!r}")
        self.errors = dict(errors)
        super().__init__(fields="; ".join(f"{k}: {v}" for k, v in self.errors.items()))


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
        super().__init__(action=action, state=state, allowed=self.allowed,
                         allowed_text=", ".join(allowed) if allowed else "none")


class Conflict(DomainError):
    """Someone else changed the complaint first (stale version)."""

    code = "conflict"

    def __init__(self, complaint_id: int, expected: int | None, current: int | None):
        self.complaint_id, self.expected, self.current = complaint_id, expected, current
        super().__init__(complaint_id=complaint_id, expected=expected, current=current)


class IdempotencyMismatch(DomainError):
    """An idempotency key was reused with a different request."""

    code = "idempotency_mismatch"

    def __init__(self, key: str):
        self.key = key
        super().__init__(key=key)
