"""Domain errors as text: each code of `workflow.domain.errors` (and of a calendar file's
`CalendarError`) is an id of the catalogue (`web.text`) under its context: "error",
"field", "calendar", "sign_in", "kind".

The parameters a text fills in are the error's own, plus the names of the codes it
carries (an action, a state, a kind of thing, a file format, a duration) in the text's
language and, for English, the lists the domain passes as values.
"""
from __future__ import annotations

import re

from states.catalogue import ACTION_NAMES, STATE_NAMES
from states.durations import parse_duration
from web.text import text_in
from workflow.domain.errors import DomainError, FieldError, ValidationError
from workflow.domain.evidence import FORMATS


def duration_zh(text: str) -> str:
    """A policy duration ("7 days", "48h", "5 workdays") in Chinese, in the unit the
    policy wrote it in: 7天, 48小时, 5个工作日."""
    duration = parse_duration(text)
    number, unit = re.match(r"\s*([\d.]+)\s*([a-z])", text.strip().lower()).groups()
    if duration.is_workdays:
        return f"{duration.workdays}个工作日"
    return number + {"s": "秒", "m": "分钟", "h": "小时", "d": "天"}[unit]


def _zh_params(params: dict) -> dict:
    values = dict(params)
    if "action" in params:
        values["action_zh"] = ACTION_NAMES.get(params["action"], ("该操作",))[0]
    if "state" in params:
        values["state_zh"] = STATE_NAMES.get(params["state"], ("当前状态",))[0]
    if "kind" in params:
        values["kind_zh"] = text_in("zh", "kind", params["kind"])
    if "claimed" in params:     # evidence formats (workflow.domain.evidence) by name
        claimed = FORMATS.get(params["claimed"])
        values["claimed_name"] = claimed.name_zh if claimed else "其他类型"
        values["claimed_zh"] = f"，不是文件名所示的{claimed.name_zh}" if claimed else ""
    if "found" in params:
        found = FORMATS.get(params["found"])
        values["found_name"] = found.name_zh if found else "其他类型"
    if "total" in params:
        values["total_zh"] = duration_zh(params["total"])
    return values


def _params(params: dict, lang: str) -> dict:
    if lang == "zh":
        return _zh_params(params)
    values = dict(params)
    if "allowed" in params:
        values["allowed_text"] = ", ".join(params["allowed"]) or "none"
    return values


def field_text(error, lang: str = "zh") -> str:
    """One field's error in `lang` ("zh" or "en"); a plain string is shown as it is."""
    if not isinstance(error, FieldError):
        return str(error)
    return text_in(lang, "field", error.code, **_params(error.params, lang))


def field_texts(errors: dict, lang: str = "zh") -> dict[str, str]:
    """Every field's error of a `ValidationError` in `lang`."""
    return {key: field_text(error, lang) for key, error in errors.items()}


def text(error: DomainError, lang: str = "zh") -> str:
    """A domain error in `lang` ("zh" or "en")."""
    params = _params(error.params, lang)
    if isinstance(error, ValidationError):
        params["count"] = len(error.errors)
        params["fields"] = "; ".join(f"{k}: {v}" for k, v in field_texts(error.errors, lang).items())
    return text_in(lang, "error", error.code, **params)


def calendar_text(error, lang: str = "zh") -> str:
    """A calendar-file error (`workflow.admin.calendar.CalendarError`) in `lang`."""
    params = dict(error.params)
    where = params.get("where", "")
    line = re.search(r"\d+", where) if where else None
    params["where_zh"] = f"（第 {line.group(0)} 行）" if line else ""
    return text_in(lang, "calendar", error.code, **params)
