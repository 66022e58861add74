"""Intake: validate a new complaint, route it, recognise repeats and major complaints.

Runs inside a unit of work and does not commit (see `workflow.services.intake`).
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, insert, select, update

from states.catalogue import AUTHORITIES, CAUSES, CHANNELS, CUSTOMER_SERVICE, SOURCES
from states.process import INTAKE_ROLES, State
from workflow.store import deadlines
from workflow.services.actions import MAX_TEXT, load
from workflow.domain.errors import Forbidden, IdempotencyMismatch, ValidationError
from workflow.domain.model import Actor, Complaint
from workflow.store.schema import complaints as t, events

MOBILE = re.compile(r"^1[3-9]\d{9}$")
FIELDS = ("mobile", "channel", "cause", "text", "source", "customer_name",
          "complainant_count", "media", "leadership", "serious_deficiency")


@dataclass
class IntakeResult:
    """The filed complaint and what intake found out about it."""

    complaint: Complaint
    replayed: bool = False
    repeat_of: int | None = None
    major_reasons: list[str] = field(default_factory=list)


def validate(values: dict) -> dict:
    """Return cleaned intake values or raise ValidationError listing every bad field."""
    errors, clean = {}, {}
    mobile = str(values.get("mobile") or "").strip()
    if not MOBILE.match(mobile):
        errors["mobile"] = "must be an 11-digit mobile number starting 13-19, e.g. 13812345678"
    clean["mobile"] = mobile
    for name, table in (("channel", CHANNELS), ("cause", CAUSES)):
        value = values.get(name)
        if value not in table:
            errors[name] = f"unknown {name} {value!r}"
        clean[name] = value
    source = values.get("source") or "direct"
    if source not in SOURCES:
        errors["source"] = f"unknown source {source!r} (direct or one of {', '.join(AUTHORITIES)})"
    clean["source"] = source
    text = values.get("text")
    if not isinstance(text, str) or not text.strip():
        errors["text"] = "required"
    elif len(text) > MAX_TEXT:
        errors["text"] = f"at most {MAX_TEXT} characters"
    clean["text"] = text.strip() if isinstance(text, str) else text
    name = values.get("customer_name") or ""
    if not isinstance(name, str) or len(name) > 100:
        errors["customer_name"] = "at most 100 characters"
    clean["customer_name"] = name.strip() if isinstance(name, str) else ""
    count = values.get("complainant_count", 1)
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 100000:
        errors["complainant_count"] = "a whole number of at least 1"
    clean["complainant_count"] = count
    for flag in ("media", "leadership", "serious_deficiency"):
        value = values.get(flag, False)
        if not isinstance(value, bool):
            errors[flag] = "true or false"
        clean[flag] = value
    unknown = set(values) - set(FIELDS)
    for name in sorted(unknown):
        errors[name] = "unknown field"
    if errors:
        raise ValidationError(errors)
    return clean


def request_hash(values: dict) -> str:
    """A stable hash of the cleaned request, to tell a retry from a different request."""
    return hashlib.sha256(json.dumps(values, sort_keys=True, ensure_ascii=False)
                          .encode()).hexdigest()


def _major_reasons(uow, values, times_repeated) -> list[str]:
    policy, reasons = uow.policy, []
    for flag in ("serious_deficiency", "media", "leadership"):
        if values[flag] and flag in policy.major_flags:
            reasons.append(flag)
    if times_repeated >= policy.repeat_count:
        reasons.append("repeated")
    if values["complainant_count"] >= policy.joint_complainants:
        reasons.append("joint")
    return reasons


def file_complaint(uow, actor: Actor, values: dict, *, now: datetime,
                   idempotency_key: str | None = None) -> IntakeResult:
    """File a complaint in the unit of work's transaction."""
    if actor.role not in INTAKE_ROLES:
        raise Forbidden(f"{actor.username} ({actor.role.value}) may not file complaints")
    clean = validate(values)
    digest = request_hash(clean)
    if idempotency_key:
        if len(idempotency_key) > 200:
            raise ValidationError({"idempotency_key": "at most 200 characters"})
        row = uow.conn.execute(select(t.c.id, t.c.request_hash)
                               .where(t.c.idempotency_key == idempotency_key)).first()
        if row is not None:
            if row.request_hash != digest:
                raise IdempotencyMismatch(idempotency_key)
            complaint = load(uow, row.id)
            return IntakeResult(complaint, replayed=True, repeat_of=complaint.repeat_of_id,
                                major_reasons=list(complaint.major_reasons))

    window_start = now - timedelta(seconds=uow.policy.repeat_window.seconds)
    same_issue = (t.c.mobile == clean["mobile"], t.c.cause == clean["cause"],
                  t.c.created_at >= window_start)
    times_repeated = uow.conn.execute(select(func.count()).where(*same_issue)).scalar()
    earlier = None
    if times_repeated:
        earlier = uow.conn.execute(select(t.c.id).where(*same_issue)
                                   .order_by(t.c.created_at.desc(), t.c.id.desc())
                                   .limit(1)).scalar()
        uow.conn.execute(update(t).where(t.c.id == earlier)
                         .values(repeat_count=t.c.repeat_count + 1))
    reasons = _major_reasons(uow, clean, times_repeated)
    routed = uow.policy.department_for(clean["cause"])
    escalated = clean["source"] != "direct"
    department = CUSTOMER_SERVICE if (reasons or escalated) else routed
    row = dict(clean, state=State.received.value, version=1, routed_department=routed,
               department=department, originating_department=actor.department,
               escalation_level=1 if reasons else 0, major_reasons=reasons,
               repeat_of_id=earlier, policy_version=uow.policy.version,
               idempotency_key=idempotency_key or None, request_hash=digest,
               created_by=actor.username, created_at=now, updated_at=now)
    complaint_id = uow.conn.execute(insert(t).values(row)).inserted_primary_key[0]
    complaint = Complaint.from_row(dict(row, id=complaint_id))
    uow.conn.execute(insert(events).values(
        complaint_id=complaint_id, at=now, actor=actor.username, actor_role=actor.role.value,
        action="intake", from_state=None, to_state=State.received.value, comment="",
        data={"routed_department": routed, "department": department,
              "major_reasons": reasons, "repeat_of": earlier, "source": clean["source"]}))
    deadlines.apply(uow, "intake", complaint, now)
    return IntakeResult(complaint, repeat_of=earlier, major_reasons=reasons)
