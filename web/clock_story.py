"""Each clock's life in words: why a deadline fell when it did.

Built from the clock's history (`clock_events`, read by `workflow.store.queries.
clock_history`) for the complaint page's timelines and `GET /api/v1/complaints/{id}/
clocks`, in Chinese (as staff read it) and English. A run reads, for example:

    答复时限 48小时（规范第 3 版，普通投诉）
    09-30 18:00 开始计时（受理），应于 10-02 18:00 前完成
    10-01 09:00 暂停（等待客户）
    10-01 11:00 恢复计时，暂停 2小时，顺延至 10-02 20:00
    10-02 14:00 预警：将于 10-02 20:00 到期
    10-02 20:00 超时，自动升级至重大投诉处理

Working-day clocks also name the holidays skipped and the 调休 working days counted,
and say when the calendar data they rest on is the Monday-to-Friday fallback.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from states.calendar import SHANGHAI, BusinessCalendar
from states.catalogue import ACTION_NAMES, CLOCK_NAMES, DEPARTMENTS
from states.durations import parse_duration
from web.messages import duration_zh
from workflow.domain.clocks import days_counted

TRACKS = {"normal": ("普通投诉", "normal"), "major": ("重大投诉", "major"),
          "escalated": ("越级投诉", "escalated")}
WHY_MOVED = {"calendar": ("节假日安排更新", "the holiday calendar was loaded"),
             "policy": ("迁移至规范第 %s 版", "migrated to policy version %s")}


def _t(ts: datetime | None, fmt: str = "%m-%d %H:%M") -> str:
    return ts.astimezone(SHANGHAI).strftime(fmt) if ts else ""


def _span(seconds: int | None, english: bool = False) -> str:
    minutes = abs(int(seconds or 0)) // 60
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if english:
        parts = [f"{days}d" if days else "", f"{hours}h" if hours else "",
                 f"{mins}m" if mins or not (days or hours) else ""]
        return " ".join(p for p in parts if p)
    parts = [f"{days}天" if days else "", f"{hours}小时" if hours else "",
             f"{mins}分钟" if mins or not (days or hours) else ""]
    return "".join(parts)


def _action(code: str, english: bool) -> str:
    names = {"timer": ("系统计时", "the timer"), "repeat": ("周期到期，重新计时", "a new period")}
    pair = names.get(code) or ACTION_NAMES.get(code) or (code, code)
    return pair[1] if english else pair[0]


def _effect(effect: dict, english: bool) -> str:
    outcome = effect.get("outcome")
    if outcome == "escalated":
        level = effect.get("level", 1)
        if english:
            return ", escalated to " + ("the major-complaint desk" if level == 1 else "leadership")
        return "，自动升级至" + ("重大投诉处理" if level == 1 else "公司领导督办")
    if outcome == "closed":
        return ", closed automatically" if english else "，系统自动结案"
    if outcome == "repeated":
        text = ", a new period started" if english else "，已提醒并重新计时"
    elif outcome == "moved_on":
        return ", nothing to do: the complaint had moved on" if english else "，投诉已进入下一环节，无需处理"
    else:
        text = ""
    notified = effect.get("notified") or []
    if notified:
        names = [DEPARTMENTS.get(d, (d, d))[1 if english else 0] for d in notified]
        text += (", notified " + ", ".join(names)) if english else ("，已通知" + "、".join(names))
    return text


def line(e, english: bool = False) -> str:
    """One history entry of a clock in words."""
    at, due = _t(e["at"]), _t(e["due_at"])
    event, s = e["event"], e["seconds"]
    data = e["data"] or {}
    if event == "started":
        if english:
            return f"{at} started ({_action(e['reason'], True)}), due by {due}"
        return f"{at} 开始计时（{_action(e['reason'], False)}），应于 {due} 前完成"
    if event == "paused":
        return f"{at} paused (waiting for the customer)" if english else f"{at} 暂停（等待客户）"
    if event == "resumed":
        if english:
            return f"{at} resumed after {_span(s, True)} paused, due moved to {due}"
        return f"{at} 恢复计时，暂停 {_span(s)}，顺延至 {due}"
    if event == "moved":
        why = WHY_MOVED.get(e["reason"], (e["reason"], e["reason"]))
        why_text = why[1 if english else 0]
        if "%s" in why_text:
            why_text = why_text % e["policy_version"]
        before = _t(datetime.fromisoformat(data["due_before"])) if data.get("due_before") else ""
        who = e["actor"] or ""
        if english:
            return f"{at} moved: {why_text} (by {who}), due {before} → {due}"
        return f"{at} 调整：{why_text}（{who}），到期时间 {before} → {due}"
    if event == "warned":
        return f"{at} warning: due at {due}" if english else f"{at} 预警：将于 {due} 到期"
    if event == "met":
        if english:
            return f"{at} met, {_span(s, True)} before the deadline"
        return f"{at} 按时完成，距到期还有 {_span(s)}"
    if event == "missed":
        effect = _effect(data.get("effect") or {}, english)
        if english:
            return f"{at} missed by {_span(s, True)}{effect}"
        return f"{at} 超时 {_span(s)}{effect}"
    if event == "ended":
        if english:
            return f"{at} done ({_action(e['reason'], True)}), {_span(s, True)} after the deadline"
        return f"{at} 完成（{_action(e['reason'], False)}），已超时 {_span(s)}"
    if event == "restarted":
        if english:
            return f"{at} started again ({_action(e['reason'], True)}) before its deadline"
        return f"{at} 未到期即重新计时（{_action(e['reason'], False)}）"
    if event == "elapsed":
        effect = _effect(data.get("effect") or {}, english)
        return f"{at} period over{effect}" if english else f"{at} 期满{effect}"
    return f"{at} {event}"


@dataclass
class Run:
    """One run of a clock: from its start to its end (or now)."""

    kind: str
    run: int
    entries: list = field(default_factory=list)

    @property
    def start(self):
        return self.entries[0]

    @property
    def outcome(self) -> str | None:
        """met, missed, ended (done after missing), restarted, elapsed, or None (running)."""
        ends = [e["event"] for e in self.entries
                if e["event"] in ("met", "missed", "ended", "restarted", "elapsed")]
        if "missed" in ends:
            return "missed"
        return ends[-1] if ends else None

    def heading(self, english: bool = False) -> str:
        latest = self.entries[-1]
        duration = latest["duration"]
        version = self.entries[0]["policy_version"]
        for e in self.entries:
            if e["event"] == "moved" and e["reason"] == "policy":
                version = e["policy_version"]
        track = TRACKS.get(latest["track"], (latest["track"],) * 2)
        name = CLOCK_NAMES.get(self.kind, (self.kind, self.kind))
        if english:
            return f"{name[1]} {duration} (policy version {version}, {track[1]} track)"
        return f"{name[0]} {duration_zh(duration)}（规范第 {version} 版，{track[0]}）"

    def calendar_note(self, calendar: BusinessCalendar, english: bool = False) -> str:
        """For a working-day clock: holidays skipped, 调休 days counted, fallback data."""
        last = self.entries[-1]
        if not parse_duration(last["duration"]).is_workdays:
            return ""
        days = days_counted(calendar, self.start["at"], last["due_at"])
        fmt = "%m-%d"
        parts = []
        if days.holidays:
            listed = "、".join(d.strftime(fmt) for d in days.holidays)
            parts.append(f"holidays skipped: {listed}" if english else f"跳过法定节假日 {listed}")
        if days.workdays:
            listed = "、".join(d.strftime(fmt) for d in days.workdays)
            parts.append(f"adjusted working days counted: {listed}" if english
                         else f"计入调休上班日 {listed}")
        if days.fallback or not last["confirmed"]:
            parts.append("holiday data for the year not loaded: Monday to Friday assumed"
                         if english else "该年度节假日安排尚未加载，按周一至周五推算")
        return ("; " if english else "；").join(parts)


def runs(entries) -> list[Run]:
    """A complaint's clock history grouped into runs: by clock, each clock's runs in order."""
    found: dict[tuple[str, int], Run] = {}
    for e in entries:
        key = (e["kind"], e["run"])
        if key not in found:
            found[key] = Run(e["kind"], e["run"])
        found[key].entries.append(e)
    order = {k: n for n, k in enumerate(CLOCK_NAMES)}
    return sorted(found.values(), key=lambda r: (order.get(r.kind, 99), r.run))
