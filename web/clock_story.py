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
from web.text import joined, span_words, text_in
from workflow.domain.clocks import days_counted

#: The words of the clock story: context "clock" in the catalogue (web/translations).
TRACKS = {"normal": "普通投诉", "major": "重大投诉", "escalated": "越级投诉"}
WHY_MOVED = {"calendar": "节假日安排更新", "policy": "迁移至规范第 %(version)s 版"}
ACTORS = {"timer": "系统计时", "repeat": "周期到期，重新计时"}
ESCALATED_TO = {1: "，自动升级至重大投诉处理"}


def _lang(english: bool) -> str:
    return "en" if english else "zh"


def _t(ts: datetime | None, fmt: str = "%m-%d %H:%M") -> str:
    return ts.astimezone(SHANGHAI).strftime(fmt) if ts else ""


def _span(seconds: int | None, lang: str) -> str:
    return span_words(seconds, lang)


def _action(code: str, lang: str) -> str:
    if code in ACTORS:
        return text_in(lang, "clock", ACTORS[code])
    pair = ACTION_NAMES.get(code) or (code, code)
    return pair[1] if lang == "en" else pair[0]


def _effect(effect: dict, lang: str) -> str:
    outcome = effect.get("outcome")
    if outcome == "escalated":
        return text_in(lang, "clock", ESCALATED_TO.get(effect.get("level", 1), "，自动升级至公司领导督办"))
    if outcome == "closed":
        return text_in(lang, "clock", "，系统自动结案")
    if outcome == "moved_on":
        return text_in(lang, "clock", "，投诉已进入下一环节，无需处理")
    text = text_in(lang, "clock", "，已提醒并重新计时") if outcome == "repeated" else ""
    notified = effect.get("notified") or []
    if notified:
        names = [DEPARTMENTS.get(d, (d, d))[1 if lang == "en" else 0] for d in notified]
        text += text_in(lang, "clock", "，已通知%(names)s",
                        names=joined(lang, names, "%(a)s、%(b)s"))
    return text


#: Each history event in words, its placeholders filled by `line`.
EVENT_TEXTS = {
    "started": "%(at)s 开始计时（%(action)s），应于 %(due)s 前完成",
    "paused": "%(at)s 暂停（等待客户）",
    "resumed": "%(at)s 恢复计时，暂停 %(span)s，顺延至 %(due)s",
    "moved": "%(at)s 调整：%(why)s（%(who)s），到期时间 %(before)s → %(due)s",
    "warned": "%(at)s 预警：将于 %(due)s 到期",
    "met": "%(at)s 按时完成，距到期还有 %(span)s",
    "missed": "%(at)s 超时 %(span)s%(effect)s",
    "ended": "%(at)s 完成（%(action)s），已超时 %(span)s",
    "restarted": "%(at)s 未到期即重新计时（%(action)s）",
    "elapsed": "%(at)s 期满%(effect)s",
}


def line(e, english: bool = False) -> str:
    """One history entry of a clock in words."""
    lang = _lang(english)
    event, data = e["event"], e["data"] or {}
    if event not in EVENT_TEXTS:
        return f"{_t(e['at'])} {event}"
    values = {"at": _t(e["at"]), "due": _t(e["due_at"]), "span": _span(e["seconds"], lang),
              "action": _action(e["reason"], lang),
              "effect": _effect(data.get("effect") or {}, lang), "who": e["actor"] or ""}
    if event == "moved":
        why = WHY_MOVED.get(e["reason"])
        values["why"] = (text_in(lang, "clock", why, version=e["policy_version"]) if why
                         else e["reason"])
        values["before"] = (_t(datetime.fromisoformat(data["due_before"]))
                            if data.get("due_before") else "")
    return text_in(lang, "clock", EVENT_TEXTS[event], **values)


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
        lang = _lang(english)
        track = latest["track"]
        track = text_in(lang, "clock", TRACKS[track]) if track in TRACKS else track
        name = CLOCK_NAMES.get(self.kind, (self.kind, self.kind))[1 if english else 0]
        return text_in(lang, "clock", "%(name)s %(duration)s（规范第 %(version)s 版，%(track)s）",
                       name=name, duration=duration if english else duration_zh(duration),
                       version=version, track=track)

    def calendar_note(self, calendar: BusinessCalendar, english: bool = False) -> str:
        """For a working-day clock: holidays skipped, 调休 days counted, fallback data."""
        last = self.entries[-1]
        if not parse_duration(last["duration"]).is_workdays:
            return ""
        days = days_counted(calendar, self.start["at"], last["due_at"])
        lang, fmt = _lang(english), "%m-%d"
        parts = []
        if days.holidays:
            parts.append(text_in(lang, "clock", "跳过法定节假日 %(days)s", days=joined(
                lang, [d.strftime(fmt) for d in days.holidays], "%(a)s、%(b)s")))
        if days.workdays:
            parts.append(text_in(lang, "clock", "计入调休上班日 %(days)s", days=joined(
                lang, [d.strftime(fmt) for d in days.workdays], "%(a)s、%(b)s")))
        if days.fallback or not last["confirmed"]:
            parts.append(text_in(lang, "clock", "该年度节假日安排尚未加载，按周一至周五推算"))
        return joined(lang, parts, "%(a)s；%(b)s")


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
