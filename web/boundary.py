"""Text at the edge: what a request may carry, and output that never fails on stored text.

Every text the service accepts (form fields, query parameters, path parts, JSON strings
and keys, stored headers) is checked once, here, against `states.fields.UNSAFE_TEXT`
(NUL, other C0/C1 controls but tab, newline and carriage return, lone surrogates): a bad
one is a 422 naming the field, before anything is read from or written to the database.

Rows written before that check (or by other means) may still hold such characters, so
output is made safe instead of failing: `clean` replaces them with U+FFFD for pages
(`safe_output`, the templates' `finalize`) and JSON answers (`clean_deep`).
"""
from __future__ import annotations

from markupsafe import Markup

from states.fields import UNSAFE_TEXT, unsafe_text
from workflow.domain.errors import FieldError, ValidationError

REPLACEMENT = "\ufffd"


class UnsafeInput(ValidationError):
    """A request carried text no field may hold; `errors` names every such field."""


def clean(text: str) -> str:
    """`text` with every unsafe character replaced by U+FFFD (unchanged when none)."""
    return UNSAFE_TEXT.sub(REPLACEMENT, text) if UNSAFE_TEXT.search(text) else text


def clean_deep(value):
    """A JSON-able value with every string (and key) cleaned."""
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, dict):
        return {clean_deep(k): clean_deep(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean_deep(v) for v in value]
    return value


def safe_output(value):
    """Jinja `finalize`: what a template prints, with unsafe characters replaced."""
    if isinstance(value, str) and UNSAFE_TEXT.search(value):
        cleaned = UNSAFE_TEXT.sub(REPLACEMENT, value)
        return Markup(cleaned) if isinstance(value, Markup) else cleaned
    return value


def _name(key: str, prefix: str) -> str:
    return prefix + clean(str(key))


def unsafe_pairs(pairs, prefix: str = "") -> dict[str, FieldError]:
    """The fields among (name, value) pairs whose name or value holds an unsafe character."""
    errors = {}
    for key, value in pairs:
        if unsafe_text(key) or unsafe_text(value):
            errors[_name(key, prefix)] = FieldError("bad_characters")
    return errors


def unsafe_json(value, path: str = "") -> dict[str, FieldError]:
    """Every string (or key) of a parsed JSON body holding an unsafe character, by its
    path: `reason`, `items.0.text`."""
    errors: dict[str, FieldError] = {}
    if isinstance(value, str):
        if unsafe_text(value):
            errors[path or "body"] = FieldError("bad_characters")
    elif isinstance(value, dict):
        for key, item in value.items():
            name = f"{path}.{clean(key)}" if path else clean(key)
            if unsafe_text(key):
                errors[name] = FieldError("bad_characters")
            else:
                errors.update(unsafe_json(item, name))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            errors.update(unsafe_json(item, f"{path}.{i}" if path else str(i)))
    return errors


def check_request(request, *, form: bool = True) -> None:
    """Raise UnsafeInput naming every query parameter, path part (and form field, unless
    `form` is False: the view checks it itself) that holds an unsafe character."""
    errors = unsafe_pairs(request.args.items(multi=True))
    errors.update(unsafe_pairs((request.view_args or {}).items()))
    if form and request.method != "GET":
        errors.update(unsafe_pairs(request.form.items(multi=True)))
    if errors:
        raise UnsafeInput(errors)


def check_form(form) -> None:
    """Raise UnsafeInput naming every form field that holds an unsafe character."""
    errors = unsafe_pairs(form.items(multi=True))
    if errors:
        raise UnsafeInput(errors)
