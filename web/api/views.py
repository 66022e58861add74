"""The API's endpoints: each reads the request, calls a workflow service, answers JSON."""
from __future__ import annotations

import logging
from urllib.parse import urlencode

from flask import Response, current_app, g, jsonify, url_for

from states import diagram
from states.fields import ACTION_FIELDS
from web.api import schemas
from web.api.blueprint import api
from web.api.problems import ApiError
from web.api.represent import clock_run, detail, event, summary
from web.clock_story import runs
from web.current import runtime_of
from workflow import metrics, services
from workflow.domain import access
from workflow.domain.errors import IdempotencyMismatch, NotFound, ValidationError
from workflow.domain.intake import check_may_file
from workflow.services import read, viewing
from workflow.services.actions import allowed_actions
from workflow.services.read import utcnow

log = logging.getLogger(__name__)
ID = "<int(min=1, max=9223372036854775807):complaint_id>"
LIST_PARAMS = {"state", "department", "severity", "overdue", "updated_since", "cursor",
               "per_page", "handler"}


def _json(body, status: int = 200, version: int | None = None, **headers) -> Response:
    response = jsonify(body)
    response.status_code = status
    if version is not None:
        response.headers["ETag"] = f'"{version}"'
    response.headers.update(headers)
    return response


def _visible(uow, complaint_id: int, actor):
    """The complaint if the actor may see it; otherwise it does not exist for them (404)."""
    found = read.complaint(uow, complaint_id)
    if not access.may_see(actor, found):
        raise NotFound("complaint", complaint_id)
    return found


def _handler_name(uow, complaint, actor) -> str | None:
    """The display name of the complaint's handler of record (no look-up for the actor)."""
    if complaint.handler_user is None:
        return None
    if complaint.handler_user == actor.username:
        return actor.display_name or actor.username
    return read.display_names(uow, {complaint.handler_user}).get(complaint.handler_user)


def _detail_of(uow, complaint, actor, full_mobile: bool = False) -> dict:
    return detail(complaint, read.clocks_of(uow, complaint.id),
                  allowed_actions(uow, complaint, actor), full_mobile,
                  _handler_name(uow, complaint, actor))


@api.get("/ping")
def ping():
    """A trivial endpoint for health checks and as the benchmark's baseline."""
    return {"status": "ok"}


@api.post("/complaints")
def create_complaint():
    """File a complaint; with Idempotency-Key a retry returns the first result."""
    schemas.query(set())
    key = schemas.idempotency_key()
    rt, actor = runtime_of(current_app), g.api_actor
    check_may_file(actor)                  # the role answers before the fields do
    values = schemas.intake_values()
    result = services.intake(rt, actor, values, now=utcnow(), idempotency_key=key)
    with rt.uow(write=False) as uow:
        complaint = read.complaint(uow, result.complaint.id)
        if result.replayed and not access.may_see(actor, complaint):
            raise IdempotencyMismatch(key)   # someone else's key: never reveal their complaint
        # The filer's own input comes back as sent: not a view of someone's number.
        body = _detail_of(uow, complaint, actor,
                          viewing.may_see_full_number(actor, complaint))
    headers = {"Location": url_for("api.complaint", complaint_id=complaint.id)}
    if result.replayed:
        headers["Idempotent-Replayed"] = "true"
    return _json(body, 200 if result.replayed else 201, complaint.version, **headers)


@api.get("/complaints")
def list_complaints():
    """A page of the complaints this token's user may see, in id order."""
    filters, after_id, per_page, args = schemas.list_filters(LIST_PARAMS)
    rt, actor = runtime_of(current_app), g.api_actor
    if filters.get("handler") == "mine":
        filters["handler"] = actor.username
    with rt.uow(write=False) as uow:
        rows = read.list_after(uow, actor, read.Filters(**filters), now=utcnow(),
                                  after_id=after_id, limit=per_page + 1)
    more = len(rows) > per_page
    rows = rows[:per_page]
    next_cursor = str(rows[-1][0].id) if more else None
    base = url_for("api.list_complaints")
    keep = {k: v for k, v in args.items() if k != "cursor"}
    links = {"self": base + ("?" + urlencode(args) if args else ""),
             "next": base + "?" + urlencode({**keep, "cursor": next_cursor}) if more else None}
    return {"items": [summary(c, due) for c, due in rows], "next_cursor": next_cursor,
            "links": links}


@api.get(f"/complaints/{ID}")
def complaint(complaint_id: int):
    """One complaint with clocks and the actions allowed now; ETag is its version. The full
    mobile number goes only to a role that works it, and each such answer is recorded."""
    schemas.query(set())
    rt, actor = runtime_of(current_app), g.api_actor
    with rt.uow(write=False) as uow:
        found = _visible(uow, complaint_id, actor)
        body = _detail_of(uow, found, actor, viewing.may_see_full_number(actor, found))
    viewing.full_number_shown(rt, actor, found, "api", now=utcnow())
    return _json(body, version=found.version)


@api.post(f"/complaints/{ID}/actions/<action>")
def fire_action(complaint_id: int, action: str):
    """Fire an action with its fields; If-Match makes it conditional on the version."""
    schemas.query(set())
    if action not in ACTION_FIELDS:
        raise NotFound("action", action)
    expected = schemas.expected_version()
    rt, actor = runtime_of(current_app), g.api_actor
    try:
        fields = schemas.action_fields(action)
    except ValidationError as invalid:
        # Who may and the complaint's state answer first (404/412/403/409), as on the
        # pages; only then the fields. Read only when the body is bad: not on the hot path.
        try:
            services.check_may(rt, complaint_id, action, actor, expected_version=expected)
        except Exception as exc:
            metrics.count_action(action, metrics.outcome_of(exc))
            raise
        metrics.count_action(action, invalid.code)
        raise
    acted = services.act_and_read(rt, complaint_id, action, actor, now=utcnow(),
                                  expected_version=expected, **fields)
    c = acted.complaint
    name = None
    if c.handler_user is not None and c.handler_user != actor.username:  # after a reassign
        with rt.uow(write=False) as uow:
            name = _handler_name(uow, c, actor)
    elif c.handler_user is not None:
        name = actor.display_name or actor.username
    body = detail(c, acted.deadlines, acted.allowed, handler_name=name)
    return _json(body, version=c.version)


@api.get(f"/complaints/{ID}/history")
def history(complaint_id: int):
    """Every recorded event of the complaint, oldest first."""
    schemas.query(set())
    rt, actor = runtime_of(current_app), g.api_actor
    with rt.uow(write=False) as uow:
        _visible(uow, complaint_id, actor)
        items = [event(row) for row in read.history_of(uow, complaint_id)]
    return {"complaint_id": complaint_id, "items": items}


@api.get(f"/complaints/{ID}/clocks")
def clocks(complaint_id: int):
    """Each clock's life, run by run: started, paused and resumed, moved and why,
    warned, met or missed (by how much) and what the miss did; in data and in words."""
    schemas.query(set())
    rt, actor = runtime_of(current_app), g.api_actor
    with rt.uow(write=False) as uow:
        _visible(uow, complaint_id, actor)
        entries = read.clock_history(uow, complaint_id)
        calendar = uow.calendar
    return {"complaint_id": complaint_id, "runs": [clock_run(r, calendar) for r in runs(entries)]}


@api.get("/process")
def process():
    """The process definition: states, transitions with roles and guards, fields."""
    schemas.query(set())
    return diagram.definition()


@api.get("/process/diagram")
def process_diagram():
    """The process diagram as SVG (default) or Mermaid text (?format=mermaid)."""
    fmt = schemas.query({"format"}).get("format", "svg")
    if fmt == "svg":
        return Response(diagram.svg(), mimetype="image/svg+xml")
    if fmt == "mermaid":
        return Response(diagram.mermaid(), mimetype="text/plain")
    raise ApiError("validation_error", "diagram_format",
                   errors={"format": "svg or mermaid"})
