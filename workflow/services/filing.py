"""Filing a complaint: validate it, recognise repeats and major complaints, route it,
start its clocks.

`file_complaint` runs inside a unit of work and does not commit; `intake` is the use
case with its own transaction (and the idempotent retry).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError

from states.clocks import RULES
from states.fields import MAX_IDEMPOTENCY_KEY
from states.process import State
from workflow import metrics
from workflow.domain import intake as rules
from workflow.domain.clocks import Clocks
from workflow.domain.errors import FieldError, IdempotencyMismatch, ValidationError
from workflow.domain.model import Actor, Complaint
from workflow.store import complaints as store
from workflow.store.runtime import Runtime


@dataclass
class IntakeResult:
    """The filed complaint and what intake found out about it."""

    complaint: Complaint
    replayed: bool = False
    repeat_of: int | None = None
    major_reasons: list[str] = field(default_factory=list)


def file_complaint(uow, actor: Actor, values: dict, *, now: datetime,
                   idempotency_key: str | None = None) -> IntakeResult:
    """File a complaint in the unit of work's transaction."""
    rules.check_may_file(actor)
    clean = rules.validate(values)
    if clean["district"] and clean["district"] not in uow.policy.districts:
        raise ValidationError({"district": FieldError("unknown_choice", field="district",
                                                      value=clean["district"])})
    digest = rules.request_hash(clean)
    if idempotency_key:
        if len(idempotency_key) > MAX_IDEMPOTENCY_KEY:
            raise ValidationError({"idempotency_key": FieldError("too_long",
                                                                 max=MAX_IDEMPOTENCY_KEY)})
        row = store.by_idempotency_key(uow, idempotency_key)
        if row is not None:
            if row.request_hash != digest:
                raise IdempotencyMismatch(idempotency_key)
            complaint = store.load(uow, row.id)
            return IntakeResult(complaint, replayed=True, repeat_of=complaint.repeat_of_id,
                                major_reasons=list(complaint.major_reasons))

    since = now - timedelta(seconds=uow.policy.repeat_window.seconds)
    times_repeated, earlier = store.repeats(uow, clean["mobile"], clean["cause"], since)
    if earlier is not None:
        store.count_repeat(uow, earlier)
    reasons = rules.major_reasons(uow.policy, clean, times_repeated)
    routing = rules.route(uow.policy, clean, reasons)
    row = dict(clean, state=State.received.value, version=1,
               routed_department=routing.routed_department, department=routing.department,
               originating_department=actor.department,
               escalation_level=routing.escalation_level, major_reasons=reasons,
               repeat_of_id=earlier, policy_version=uow.policy.number,
               idempotency_key=idempotency_key or None, request_hash=digest,
               created_by=actor.username, created_at=now, updated_at=now)
    event = dict(at=now, actor=actor.username, actor_role=actor.role.value, action="intake",
                 from_state=None, to_state=State.received.value, comment="",
                 data={"routed_department": routing.routed_department,
                       "department": routing.department, "major_reasons": reasons,
                       "repeat_of": earlier, "source": clean["source"]})
    complaint = store.add(uow, row, event)
    clocks = Clocks(complaint, [], uow.policy_for(complaint), uow.calendar, now,
                    reason="intake", actor=actor.username)
    store.write_clocks(uow, complaint, clocks.apply(RULES["intake"], fresh=True).plan())
    return IntakeResult(complaint, repeat_of=earlier, major_reasons=reasons)


def intake(rt: Runtime, actor: Actor, values: dict, *, now: datetime,
           idempotency_key: str | None = None) -> IntakeResult:
    """File a new complaint (or return the first result of a retried idempotent intake)."""
    try:
        result = _intake(rt, actor, values, now=now, idempotency_key=idempotency_key)
    except Exception as exc:
        metrics.count_action("intake", metrics.outcome_of(exc))
        raise
    metrics.count_action("intake", "replayed" if result.replayed else "ok")
    return result


def _intake(rt: Runtime, actor: Actor, values: dict, *, now: datetime,
            idempotency_key: str | None) -> IntakeResult:
    try:
        with rt.uow() as uow:
            result = file_complaint(uow, actor, values, now=now, idempotency_key=idempotency_key)
            uow.commit()
            return result
    except IntegrityError:
        if not idempotency_key:
            raise
        # Another request with the same key won the race: answer as its retry. Any other
        # integrity error stands (a read-only unit of work must not "file" again).
        with rt.uow(write=False) as uow:
            if store.by_idempotency_key(uow, idempotency_key) is None:
                raise
            return file_complaint(uow, actor, values, now=now, idempotency_key=idempotency_key)
