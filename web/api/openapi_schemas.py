"""The OpenAPI document's data shapes (components/schemas), built from the process tables.

Enumerations (states, actions, departments, causes, channels, sources, satisfaction) and
each action's fields come from `states`, so the shapes cannot drift from the process.
"""
from __future__ import annotations

from states.catalogue import CAUSES, CHANNELS, DEPARTMENTS, SATISFACTION, SOURCES
from states.fields import ACTION_FIELDS, MAX_TEXT
from states.process import ACTIONS, State
from web.api.schemas import INTAKE_REQUIRED
from web.api.schemas import NEEDS_COMMENT

MAX_ID = 2**63 - 1
NONBLANK = {"type": "string", "minLength": 1, "maxLength": MAX_TEXT, "pattern": r"\S"}


def ref(name: str) -> dict:
    """A reference to a component schema."""
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(kind: str, **extra) -> dict:
    """A JSON type that may also be null (OpenAPI 3.1 style)."""
    return {"type": [kind, "null"], **extra}


def date_time(null: bool = False) -> dict:
    """An RFC 3339 date-time string (or null)."""
    return {"type": ["string", "null"] if null else "string", "format": "date-time"}


def closed_object(properties: dict, required=None, closed: bool = True) -> dict:
    """An object schema; every property required unless `required` says otherwise."""
    schema = {"type": "object", "properties": properties,
              "required": list(properties) if required is None else list(required)}
    if closed:
        schema["additionalProperties"] = False
    return schema


def component_schemas() -> dict:
    """Every named shape the document refers to."""
    department = closed_object({"code": {"type": "string"}, "name_zh": {"type": "string"}})
    deadline = closed_object({
        "kind": {"type": "string"}, "label_zh": {"type": "string"}, "track": {"type": "string"},
        "cycle": {"type": "integer"}, "duration": {"type": "string"},
        "status": {"type": "string", "enum": ["active", "paused", "stopped", "fired"]},
        "started_at": date_time(), "warn_at": date_time(), "due_at": date_time(),
        "warned_at": date_time(True), "breached_at": date_time(True), "stopped_at": date_time(True),
        "confirmed": {"type": "boolean"}})
    state = {"type": "string", "enum": [s.value for s in State]}
    common = {"id": {"type": "integer"}, "number": {"type": "string"}, "state": state,
              "state_zh": {"type": "string"}, "version": {"type": "integer", "minimum": 1},
              "severity": {"type": "string", "enum": ["normal", "major"]},
              "escalation_level": {"type": "integer", "minimum": 0}}
    facts = closed_object({
        "mobile": {"type": "string"}, "customer_name": {"type": "string"},
        "channel": {"type": "string"}, "source": {"type": "string"},
        "cause": {"type": "string"}, "text": {"type": "string"},
        "complainant_count": {"type": "integer"}, "media": {"type": "boolean"},
        "leadership": {"type": "boolean"}, "serious_deficiency": {"type": "boolean"}})
    detail = closed_object({
        **common, "major_reasons": {"type": "array", "items": {"type": "string"}},
        "facts": facts,
        "departments": closed_object({"current": ref("Department"), "routed": ref("Department"),
                                "originating": ref("Department")}),
        "repeat_of_id": nullable("integer"), "repeat_count": {"type": "integer"},
        "reopen_count": {"type": "integer"}, "cycle": {"type": "integer"},
        "satisfaction": nullable("string"), "paused": {"type": "boolean"},
        "policy_version": {"type": "string"}, "created_by": {"type": "string"},
        "created_at": date_time(), "updated_at": date_time(),
        "deadlines": {"type": "array", "items": ref("Deadline")},
        "allowed_actions": {"type": "array", "items": {"type": "string", "enum": list(ACTIONS)}},
        "links": closed_object({"self": {"type": "string"}, "history": {"type": "string"}})})
    summary = closed_object({
        **common, "channel": {"type": "string"}, "source": {"type": "string"},
        "cause": {"type": "string"}, "department": {"type": "string"},
        "originating_department": {"type": "string"}, "mobile_masked": {"type": "string"},
        "customer_name": {"type": "string"}, "next_due_at": date_time(True),
        "created_at": date_time(), "updated_at": date_time(),
        "links": closed_object({"self": {"type": "string"}})})
    page = closed_object({"items": {"type": "array", "items": ref("ComplaintSummary")},
                    "next_cursor": nullable("string"),
                    "links": closed_object({"self": {"type": "string"}, "next": nullable("string")})})
    event = closed_object({
        "id": {"type": "integer"}, "at": date_time(), "actor": {"type": "string"},
        "actor_role": {"type": "string"}, "action": {"type": "string"},
        "from_state": nullable("string"), "to_state": {"type": "string"},
        "comment": {"type": "string"}, "data": {"type": "object"}})
    problem = closed_object({
        "type": {"type": "string"}, "title": {"type": "string"},
        "status": {"type": "integer"}, "detail": {"type": "string"},
        "errors": {"type": "object", "additionalProperties": {"type": "string"},
                   "description": "every bad field and what is wrong with it"},
        "allowed": {"type": "array", "items": {"type": "string"},
                    "description": "the actions allowed now (409)"},
        "action": {"type": "string"}, "state": {"type": "string"},
        "current_version": nullable("integer"), "retry_after": {"type": "integer"}},
        required=["type", "title", "status", "detail"])
    create = closed_object({
        "mobile": {"type": "string", "pattern": r"^1[3-9][0-9]{9}$"},
        "channel": {"type": "string", "enum": list(CHANNELS)},
        "cause": {"type": "string", "enum": list(CAUSES)},
        "text": NONBLANK,
        "source": {"type": "string", "enum": list(SOURCES), "default": "direct"},
        "customer_name": {"type": "string", "maxLength": 100},
        "complainant_count": {"type": "integer", "minimum": 1, "maximum": 100000, "default": 1},
        "media": {"type": "boolean"}, "leadership": {"type": "boolean"},
        "serious_deficiency": {"type": "boolean"}}, required=INTAKE_REQUIRED)
    process = {"type": "object", "required": ["initial", "states", "transitions"],
               "properties": {"initial": state, "states": {"type": "array"},
                              "intake_roles": {"type": "array"},
                              "transitions": {"type": "array"}}}
    return {"Department": department, "Deadline": deadline, "ComplaintDetail": detail,
            "ComplaintSummary": summary, "ComplaintPage": page, "Event": event,
            "History": closed_object({"complaint_id": {"type": "integer"},
                                "items": {"type": "array", "items": ref("Event")}}),
            "Problem": problem, "ComplaintCreate": create, "ProcessDefinition": process,
            **{f"{a.capitalize()}Fields": action_body(a) for a in ACTIONS}}


def action_body(action: str) -> dict:
    """The JSON body one action accepts: its ACTION_FIELDS plus an optional comment."""
    props = {"comment": NONBLANK if action in NEEDS_COMMENT
             else {"type": "string", "maxLength": MAX_TEXT}}
    required = ["comment"] if action in NEEDS_COMMENT else []
    for name in ACTION_FIELDS[action]:          # every listed field is required
        if name == "department":
            props[name] = {"type": "string", "enum": list(DEPARTMENTS)}
        elif name == "satisfaction":
            props[name] = {"type": "string", "enum": list(SATISFACTION)}
        else:
            props[name] = NONBLANK
        required.append(name)
    return closed_object(props, required=required)
