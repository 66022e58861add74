"""Errors as `application/problem+json` (RFC 9457): type, title, status, detail, extensions.

Domain errors from `workflow.domain.errors` map to HTTP codes here and nowhere else in the API:
ValidationError → 422 (every bad field in `errors`), NotFound → 404, Forbidden → 403,
ActionNotAllowed → 409 (with `allowed`), Conflict → 412 when the client sent If-Match,
409 when another request won a race the client did not guard against,
IdempotencyMismatch → 422.
"""
from __future__ import annotations

import json
import logging

from flask import Response, request
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException

from web import messages
from web.boundary import clean_deep
from web.text import text_in
from workflow.domain import errors as domain
from workflow.services.availability import RETRY_AFTER_SECONDS, is_unavailable

log = logging.getLogger(__name__)
MEDIA_TYPE = "application/problem+json"

#: code -> status; the title is the catalogue's (context "problem"): Chinese / English.
STATUSES: dict[str, int] = {
    "bad_request": 400,
    "unauthorized": 401,
    "forbidden": 403,
    "not_found": 404,
    "method_not_allowed": 405,
    "action_not_allowed": 409,
    "conflict": 409,
    "precondition_failed": 412,
    "too_large": 413,
    "unsupported_media_type": 415,
    "validation_error": 422,
    "idempotency_mismatch": 422,
    "rate_limited": 429,
    "internal_error": 500,
    "unavailable": 503,
}
#: code -> (status, title); `type` is /api/v1/docs#problem-CODE.
PROBLEMS: dict[str, tuple[int, str]] = {
    code: (status, f"{text_in('zh', 'problem', code)} / {text_in('en', 'problem', code)}")
    for code, status in STATUSES.items()}
_BY_STATUS = {405: "method_not_allowed", 413: "too_large", 415: "unsupported_media_type"}


class ApiError(Exception):
    """An error the API raises itself; rendered as a problem document. `detail` is an id
    of the catalogue (context "api"), its English the problem's `detail`, filled with
    `params`."""

    def __init__(self, code: str, detail: str, headers: dict | None = None, *,
                 params: dict | None = None, **extensions):
        self.detail_id = detail
        detail = text_in("en", "api", detail, **(params or {}))
        super().__init__(detail)
        self.code, self.detail = code, detail
        self.headers, self.extensions = headers or {}, extensions


def problem(code: str, detail: str, headers: dict | None = None, **extensions) -> Response:
    """A problem+json response for a problem code from PROBLEMS."""
    status, title = PROBLEMS[code]
    body = {"type": f"/api/v1/docs#problem-{code}", "title": title, "status": status,
            "detail": detail, **extensions}
    response = Response(json.dumps(clean_deep(body), ensure_ascii=False), status=status,
                        mimetype=MEDIA_TYPE)
    response.headers.update(headers or {})
    return response


def from_domain(exc: domain.DomainError) -> Response:
    """Map a domain error to its problem response, its `detail` in English (`web.messages`)."""
    detail = messages.text(exc, "en")
    if isinstance(exc, domain.ValidationError):
        errors = messages.field_texts(exc.errors, "en")
        return problem("validation_error", f"{len(errors)} field(s) invalid: "
                       + "; ".join(f"{k}: {v}" for k, v in errors.items()), errors=errors)
    if isinstance(exc, domain.NotFound):
        return problem("not_found", detail)
    if isinstance(exc, domain.Forbidden):
        return problem("forbidden", detail)
    if isinstance(exc, domain.ActionNotAllowed):
        return problem("action_not_allowed", detail, action=exc.action, state=exc.state,
                       allowed=exc.allowed)
    if isinstance(exc, domain.Conflict):
        etag = {"ETag": f'"{exc.current}"'} if exc.current is not None else {}
        if "If-Match" in request.headers:
            return problem("precondition_failed", detail, etag,
                           current_version=exc.current)
        return problem("conflict", text_in("en", "api", "conflict_raced", detail=detail),
                       etag, current_version=exc.current)
    if isinstance(exc, domain.IdempotencyMismatch):
        return problem("idempotency_mismatch", detail)
    log.error("unmapped domain error %r", exc)
    return problem("internal_error", text_in("en", "api", "unexpected"))


def from_http(exc: HTTPException) -> Response:
    """Map a Werkzeug HTTP error (routing, 405, 413, ...) to a problem response."""
    code = _BY_STATUS.get(exc.code) or next(
        (c for c, (s, _) in PROBLEMS.items() if s == exc.code), None)
    if code is None:
        code = "bad_request" if (exc.code or 500) < 500 else "internal_error"
    headers = {}
    if exc.code == 405 and getattr(exc, "valid_methods", None):
        headers["Allow"] = ", ".join(sorted(exc.valid_methods))
    detail = exc.description or PROBLEMS[code][1]
    if exc.code == 413:
        detail = text_in("en", "api", "too_large", limit=_limit())
    return problem(code, detail, headers)


def _limit() -> int:
    from flask import current_app
    return current_app.config.get("MAX_CONTENT_LENGTH") or 0


def register(blueprint) -> None:
    """Install the blueprint's error handlers: every error leaves as problem+json."""
    blueprint.register_error_handler(ApiError, lambda e: problem(
        e.code, e.detail, e.headers, **e.extensions))
    blueprint.register_error_handler(domain.DomainError, from_domain)
    blueprint.register_error_handler(HTTPException, from_http)
    blueprint.register_error_handler(SQLAlchemyError, _database_error)
    blueprint.register_error_handler(Exception, _internal)


def _database_error(exc: SQLAlchemyError) -> Response:
    """503 when the database is unavailable (down, restarting, connection cut, locked);
    any other database error is a 500."""
    if not is_unavailable(exc):
        return _internal(exc)
    from web.ops import note_unavailable
    note_unavailable(exc)
    if request.method in ("GET", "HEAD"):
        detail = text_in("en", "api", "unavailable")
    else:   # a write may or may not have been applied
        detail = text_in("en", "api", "unavailable_write")
    return problem("unavailable", detail, {"Retry-After": str(RETRY_AFTER_SECONDS)})


def _internal(exc: Exception) -> Response:
    log.exception("unhandled error in %s %s", request.method, request.path)
    return problem("internal_error", "unexpected error; it has been logged")
