"""The JSON API's bodies as pydantic v2 models: the one definition of every request and
response shape, and the source of the OpenAPI document's `components/schemas`.

Request models are generated from `states.fields` (one spec per action and for intake),
strict and closed (`extra="forbid"`); `web.api.schemas` validates bodies with them. The
response models describe what `web.api.represent` builds; a test holds every answer to
them field for field.
"""
from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, WithJsonSchema, create_model
from pydantic.json_schema import models_json_schema

from states.fields import ACTION_SPECS, INTAKE_SPEC, MOBILE_PATTERN, action_fields
from states.fields import Field as Spec
from states.process import ACTIONS, State

#: A required free text: at least one character that is not white space.
NONBLANK = r"\S"
DateTime = Annotated[str, WithJsonSchema({"type": "string", "format": "date-time"})]
NullableDateTime = Annotated[str | None, WithJsonSchema(
    {"type": ["string", "null"], "format": "date-time"})]
StateCode = Literal[tuple(s.value for s in State)]
ActionCode = Literal[ACTIONS]


class Closed(BaseModel):
    """A strict JSON object with no fields beyond its own."""

    model_config = ConfigDict(strict=True, extra="forbid")


def _annotation(spec: Spec):
    if spec.kind == "text":
        constraints = StringConstraints(max_length=spec.max_length)
        if spec.required:
            constraints = StringConstraints(min_length=1, max_length=spec.max_length,
                                            pattern=NONBLANK)
        return Annotated[str, constraints]
    if spec.kind in ("choice", "department"):
        return Literal[spec.choices]
    if spec.kind == "mobile":
        return Annotated[str, StringConstraints(pattern=MOBILE_PATTERN)]
    if spec.kind == "integer":
        return Annotated[int, Field(ge=spec.minimum, le=spec.maximum)]
    if spec.kind == "boolean":
        return bool
    raise ValueError(f"no JSON type for field kind {spec.kind!r}")


def _model(name: str, specs: tuple[Spec, ...], required=lambda spec: spec.required):
    fields: dict[str, Any] = {}
    for spec in specs:
        if required(spec):
            fields[spec.name] = (_annotation(spec), ...)
        else:
            default = "" if spec.default is None and spec.kind == "text" else spec.default
            fields[spec.name] = (_annotation(spec), Field(default=default))
    return create_model(name, __base__=Closed, **fields)


#: Every listed field of an action is required in the API (the comment where the spec says).
ACTION_MODELS: dict[str, type[Closed]] = {
    action: _model(f"{action.capitalize()}Fields", action_fields(action),
                   required=lambda spec: spec.required or spec.name != "comment")
    for action in ACTIONS}
ComplaintCreate = _model("ComplaintCreate", INTAKE_SPEC)


def body_required(action: str) -> bool:
    """Whether the action's request body has a required field."""
    return any(f.required for f in ACTION_SPECS.get(action, ()))


class Department(Closed):
    """A department: its code and Chinese name."""

    code: str
    name_zh: str


class Deadline(Closed):
    """One clock of a complaint."""

    kind: str
    label_zh: str
    track: str
    cycle: int
    duration: str
    status: Literal["active", "paused", "stopped", "fired"]
    started_at: DateTime
    warn_at: DateTime
    due_at: DateTime
    warned_at: NullableDateTime
    breached_at: NullableDateTime
    stopped_at: NullableDateTime
    confirmed: bool


class Facts(Closed):
    """What the customer reported."""

    mobile: str | None = Field(description=(
        "the full number: only in GET of the complaint, to a role that works it (each such "
        "answer is recorded in the personal-data access log); null otherwise"))
    mobile_masked: str
    customer_name: str
    channel: str
    source: str
    cause: str
    text: str
    complainant_count: int
    district: str = Field(description='a district code (states.catalogue.DISTRICTS), "" when not known')
    location: str = Field(description="street, estate or building, as the customer gave it")
    media: bool
    leadership: bool
    serious_deficiency: bool


class Departments(Closed):
    """The departments a complaint concerns."""

    current: Department
    routed: Department
    originating: Department


class DetailLinks(Closed):
    """Where the complaint and its history are."""

    self: str
    history: str


class SelfLink(Closed):
    """Where the thing itself is."""

    self: str


class _Heading(Closed):
    id: int
    number: str
    state: StateCode
    state_zh: str
    version: Annotated[int, Field(ge=1)]
    severity: Literal["normal", "major"]
    escalation_level: Annotated[int, Field(ge=0)]


class ComplaintDetail(_Heading):
    """A complaint with its facts, departments, clocks and the actions allowed now."""

    major_reasons: list[str]
    facts: Facts
    departments: Departments
    repeat_of_id: int | None
    repeat_count: int
    reopen_count: int
    cycle: int
    satisfaction: str | None
    paused: bool
    policy_version: int
    created_by: str
    created_at: DateTime
    updated_at: DateTime
    deadlines: list[Deadline]
    allowed_actions: list[ActionCode]
    links: DetailLinks


class ComplaintSummary(_Heading):
    """A complaint as a list shows it (mobile number masked)."""

    channel: str
    source: str
    cause: str
    district: str
    department: str
    originating_department: str
    mobile_masked: str
    customer_name: str
    next_due_at: NullableDateTime
    created_at: DateTime
    updated_at: DateTime
    links: SelfLink


class PageLinks(Closed):
    """This page and the next one (null on the last)."""

    self: str
    next: str | None


class ComplaintPage(Closed):
    """One page of a list, in id order."""

    items: list[ComplaintSummary]
    next_cursor: str | None
    links: PageLinks


class Event(Closed):
    """One history event."""

    id: int
    at: DateTime
    actor: str
    actor_role: str
    action: str
    from_state: str | None
    to_state: str
    comment: str
    data: dict[str, Any]


class History(Closed):
    """Every event of a complaint, oldest first."""

    complaint_id: int
    items: list[Event]


class ClockEntry(Closed):
    """One entry of a clock's history."""

    id: int
    at: DateTime
    event: Literal["started", "paused", "resumed", "moved", "warned", "met", "missed",
                   "ended", "restarted", "elapsed"]
    policy_version: int
    track: str
    duration: str
    warn_at: DateTime
    due_at: DateTime = Field(description="the due time after this entry")
    confirmed: bool = Field(description="false: computed on fallback calendar data")
    seconds: int | None = Field(description="margin (met), how late (missed, ended), how long "
                                            "paused (resumed), how far moved (moved, signed)")
    reason: str = Field(description="the action, timer, repeat, calendar or policy")
    actor: str
    data: dict[str, Any] = Field(description="missed: effect (outcome, level, notified); "
                                             "moved, resumed: due_before")
    text_zh: str
    text_en: str


class ClockRun(Closed):
    """One run of one clock, from its start to its end, in data and in words."""

    kind: str
    label_zh: str
    run: int
    outcome: Literal["met", "missed", "ended", "restarted", "elapsed"] | None
    heading_zh: str
    heading_en: str
    calendar_zh: str
    calendar_en: str
    entries: list[ClockEntry]


class Clocks(Closed):
    """Each clock's life, run by run."""

    complaint_id: int
    runs: list[ClockRun]


class Problem(Closed):
    """An error (RFC 9457 problem details) with this API's extensions."""

    type: str
    title: str
    status: int
    detail: str
    errors: dict[str, str] = Field(default=None,
                                   description="every bad field and what is wrong with it")
    allowed: list[str] = Field(default=None, description="the actions allowed now (409)")
    action: str = None
    state: str = None
    current_version: int | None = None
    retry_after: int = None


class ProcessDefinition(BaseModel):
    """The process: states, transitions with roles and guards, each action's fields."""

    model_config = ConfigDict(extra="allow")
    initial: StateCode
    states: list
    intake_roles: list = None
    transitions: list


class Ping(Closed):
    """Liveness."""

    status: Literal["ok"]


RESPONSES = (Department, Deadline, ComplaintDetail, ComplaintSummary, ComplaintPage, Event,
             History, ClockEntry, ClockRun, Clocks, Problem, ProcessDefinition, Ping)


def component_schemas() -> dict:
    """Every named shape of the OpenAPI document, built from the models above."""
    requests = [ComplaintCreate, *ACTION_MODELS.values()]
    pairs = [(m, "validation") for m in requests] + [(m, "serialization") for m in RESPONSES]
    _, top = models_json_schema(pairs, ref_template="#/components/schemas/{model}")
    return {name: _tidy(schema) for name, schema in top["$defs"].items()
            if not name.startswith("_")}


def _tidy(schema):
    """Drop pydantic's generated titles (the component's name says it) and null defaults
    (an absent optional field is simply absent)."""
    if isinstance(schema, dict):
        return {k: _tidy(v) for k, v in schema.items()
                if not (k == "title" and isinstance(v, str)) and not (k == "default" and v is None)}
    if isinstance(schema, list):
        return [_tidy(v) for v in schema]
    return schema
