"""Template helpers: names, Shanghai times, a clock's display state in words, field-error
texts, durations in the reader's language."""
from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode

from flask import Flask, request

from states import catalogue, fields
from states.calendar import SHANGHAI
from web import messages
from web.boundary import safe_output
from web.pages.i18n import _, is_english, name, pgettext
from web.text import joined, span_words


def error_text(error) -> str:
    """A field error (`workflow.domain.errors.FieldError`) in the user's language."""
    return messages.field_text(error, "en" if is_english() else "zh")


def local(ts: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A UTC time as Asia/Shanghai wall-clock text."""
    return ts.astimezone(SHANGHAI).strftime(fmt) if ts else ""


def span_text(seconds: float) -> str:
    """A span as days/hours/minutes, e.g. 1天3小时 or 1d 3h (minutes only under a day)."""
    return span_words(seconds, _lang(), minutes_after_days=False, minute="%(n)s分")


def _lang() -> str:
    return "en" if is_english() else "zh"


#: What each display state (`workflow.domain.clockview.STATES`) is called.
CLOCK_STATE_NAMES = {"overdue": "已超时", "warned": "即将到期", "paused": "已暂停",
                     "running": "计时中", "done": "已完成"}


def clock_state_name(d) -> str:
    """The name of a clock's display state, e.g. 已超时."""
    return _(CLOCK_STATE_NAMES[d.state])


def clock_summary(d) -> str:
    """How a clock stands in a few words: 超时 2天3小时, 剩余 5小时, 暂停 3小时."""
    if d.state == "overdue":
        return _("超时 %(span)s", span=span_text(d.overdue_for.total_seconds()))
    if d.state in ("warned", "running"):
        return _("剩余 %(span)s", span=span_text(d.left.total_seconds()))
    if d.state == "paused":
        return _("已暂停 %(span)s", span=span_text(d.paused_for.total_seconds()))
    return ""


def clock_detail(d) -> str:
    """The longer words of the complaint page: since when, for how long, what is left."""
    if d.state == "paused":
        parts = [_("自 %(since)s 起暂停，已暂停 %(span)s", since=local(d.paused_since),
                   span=span_text(d.paused_for.total_seconds()))]
        if d.left is not None:
            parts.append(_("恢复后剩余 %(span)s", span=span_text(d.left.total_seconds()))
                         if d.left.total_seconds() > 0 else _("暂停前已超时"))
        if d.resume_by is not None:
            parts.append(_("须于 %(at)s 前恢复计时", at=local(d.resume_by)))
        return joined(_lang(), parts, "%(a)s；%(b)s")
    if d.state == "overdue":
        return _("已超时 %(span)s", span=span_text(d.overdue_for.total_seconds()))
    if d.state == "warned":
        return _("剩余 %(span)s，已发出预警", span=span_text(d.left.total_seconds()))
    if d.state == "running":
        return _("剩余 %(span)s", span=span_text(d.left.total_seconds()))
    return _("已于 %(at)s 完成", at=local(d.stopped_at)) if d.stopped_at else ""


def major_reason(code: str) -> str:
    """A major-complaint reason by its name: a criterion, how it was escalated, or the
    clock whose miss escalated it (`deadline:reply` is 答复时限超时)."""
    if code.startswith("deadline:"):
        return _("%(clock)s超时", clock=name(catalogue.CLOCK_NAMES, code.split(":", 1)[1]))
    for table in (catalogue.MAJOR_CRITERIA, catalogue.ESCALATION_REASONS):
        if code in table:
            return name(table, code)
    return _("其他原因")


def event_reason(event) -> str:
    """The reason an event records, in words: a rule's reason by its rule (a missed
    clock), a person's as they wrote it."""
    criterion = event.data.get("criterion") or ""
    if event.actor_role == "system" and criterion.startswith("deadline:"):
        return major_reason(criterion)
    return event.data.get("reason") or ""


def actor_name(event, names: dict) -> str:
    """Who did it: the user's display name, or 系统 for the timers and automatic rules."""
    if event.actor_role == "system":
        return name(catalogue.ROLE_NAMES, "system")
    return names.get(event.actor) or event.actor


def duration_text(duration) -> str:
    """A policy duration in the reader's language: 7天, 48小时, 5个工作日 / as written."""
    if duration is None:
        return "—"
    return duration.text if is_english() else messages.duration_zh(duration.text)


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
        _=_, pgettext=pgettext, name=name, local=local, span_text=span_text, error_text=error_text,
        clock_state_name=clock_state_name,
        clock_summary=clock_summary, clock_detail=clock_detail, major_reason=major_reason,
        event_reason=event_reason, actor_name=actor_name, duration_text=duration_text,
        url_with=url_with, is_english=is_english, catalogue=catalogue, limits=fields,
        field_spec=fields.field,
    )
