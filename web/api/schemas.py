"""Reading requests: JSON bodies, field types, query parameters and conditional headers.

Every check lists every bad field at once. A body that is not JSON (or not an object)
is a 400, a non-JSON content type a 415, wrong or unknown fields a 422; nothing is
written before all of this passed.
"""
from __future__ import annotations

import json
import re
from datetime import datetime, timezone

from flask import request
from pydantic import ValidationError as PydanticError

from states.catalogue import DEPARTMENTS
from states.fields import INTAKE_SPEC, MAX_IDEMPOTENCY_KEY, MAX_PER_PAGE, unsafe_text
from states.fields import action_fields as action_fields_of
from states.process import State
from web.api import models
from web.api.problems import ApiError
from web.boundary import UnsafeInput, clean, unsafe_json, unsafe_pairs
from workflow.domain.errors import FieldError, ValidationError
from workflow.domain.intake import validate

ETAG = re.compile(r'^(?:W/)?"(\d{1,9})"$|^(\d{1,9})$')     # "3", W/"3", or a bare 3
IDEMPOTENCY_KEY = re.compile(rf"^[\x21-\x7e]{{1,{MAX_IDEMPOTENCY_KEY}}}$")


def _reject_constant(name):
    raise ValueError(f"{name} is not valid JSON")


def json_object() -> dict:
    """The request body as a JSON object; an empty body is {}."""
    raw = request.get_data(cache=False)
    if not raw.strip():
        return {}
    if request.mimetype != "application/json":
        raise ApiError("unsupported_media_type", "json_expected",
                       params={"sent": repr(request.mimetype or "nothing")})
    try:
        body = json.loads(raw, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:
        raise ApiError("bad_request", "json_invalid", params={"reason": str(exc)}) from None
    if not isinstance(body, dict):
        raise ApiError("bad_request", "json_not_object")
    bad = unsafe_json(body)       # NUL, controls, lone surrogates: before anything else
    if bad:
        raise UnsafeInput(bad)
    return body


#: pydantic error types -> our field error codes (those not listed: see `_field_error`).
_TYPES = {"string_type": "a string", "int_type": "an integer", "bool_type": "true or false",
          "dict_type": "an object", "list_type": "an array"}


def _field_error(error: dict, spec) -> FieldError:
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind == "extra_forbidden":
        return FieldError("unknown_field")
    if kind == "missing":
        return FieldError("required")
    if kind in _TYPES or kind.endswith("_type"):
        return FieldError("wrong_type", expected=_TYPES.get(kind, "another JSON type"))
    if kind == "string_too_long":
        return FieldError("too_long", max=ctx["max_length"])
    if kind in ("string_too_short", "string_pattern_mismatch"):
        return FieldError("mobile_format" if spec and spec.kind == "mobile" else "required")
    if kind == "literal_error":
        return FieldError("one_of", choices=", ".join(spec.choices)) if spec else FieldError(
            "unknown_field")
    if kind in ("greater_than_equal", "less_than_equal"):
        return FieldError("whole_number", min=spec.minimum, max=spec.maximum)
    return FieldError("wrong_type", expected="a valid value")


def _validate(model, specs, body: dict) -> dict[str, FieldError]:
    """Every field of `body` that `model` refuses, as our field errors."""
    try:
        model.model_validate(body)
    except PydanticError as exc:
        by_name, errors = {f.name: f for f in specs}, {}
        for error in exc.errors(include_url=False, include_input=False):
            name = str(error["loc"][0]) if error["loc"] else "body"
            errors.setdefault(name, _field_error(error, by_name.get(name)))
        return errors
    return {}


def intake_values() -> dict:
    """The intake body, or a ValidationError listing every bad field (types and values)."""
    body = json_object()
    errors = _validate(models.ComplaintCreate, INTAKE_SPEC, body)
    try:
        validate({k: v for k, v in body.items() if k not in errors})
    except ValidationError as exc:
        errors = {**{k: v for k, v in exc.errors.items() if k in body}, **errors}
    if errors:
        raise ValidationError(errors)
    return body


def action_fields(action: str) -> dict:
    """The action's fields (`states.fields.ACTION_SPECS`) as keyword arguments for the
    service, checked against the action's request model."""
    body = json_object()
    errors = _validate(models.ACTION_MODELS[action], action_fields_of(action), body)
    if errors:
        raise ValidationError(errors)
    return body


def expected_version() -> int | None:
    """The version in If-Match ("3", W/"3" or a bare 3); None when absent or "*"."""
    value = request.headers.get("If-Match")
    if value is None or value.strip() == "*":
        return None
    match = ETAG.match(value.strip())
    if not match:
        raise ApiError("bad_request", "if_match")
    return int(match.group(1) or match.group(2))


def idempotency_key() -> str | None:
    """The Idempotency-Key header: 1 to MAX_IDEMPOTENCY_KEY visible ASCII characters, or None
    (control characters are a 422 naming the header, as in any stored text)."""
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    if unsafe_text(key):
        raise UnsafeInput({"Idempotency-Key": FieldError("bad_characters")})
    if not IDEMPOTENCY_KEY.match(key):
        raise ApiError("bad_request", "idempotency_key", params={"max": MAX_IDEMPOTENCY_KEY})
    return key


def _param_errors(allowed) -> dict[str, str]:
    args = request.args
    errors = unsafe_pairs(args.items(multi=True))
    errors.update({clean(name): FieldError("unknown_parameter") for name in args
                   if name not in allowed and name not in errors})
    errors.update({name: FieldError("repeated_parameter") for name in args
                   if name in allowed and len(args.getlist(name)) > 1})
    return errors


def query(allowed: set[str]) -> dict[str, str]:
    """The query parameters, refusing unknown or repeated ones (422)."""
    errors = _param_errors(allowed)
    if errors:
        raise ValidationError(errors)
    return request.args.to_dict()


def list_filters(allowed: set[str]) -> tuple[dict, int, int, dict]:
    """(Filters keyword arguments, after_id, per_page, the parameters) for the list endpoint;
    a ValidationError lists every bad parameter."""
    errors, filters, args = _param_errors(allowed), {}, request.args.to_dict()
    state = args.get("state")
    if state is not None:
        if state not in State.__members__:
            errors["state"] = FieldError("one_of", choices=", ".join(State.__members__))
        filters["state"] = state
    department = args.get("department")
    if department is not None:
        if department not in DEPARTMENTS:
            errors["department"] = FieldError("one_of", choices=", ".join(DEPARTMENTS))
        filters["department"] = department
    severity = args.get("severity")
    if severity is not None:
        if severity not in ("normal", "major"):
            errors["severity"] = FieldError("one_of", choices="normal, major")
        filters["severity"] = severity
    overdue = args.get("overdue")
    if overdue is not None:
        if overdue not in ("true", "false"):
            errors["overdue"] = FieldError("boolean")
        filters["overdue"] = overdue == "true"
    handler = args.get("handler")
    if handler is not None:
        if not 1 <= len(handler) <= 60 or unsafe_text(handler):
            errors["handler"] = FieldError("length_between", min=1, max=60)
        filters["handler"] = handler
    if "updated_since" in args:
        try:
            filters["updated_since"] = parse_time(args["updated_since"])
        except ValueError:
            errors["updated_since"] = FieldError("date_time")
    after_id, per_page = 0, 50
    if "cursor" in args:
        cursor = args["cursor"]
        if not (cursor.isascii() and cursor.isdigit() and len(cursor) <= 18):
            errors["cursor"] = FieldError("cursor")
        else:
            after_id = int(cursor)
    if "per_page" in args:
        text = args["per_page"]
        if not (text.isascii() and text.isdigit() and 1 <= int(text) <= MAX_PER_PAGE):
            errors["per_page"] = FieldError("whole_number", min=1, max=MAX_PER_PAGE)
        else:
            per_page = int(text)
    if errors:
        raise ValidationError(errors)
    return filters, after_id, per_page, args


def parse_time(text: str) -> datetime:
    """An RFC 3339 date-time with a UTC offset, as an aware UTC datetime."""
    try:
        value = datetime.fromisoformat(text.strip().upper())
        if value.tzinfo is None:
            raise ValueError
        return value.astimezone(timezone.utc)
    except (ValueError, OverflowError):
        raise ValueError("an RFC 3339 date-time with offset, e.g. 2026-11-30T01:00:00Z") from None
