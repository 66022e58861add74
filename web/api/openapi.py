"""The OpenAPI 3.1 document, built in code from the same tables the server uses.

One path per action documents exactly the fields that action accepts; the data shapes
are the pydantic models of `web.api.models`. `document()` is what /api/v1/openapi.json
serves.
"""
from __future__ import annotations

from states.catalogue import DEPARTMENTS
from states.fields import MAX_PER_PAGE, MAX_TEXT
from states.process import ACTIONS, State
from web.api.models import body_required, component_schemas
from web.api.problems import MEDIA_TYPE, PROBLEMS
from workflow.domain.evidence import FORMATS

MAX_ID = 2**63 - 1


def ref(name: str) -> dict:
    """A reference to a component schema."""
    return {"$ref": f"#/components/schemas/{name}"}


def _problem_response(*codes: str) -> dict:
    described = "; ".join(f"{c}: {PROBLEMS[c][1]}" for c in codes)
    return {"description": described, "content": {MEDIA_TYPE: {"schema": ref("Problem")}}}


def _errors(*statuses: int) -> dict:
    """Problem responses for these statuses (with the headers 401 and 429 carry)."""
    out = {}
    for status in statuses:
        codes = [c for c, (s, _) in PROBLEMS.items() if s == status]
        out[str(status)] = _problem_response(*codes)
    if "401" in out:
        out["401"]["headers"] = {"WWW-Authenticate": {"schema": {"type": "string"}}}
    if "429" in out:
        out["429"]["headers"] = {"Retry-After": {"required": True,
                                                 "schema": {"type": "string", "pattern": "^[0-9]+$"}}}
    return out


def _json(schema_name: str, description: str, etag: bool = False, **headers) -> dict:
    response = {"description": description,
                "content": {"application/json": {"schema": ref(schema_name)}}}
    if etag:
        headers["ETag"] = {"description": "the complaint's version, quoted", "required": True,
                           "schema": {"type": "string", "pattern": r'^"[0-9]+"$'}}
    if headers:
        response["headers"] = headers
    return response


PATH_ID = {"name": "complaint_id", "in": "path", "required": True,
           "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID}}
IF_MATCH = {"name": "If-Match", "in": "header", "required": False,
            "description": 'The ETag of the complaint as read ("3"); a stale one gives 412.',
            "schema": {"type": "string", "pattern": r'^(\*|(W/)?"[0-9]{1,9}"|[0-9]{1,9})$'}}
IDEMPOTENCY_KEY = {"name": "Idempotency-Key", "in": "header", "required": False,
                   "description": "Any unique string per intended complaint (1-200 visible "
                                  "ASCII characters); a retry with the same key and body "
                                  "returns the first complaint (200), a different body 422.",
                   "schema": {"type": "string", "pattern": r"^[\x21-\x7e]{1,200}$"}}
_READ_ERRORS = (401, 404, 422, 429)
_WRITE_ERRORS = (400, 401, 403, 404, 413, 415, 422, 429)


def _query(name: str, schema: dict, description: str) -> dict:
    return {"name": name, "in": "query", "required": False, "schema": schema,
            "description": description}


LIST_PARAMETERS = [
    _query("state", {"type": "string", "enum": [s.value for s in State]}, "Only this state."),
    _query("department", {"type": "string", "enum": list(DEPARTMENTS)},
           "Only complaints currently with this department."),
    _query("severity", {"type": "string", "enum": ["normal", "major"]}, "Only this severity."),
    _query("overdue", {"type": "string", "enum": ["true", "false"]},
           "true: only complaints with a running clock past its due time."),
    _query("updated_since", {"type": "string", "format": "date-time"},
           "Only complaints changed at or after this time (RFC 3339 with offset)."),
    _query("handler", {"type": "string", "minLength": 1, "maxLength": 60},
           "Only complaints whose handler of record is this username; `mine`: "
           "the token's own user."),
    _query("cursor", {"type": "string", "pattern": "^[0-9]{1,18}$"},
           "The next_cursor of the previous page."),
    _query("per_page", {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE},
           "Page size (default 50)."),
]


def _action_path(action: str) -> dict:
    return {"post": {
        "operationId": f"action_{action}", "tags": ["actions"],
        "summary": f"Fire `{action}` on a complaint",
        "description": "Allowed only from the states and for the roles in the process "
                       "definition; 409 lists the actions allowed now. Send If-Match with "
                       "the ETag to refuse a stale change (412).",
        "parameters": [PATH_ID, IF_MATCH],
        "requestBody": {"required": body_required(action), "content": {
            "application/json": {"schema": ref(f"{action.capitalize()}Fields")}}},
        "responses": {"200": _json("ComplaintDetail", "the complaint after the action", True),
                      **_errors(*_WRITE_ERRORS, 409, 412)}}}


def _report_path(operation: str, summary: str, names: dict) -> dict:
    """A report endpoint: its query parameters, JSON / CSV / XLSX answers."""
    params = [_query(n, {"type": "string"}, d) for n, d in names.items()]
    return {"get": {"operationId": operation, "tags": ["reports"], "summary": summary,
                    "parameters": params, "responses": {
                        "200": {"description": "the figures", "content": {
                            "application/json": {"schema": {"type": "object"}},
                            "text/csv": {"schema": {"type": "string"}},
                            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":
                                {"schema": {"type": "string", "format": "binary"}}}},
                        **_errors(401, 403, 422, 429)}}}


_PERIOD = {"from": "first local day, YYYY-MM-DD (default: the 1st of this month)",
           "to": "last local day, included (default: today)",
           "month": "YYYY-MM, instead of from/to"}


def document() -> dict:
    """The whole OpenAPI 3.1 document (paths relative to the server /api/v1)."""
    paths = {
        "/ping": {"get": {"operationId": "ping", "security": [], "tags": ["meta"],
                          "summary": "Liveness: a trivial endpoint",
                          "responses": {"200": _json("Ping", "ok")}}},
        "/complaints": {
            "post": {"operationId": "create_complaint", "tags": ["complaints"],
                     "summary": "File a complaint (intake)",
                     "parameters": [IDEMPOTENCY_KEY],
                     "requestBody": {"required": True, "content": {
                         "application/json": {"schema": ref("ComplaintCreate")}}},
                     "responses": {
                         "201": _json("ComplaintDetail", "filed", True, Location={
                             "required": True, "schema": {"type": "string"}}),
                         "200": _json("ComplaintDetail", "an idempotent retry: the complaint "
                                      "the first request filed", True),
                         **_errors(*_WRITE_ERRORS)}},
            "get": {"operationId": "list_complaints", "tags": ["complaints"],
                    "summary": "List and filter the complaints this token's user may see",
                    "description": "Ordered by id; follow links.next (or pass next_cursor "
                                   "as cursor) for the next page.",
                    "parameters": LIST_PARAMETERS,
                    "responses": {"200": _json("ComplaintPage", "a page"),
                                  **_errors(401, 422, 429)}}},
        "/complaints/{complaint_id}": {"get": {
            "operationId": "get_complaint", "tags": ["complaints"],
            "summary": "One complaint: facts, state, severity, departments, clocks, "
                       "allowed actions, version",
            "parameters": [PATH_ID],
            "responses": {"200": _json("ComplaintDetail", "the complaint", True),
                          **_errors(*_READ_ERRORS)}}},
        **{f"/complaints/{{complaint_id}}/actions/{a}": _action_path(a) for a in ACTIONS},
        "/complaints/{complaint_id}/history": {"get": {
            "operationId": "get_history", "tags": ["complaints"],
            "summary": "The complaint's history, oldest first", "parameters": [PATH_ID],
            "responses": {"200": _json("History", "the events"), **_errors(*_READ_ERRORS)}}},
        "/complaints/{complaint_id}/clocks": {"get": {
            "operationId": "get_clocks", "tags": ["complaints"],
            "summary": "Why each deadline falls when it does: every clock's life, run by run "
                       "(started, paused, resumed, moved and why, warned, met or missed)",
            "parameters": [PATH_ID],
            "responses": {"200": _json("Clocks", "the clocks' history"),
                          **_errors(*_READ_ERRORS)}}},
        "/notifications": {"get": {
            "operationId": "list_notifications", "tags": ["notifications"],
            "summary": "The token's user's notifications (the pages' inbox), newest first",
            "description": "Every warning and escalation the timer worker sends reaches the "
                           "complaint's handler of record, or when nobody holds it the users "
                           "of the department handling it. Pass next_cursor as cursor for "
                           "older ones.",
            "parameters": [
                _query("unread", {"type": "string", "enum": ["true", "false"]},
                       "true: unread ones only."),
                _query("cursor", {"type": "string", "pattern": "^[0-9]{1,18}$"},
                       "The next_cursor of the previous page.")],
            "responses": {"200": _json("NotificationPage", "a page"),
                          **_errors(401, 422, 429)}}},
        "/notifications/{entry_id}/read": {"post": {
            "operationId": "mark_notification_read", "tags": ["notifications"],
            "summary": "Mark one of the user's notifications read",
            "parameters": [{"name": "entry_id", "in": "path", "required": True,
                            "schema": {"type": "integer", "minimum": 1}}],
            "responses": {"200": _json("MarkedRead", "marked"), **_errors(401, 404, 429)}}},
        "/notifications/read": {"post": {
            "operationId": "mark_notifications_read", "tags": ["notifications"],
            "summary": "Mark every notification of the user read",
            "responses": {"200": _json("MarkedRead", "marked"), **_errors(401, 429)}}},
        **attachment_paths(),
        "/process": {"get": {
            "operationId": "get_process", "tags": ["process"],
            "summary": "The process definition: states, transitions, roles, fields",
            "responses": {"200": _json("ProcessDefinition", "the definition"),
                          **_errors(401, 422, 429)}}},
        "/process/diagram": {"get": {
            "operationId": "get_process_diagram", "tags": ["process"],
            "summary": "The process diagram: SVG, or Mermaid text with format=mermaid",
            "parameters": [_query("format", {"type": "string", "enum": ["svg", "mermaid"]},
                                  "svg (default) or mermaid")],
            "responses": {"200": {"description": "the diagram", "content": {
                "image/svg+xml": {"schema": {"type": "string"}},
                "text/plain": {"schema": {"type": "string"}}}}, **_errors(401, 422, 429)}}},
        "/reports": _report_path(
            "reports", "The supervision figures of a period, one row per group",
            {**_PERIOD, "group": "department, originating, cause, channel, source, district, "
                                 "severity, day, week, month or all",
             "format": "json (default), csv or xlsx"}),
        "/reports/scorecard": _report_path(
            "report_scorecard", "The department scorecard of a month, against the month before",
            {"month": "YYYY-MM (default: this month)", "by": "department or originating",
             "format": "json (default), csv or xlsx"}),
        "/reports/list": _report_path(
            "report_list", "The complaints behind one figure of one group (as many as it counts)",
            {**_PERIOD, "figure": "a figure code, e.g. reply_due", "group": "as for /reports",
             "key": "the group's key, e.g. network"}),
        "/openapi.json": {"get": {"operationId": "openapi", "security": [], "tags": ["meta"],
                                  "summary": "This document",
                                  "responses": {"200": {"description": "OpenAPI 3.1", "content": {
                                      "application/json": {"schema": {"type": "object"}}}}}}},
        "/docs": {"get": {"operationId": "docs", "security": [], "tags": ["meta"],
                          "summary": "This document as an HTML reference page",
                          "responses": {"200": {"description": "HTML", "content": {
                              "text/html": {"schema": {"type": "string"}}}}}}},
    }
    schemas = {**component_schemas(), **ATTACHMENT_SCHEMAS}
    return {
        "openapi": "3.1.0",
        "info": {"title": "投诉处理 API / Complaint-handling API", "version": "1.0.0",
                 "description": DESCRIPTION},
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearerAuth": []}],
        "tags": [{"name": n} for n in ("complaints", "actions", "attachments", "notifications",
                                       "process", "reports", "meta")],
        "paths": paths,
        "components": {"schemas": schemas, "securitySchemes": {"bearerAuth": {
            "type": "http", "scheme": "bearer",
            "description": "A token from `complaints token create USERNAME --name NAME`."}}},
    }


PATH_AID = {"name": "attachment_id", "in": "path", "required": True,
            "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID}}
ATTACHMENT = {"type": "object", "required": ["id", "complaint_id", "name", "size",
                                             "content_type", "format", "sha256", "uploaded_by",
                                             "uploaded_at", "comment", "download"],
              "properties": {
                  "id": {"type": "integer"}, "complaint_id": {"type": "integer"},
                  "name": {"type": "string", "description": "the name it was uploaded with"},
                  "size": {"type": "integer", "description": "bytes"},
                  "content_type": {"type": "string", "enum": sorted({
                      f.mime for f in FORMATS.values()}),
                                   "description": "found from the content, not the name"},
                  "format": {"type": "string", "enum": list(FORMATS)},
                  "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
                  "uploaded_by": {"type": "string"},
                  "uploaded_at": {"type": "string", "format": "date-time"},
                  "comment": {"type": "string"},
                  "download": {"type": "string", "description": "the content's path"}}}


ATTACHMENT_SCHEMAS = {
    "Attachment": ATTACHMENT,
    "AttachmentList": {"type": "object", "required": ["complaint_id", "items"], "properties": {
        "complaint_id": {"type": "integer"},
        "items": {"type": "array", "items": ref("Attachment")}}},
    "AttachmentUpload": {"type": "object", "required": ["file"], "additionalProperties": False,
                         "properties": {"file": {"type": "string", "format": "binary",
                                                 "description": "the evidence file"},
                                        "comment": {"type": "string", "maxLength": MAX_TEXT}}},
}


def attachment_paths() -> dict:
    """The evidence-file endpoints (`web.api.attachments`)."""
    return {
        "/complaints/{complaint_id}/attachments": {
            "post": {"operationId": "attach", "tags": ["attachments"],
                     "summary": "Attach an evidence file (the `attach` action)",
                     "description": "multipart/form-data with a `file` part and an optional "
                                    "`comment`. Allowed from the states and for the roles of "
                                    "the `attach` action; the size and kinds (audio, image, "
                                    "PDF, office documents) are the policy's, checked by the "
                                    "content: an executable, or content that is not what the "
                                    "name says, is a 422 on `file`. Send If-Match to refuse a "
                                    "stale change (412). The same name twice keeps both.",
                     "parameters": [PATH_ID, IF_MATCH],
                     "requestBody": {"required": True, "content": {
                         "multipart/form-data": {"schema": ref("AttachmentUpload")}}},
                     "responses": {"201": {
                         "description": "kept; ETag is the complaint's new version",
                         "headers": {"ETag": {"required": True, "schema": {"type": "string"}},
                                     "Location": {"required": True,
                                                  "schema": {"type": "string"}}},
                         "content": {"application/json": {"schema": ref("Attachment")}}},
                         **_errors(*_WRITE_ERRORS, 409, 412)}},
            "get": {"operationId": "list_attachments", "tags": ["attachments"],
                    "summary": "The complaint's evidence files, oldest first",
                    "parameters": [PATH_ID],
                    "responses": {"200": {"description": "the files", "content": {
                        "application/json": {"schema": ref("AttachmentList")}}},
                        **_errors(*_READ_ERRORS)}}},
        "/complaints/{complaint_id}/attachments/{attachment_id}": {"get": {
            "operationId": "download_attachment", "tags": ["attachments"],
            "summary": "One evidence file's content (Content-Disposition: attachment)",
            "parameters": [PATH_ID, PATH_AID],
            "responses": {"200": {"description": "the file, as its content type",
                                  "content": {mime: {"schema": {"type": "string",
                                                                "format": "binary"}}
                                              for mime in sorted({f.mime for f in
                                                                  FORMATS.values()})}},
                          **_errors(*_READ_ERRORS)}}},
    }


DESCRIPTION = """\
For the hotline, business-hall and web systems and the regulator-liaison desk: file and
follow complaints with the same rules as the web application.

* Authentication: `Authorization: Bearer <token>`; a token acts as its user (role and
  department rules apply). 401 when missing, unknown or revoked.
* Errors are `application/problem+json` (RFC 9457) with `type`, `title`, `status`,
  `detail`; 422 lists every bad field in `errors`; 409 lists the `allowed` actions.
* 400: the body is not a JSON object, or a header (If-Match, Idempotency-Key) is malformed.
  415: a body that is not `application/json`. 413: a body over 256 KiB (an attachment's
  upload: over the policy's file size, 20 MB by default).
* Concurrency: every complaint carries `version` (also the `ETag`). Send `If-Match` on an
  action to get 412 if it changed; without If-Match a lost race is a 409 `conflict`.
* Rate limit per token (default 600 requests per 60 s per server process): 429 with
  `Retry-After` seconds.
* Times are UTC, RFC 3339 with `Z`.
"""
