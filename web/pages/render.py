"""Template helpers: names, Shanghai times, time left on a clock, field-error texts."""
from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode

from flask import Flask, request

from states import catalogue, fields
from states.calendar import SHANGHAI
from web import messages
from web.boundary import safe_output
from web.pages.i18n import _, is_english, name


def error_text(error) -> str:
    """A field error (`workflow.domain.errors.FieldError`) in the user's language."""
    return messages.field_text(error, "en" if is_english() else "zh")


def local(ts: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A UTC time as Asia/Shanghai wall-clock text."""
    return ts.astimezone(SHANGHAI).strftime(fmt) if ts else ""


def span_text(seconds: float) -> str:
    """A span as days/hours/minutes, e.g. 1天3小时 or 1d 3h."""
    minutes = int(abs(seconds) // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if is_english():
        parts = [f"{days}d" if days else "", f"{hours}h" if hours else "",
                 f"{mins}m" if (mins and not days) or not (days or hours) else ""]
        return " ".join(p for p in parts if p)
    parts = [f"{days}天" if days else "", f"{hours}小时" if hours else "",
             f"{mins}分" if (mins and not days) or not (days or hours) else ""]
    return "".join(parts)


def clock_status(due: datetime | None, now: datetime, warn_at: datetime | None = None):
    """(text, css class) for a running clock: time left, amber once warned, red when overdue."""
    if due is None:
        return "", ""
    left = (due - now).total_seconds()
    if left <= 0:
        return _("超时 %(span)s", span=span_text(left)), "overdue"
    css = "warned" if warn_at is not None and warn_at <= now else "ok"
    return _("剩余 %(span)s", span=span_text(left)), css


def url_with(**changes) -> str:
    """The current URL with some query arguments changed (None removes one)."""
    args = request.args.to_dict()
    for key, value in changes.items():
        if value is None:
            args.pop(key, None)
        else:
            args[key] = value
    return request.path + ("?" + urlencode(args) if args else "")


def install_template_helpers(app: Flask) -> None:
    """Make the helpers and the catalogue available in every template; whatever a template
    prints has characters no text may hold replaced (rows stored before the input check)."""
    app.jinja_env.finalize = safe_output
    app.jinja_env.globals.update(
        _=_, name=name, local=local, clock_status=clock_status, error_text=error_text,
        url_with=url_with, is_english=is_english, catalogue=catalogue, limits=fields,
        span_text=span_text,
        field_spec=fields.field,
    )
