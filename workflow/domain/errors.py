"""Domain errors. Only the web layer turns them into HTTP codes or flashed messages."""
from __future__ import annotations


class DomainError(Exception):
    """Base of every error a service raises on purpose."""

    code = "domain_error"


class ValidationError(DomainError):
    """Input is wrong; `errors` maps every bad field to what is wrong with it."""

    code = "validation_error"

    def __init__(self, errors: dict[str, str]):
        self.errors = dict(errors)
        super().__init__("invalid input: " + "; ".join(f"{k}: {v}" for k, v in self.errors.items()))


class NotFound(DomainError):
    """An unknown complaint, department, cause, user or action."""

    code = "not_found"

    def __init__(self, kind: str, key):
        self.kind, self.key = kind, key
        super().__init__(f"unknown {kind}: {key!r}")


class ActionNotAllowed(DomainError):
    """The machine does not allow this action from the complaint's current state."""

    code = "action_not_allowed"

    def __init__(self, action: str, state: str, allowed: list[str]):
        self.action, self.state, self.allowed = action, state, list(allowed)
        allowed_text = ", ".join(allowed) if allowed else "none"
        super().__init__(f"action {action!r} is not allowed in state {state!r}; "
                         f"allowed now: {allowed_text}")


class Forbidden(DomainError):
    """The actor may see the complaint but not do this to it."""

    code = "forbidden"


class Conflict(DomainError):
    """Someone else changed the complaint first (stale version)."""

    code = "conflict"

    def __init__(self, complaint_id: int, expected: int | None, current: int | None):
        self.complaint_id, self.expected, self.current = complaint_id, expected, current
        super().__init__(f"complaint {complaint_id} was changed by someone else "
                         f"(your version {expected}, current {current}); reload and try again")


class IdempotencyMismatch(DomainError):
    """An idempotency key was reused with a different request."""

    code = "idempotency_mismatch"

    def __init__(self, key: str):
        self.key = key
        super().__init__(f"idempotency key {key!r} was already used for a different request")
