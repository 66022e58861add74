"""Intake rules: a new complaint's fields, its major-complaint reasons and its routing.

Pure Python on `states/`: the fields and limits come from `states.fields.INTAKE_SPEC`,
the thresholds and the routing table from the policy. The store counts the repeats
(`workflow.services.filing` puts the two together).
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass

from states.catalogue import CUSTOMER_SERVICE
from states.fields import INTAKE_SPEC, MOBILE_PATTERN, unsafe_text
from states.process import INTAKE_ROLES
from workflow.domain.errors import FieldError, IntakeForbidden, ValidationError
from workflow.domain.model import Actor

MOBILE = re.compile(MOBILE_PATTERN)
_SPECS = {f.name: f for f in INTAKE_SPEC}


def check_may_file(actor: Actor) -> None:
    """Raise IntakeForbidden unless the actor's role may file complaints."""
    if actor.role not in INTAKE_ROLES:
        raise IntakeForbidden(actor.username, actor.role.value)


def validate(values: dict) -> dict:
    """Return cleaned intake values or raise ValidationError listing every bad field."""
    errors: dict[str, FieldError] = {}
    clean = {}
    for name in sorted(set(values) - set(_SPECS)):
        errors[name] = FieldError("unknown_field")
    for spec in INTAKE_SPEC:
        value = values.get(spec.name)
        if unsafe_text(value):
            errors[spec.name] = FieldError("bad_characters")
            clean[spec.name] = spec.default
            continue
        if spec.kind == "mobile":
            value = str(value or "").strip()
            if not MOBILE.match(value):
                errors[spec.name] = FieldError("mobile_format")
        elif spec.kind == "choice":
            value = value or spec.default
            if value not in spec.choices:
                errors[spec.name] = FieldError("unknown_choice", field=spec.name, value=value)
        elif spec.kind == "text":
            if value is None and not spec.required:
                value = spec.default
            if not isinstance(value, str):
                errors[spec.name] = (FieldError("required") if spec.required else
                                     FieldError("wrong_type", expected="a string"))
                value = spec.default
            elif spec.required and not value.strip():
                errors[spec.name] = FieldError("required")
            elif len(value) > spec.max_length:
                errors[spec.name] = FieldError("too_long", max=spec.max_length)
            value = value.strip() if isinstance(value, str) else value
        elif spec.kind == "integer":
            value = spec.default if value is None else value
            if (isinstance(value, bool) or not isinstance(value, int)
                    or not spec.minimum <= value <= spec.maximum):
                errors[spec.name] = FieldError("whole_number", min=spec.minimum,
                                               max=spec.maximum)
        elif spec.kind == "boolean":
            value = spec.default if value is None else value
            if not isinstance(value, bool):
                errors[spec.name] = FieldError("boolean")
        clean[spec.name] = value
    if errors:
        raise ValidationError(errors)
    return clean


def request_hash(values: dict) -> str:
    """A stable hash of the cleaned request, to tell a retry from a different request."""
    return hashlib.sha256(json.dumps(values, sort_keys=True, ensure_ascii=False)
                          .encode()).hexdigest()


def major_reasons(policy, values: dict, times_repeated: int) -> list[str]:
    """Why the complaint is major from the start (empty for a normal one)."""
    reasons = [flag for flag in ("serious_deficiency", "media", "leadership")
               if values[flag] and flag in policy.major_flags]
    if times_repeated >= policy.repeat_count:
        reasons.append("repeated")
    if values["complainant_count"] >= policy.joint_complainants:
        reasons.append("joint")
    return reasons


@dataclass(frozen=True)
class Routing:
    """Where a new complaint goes."""

    routed_department: str      # the department the policy's table names for the cause
    department: str             # who takes it first
    escalation_level: int


def route(policy, values: dict, reasons: list[str]) -> Routing:
    """Route by cause; major and escalated (越级) complaints go to the CSC first."""
    routed = policy.department_for(values["cause"])
    escalated = values["source"] != "direct"
    department = CUSTOMER_SERVICE if (reasons or escalated) else routed
    return Routing(routed, department, 1 if reasons else 0)
