"""Template helpers: names, Shanghai times, time left on a clock, field-error texts."""
from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode

from flask import Flask, request

from states import catalogue
from states.calendar import SHANGHAI
from web.pages.i18n import _, is_english, name

#: Messages the workflow writes in English, shown in Chinese unless English is chosen.
_ERRORS_ZH = [
    ("required", "必填"),
    ("at most", "超过长度上限"),
    ("must be an 11-digit", "须为 11 位手机号码,以 13-19 开头,例如 13812345678"),
    ("unknown department", "无效的部门"),
    ("unknown", "无效的选项"),
    ("already assigned to this department", "已由该部门处理,请选择其他部门"),
    ("one of", "请选择一项"),
    ("a whole number", "须为不小于 1 的整数"),
    ("true or false", "须为是或否"),
    ("the reply clock may wait", "暂停计时次数已达上限"),
    ("the reply clock has already waited", "暂停计时总时长已达上限"),
    ("at least 8 characters", "至少 8 个字符"),
    ("1-60 letters", "1-60 个字母、数字、'.' 或 '_'"),
    ("already exists", "已存在"),
    ("a phone number", "请填写电话号码(数字、空格、+ - ( ))"),
    ("an e-mail address", "请填写有效的邮箱地址"),
    ("1-40 lower-case", "1-40 个小写字母、数字或 '_'"),
]


def error_text(message: str) -> str:
    """A workflow validation message in the user's language."""
    if is_english():
        return message
    if message.startswith("unknown") and message.endswith(("''", "None")):
        return "请选择"
    for prefix, zh in _ERRORS_ZH:
        if message.startswith(prefix) or (prefix == "already exists" and prefix in message):
            return zh
    return message


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
    """Make the helpers and the catalogue available in every template."""
    app.jinja_env.globals.update(
        _=_, name=name, local=local, clock_status=clock_status, error_text=error_text,
        url_with=url_with, is_english=is_english, catalogue=catalogue,
    )
