"""Domain errors in the user's language: one table of Chinese texts, keyed by the codes
of `workflow.domain.errors` (the English is the domain's own text).

Pure Python, no Flask: the pages, the API and the command line render errors here.
Parameters that are codes (actions, states, kinds of thing, durations) are shown by
their Chinese names. `tests/web/test_messages.py` checks that every code has its text.
"""
from __future__ import annotations

import re

from states.catalogue import ACTION_NAMES, STATE_NAMES
from states.durations import parse_duration
from workflow.domain.errors import DomainError, FieldError
from workflow.domain.evidence import FORMATS

#: Chinese text of every field error code (`FIELD_ENGLISH`).
FIELD_ZH: dict[str, str] = {
    "required": "必填",
    "too_long": "最多 {max} 个字",
    "mobile_format": "须为 11 位手机号码，以 13–19 开头，例如 13812345678",
    "unknown_choice": "请选择列表中的一项",
    "one_of": "请选择一项",
    "unknown_department": "无效或已停用的部门，请重新选择",
    "same_department": "已由该部门处理，请选择其他部门",
    "whole_number": "须为 {min} 至 {max} 之间的整数",
    "boolean": "须为“是”或“否”",
    "wrong_type": "格式不正确",
    "unknown_field": "不接受此项",
    "unknown_parameter": "不接受此查询条件",
    "repeated_parameter": "查询条件重复",
    "date_time": "须为带时区的时间，例如 2026-11-30T01:00:00Z",
    "cursor": "请使用上一页给出的翻页位置",
    "escalation_at_max": "已处于最高升级级别（{level} 级），不能再升级",
    "pause_count_used": "暂停计时次数已达上限（最多 {max} 次）",
    "pause_total_used": "暂停计时总时长已达上限（共 {total_zh}）",
    "password_too_short": "至少 {min} 个字符",
    "username_format": "须为 1–60 个字母、数字、“.”或“_”",
    "already_exists": "已存在，请换一个",
    "code_format": "须为 1–40 个小写字母、数字或“_”",
    "name_required": "必填，最多 {max} 个字",
    "phone_format": "请填写电话号码（数字、空格及 + - ( )）",
    "email_format": "请填写有效的邮箱地址",
    "length_between": "须为 {min}–{max} 个字",
    "no_active_user": "没有名为“{value}”的在用账号",
    "unknown_user": "没有名为“{value}”的在用账号",
    "handler_other_department": "“{value}”不属于当前处理部门，只能在本部门内改派接单人；跨部门请用“转派”",
    "handler_cannot_act": "“{value}”的角色不能接单（稽核或管理员）",
    "same_handler": "“{value}”已是本工单的接单人",
    "date": "须为日期，例如 2026-11-30",
    "year_month": "须为年月，例如 2026-11",
    "period_order": "结束日期早于开始日期",
    "period_too_long": "一次最多统计 {max} 天",
    "bad_characters": "含有不允许的字符（控制字符、空字符或无效编码），请删除后重新提交",
    "file_too_large": "文件超过处理规范允许的大小（最大 {max}）",
    "file_empty": "文件是空的",
    "file_executable": "文件内容是可执行程序{claimed_zh}，已拒收",
    "file_unknown_type": "文件内容不是可接受的格式（录音、图片、PDF、办公文档）{claimed_zh}，已拒收",
    "file_name_mismatch": "文件名显示为{claimed_name}，但内容是{found_name}，与文件名不符，已拒收",
    "file_kind_refused": "处理规范不接受此类文件（{found_name}）",
    "file_name_too_long": "文件名最多 {max} 个字",
}

#: Chinese text of every domain error code (`ENGLISH`).
ZH: dict[str, str] = {
    "validation_error": "有 {count} 项填写有误，请按提示修改",
    "not_found": "{kind_zh}不存在，或您无权查看",
    "forbidden": "您无权对投诉 {number} 执行“{action_zh}”",
    "intake_forbidden": "您的角色不能受理投诉",
    "action_not_allowed": "投诉当前为“{state_zh}”，不能执行“{action_zh}”",
    "conflict": "其他人已先处理了这张工单，请刷新后重试",
    "idempotency_mismatch": "该表单已经提交过，请勿重复提交",
}

#: What came of a sign-in attempt (`workflow.admin.signin`), in Chinese and English.
SIGN_IN_OUTCOMES: dict[str, tuple[str, str]] = {
    "ok": ("登录成功", "signed in"),
    "bad_password": ("密码错误", "wrong password"),
    "unknown_user": ("用户名不存在", "unknown user name"),
    "locked": ("账号锁定中，已拒绝", "refused: account locked"),
    "address_locked": ("来源地址锁定中，已拒绝", "refused: address locked"),
    "unlocked": ("管理员已解锁", "unlocked by an administrator"),
}

#: What a NotFound's `kind` is called.
KINDS_ZH = {"complaint": "投诉", "notification": "消息", "action": "操作", "user": "用户",
            "department": "部门", "liaison": "越级投诉接口人", "api token": "API 令牌", "cause": "投诉原因",
            "attachment": "证据文件"}


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
        values["kind_zh"] = KINDS_ZH.get(params["kind"], "所查对象")
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


def field_text(error, lang: str = "zh") -> str:
    """One field's error in `lang` ("zh" or "en"); a plain string is shown as it is."""
    if not isinstance(error, FieldError):
        return str(error)
    if lang == "en":
        return str(error)
    return FIELD_ZH[error.code].format(**_zh_params(error.params))


def text(error: DomainError, lang: str = "zh") -> str:
    """A domain error in `lang` ("zh" or "en")."""
    if lang == "en":
        return str(error)
    params = _zh_params(error.params)
    if error.code == "validation_error":
        params["count"] = len(getattr(error, "errors", {}))
    return ZH[error.code].format(**params)


def placeholders(template: str) -> set[str]:
    """The {names} a template fills in."""
    return set(re.findall(r"{(\w+)(?:![rs])?}", template))


#: Chinese text of every calendar-file error code (`workflow.admin.calendar.CalendarError`).
CALENDAR_ZH: dict[str, str] = {
    "file_type": "请上传 .toml、.json 或 .csv 文件",
    "unreadable": "内容不是有效的 {format}{where_zh}，请检查格式",
    "bad_day": "“{value}”不是日期，应写成 2027-10-01，或区间 2027-10-01..2027-10-07",
    "no_holidays": "没有列出放假日（holidays）",
    "csv_flag": "{day}：第二列须为 1/0 或 班/休",
    "csv_columns": "CSV 文件首行须为 day,workday（可加 note）",
    "one_year": "一个文件只能包含一个年度，实际包含：{years}",
}


def calendar_text(error) -> str:
    """A calendar-file error in Chinese."""
    params = dict(error.params)
    where = params.get("where", "")
    line = re.search(r"\d+", where) if where else None
    params["where_zh"] = f"（第 {line.group(0)} 行）" if line else ""
    return CALENDAR_ZH[error.code].format(**params)
