"""The policy file's schema: one pydantic model per section, and the Chinese message the
administrator reads for each field (on the policy page and from `complaints policy`).

`validate(data)` returns the validated `PolicyFile` or raises `Invalid` with one `Problem`
per wrong key: its dotted path (`deadlines.normal.reply`), a code that does not depend on
the language (`missing`, `unknown_key`, `wrong_type`, `out_of_range`, `not_allowed`,
`bad_value`) and the text `deadlines.normal.reply：应为正的时长，如 "48h" 或 "2wd"；实际为 "soon"`.
"""
from __future__ import annotations

import json
import re
import reprlib
from fnmatch import fnmatchcase
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainValidator, ValidationError, create_model
from pydantic_core import PydanticCustomError

from states.catalogue import CAUSES, DEPARTMENTS, DISTRICTS
from states.durations import Duration, parse_duration

TRACKS = ("normal", "major", "escalated")
CLOCKS = ("assign", "first_contact", "reply", "progress_contact", "auto_close",
          "outer_limit", "regulator")
REQUIRED_CLOCKS = ("assign", "first_contact", "reply", "progress_contact", "auto_close")
ATTACHMENT_KINDS = ("audio", "image", "pdf", "office")
DEFAULT_ATTACHMENT_BYTES = 20 * 1024 * 1024


def _listed(codes) -> str:
    return "、".join(codes)


#: What each key must be (the first pattern that matches its path), shown after the key.
EXPECTED = {
    "general.warning_fraction": "应为 0 与 1 之间的小数（不含 0 和 1），如 0.75",
    "general.repeat_window": "应为按自然时间计的时长（不可按工作日），如 \"30 days\"",
    "general.max_pauses": "应为不小于 0 的整数，如 2",
    "general.max_pause_total": "应为按自然时间计的时长（不可按工作日），如 \"7 days\"",
    "major.joint_complainants": "应为不小于 2 的整数，如 3",
    "major.repeat_count": "应为不小于 1 的整数，如 2",
    "major.*": "应为 true 或 false",
    "escalation.on_breach": f"应为时限名称的列表，如 [\"reply\"]（可用：{_listed(CLOCKS)}）",
    "escalation.max_level": "应为不小于 0 的整数，如 2（1 为重大投诉席，2 为公司领导）",
    "attachments.max_size": "应为不小于 1 字节的大小，如 \"20 MB\"、\"512 KB\" 或字节数",
    "attachments.kinds": f"应为非空的文件类别列表（可用：{_listed(ATTACHMENT_KINDS)}）",
    "deadlines.*.*": "应为正的时长，如 \"48h\" 或 \"2wd\"",
    "routing.*": f"应为负责部门的代码（可用：{_listed(DEPARTMENTS)}）",
    "intake.districts": f"应为区代码的列表（可用：{_listed(DISTRICTS)}）",
    "*": "应为一个表（一节或一组键值）",
}
#: What the keys under a path are called, for "unknown key" (any other path: 键).
_KEY_NOUNS = {"": "节", "deadlines": "处理类别", "deadlines.*": "时限", "routing": "投诉原因"}


def _expected(path: str) -> str:
    return next(text for pattern, text in EXPECTED.items() if fnmatchcase(path, pattern))


def _duration(clock_time_only: bool):
    def check(value) -> Duration:
        if not isinstance(value, str):
            raise PydanticCustomError("wrong_type", "")
        try:
            duration = parse_duration(value)
        except ValueError:
            raise PydanticCustomError("bad_value", "") from None
        if clock_time_only and duration.is_workdays:
            raise PydanticCustomError("bad_value", "")
        return duration
    return PlainValidator(check)


_SIZE = re.compile(r"^\s*(\d+)\s*(B|KB|MB)?\s*$", re.IGNORECASE)
_SIZE_UNITS = {"b": 1, "kb": 1024, "mb": 1024 * 1024}


def size_bytes(text) -> int:
    """A size such as "20 MB", "512 KB" or 1048576 (bytes) in bytes; ValueError if not one."""
    if isinstance(text, int) and not isinstance(text, bool):
        return text
    found = _SIZE.match(text) if isinstance(text, str) else None
    if not found:
        raise ValueError(f"应为大小，如 \"20 MB\"；实际为 {shown(text)}")
    return int(found.group(1)) * _SIZE_UNITS[(found.group(2) or "b").lower()]


def _size(value) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise PydanticCustomError("wrong_type", "")
    try:
        size = size_bytes(value)
    except ValueError:
        raise PydanticCustomError("bad_value", "") from None
    if size < 1:
        raise PydanticCustomError("out_of_range", "")
    return size


ClockTime = Annotated[Duration, _duration(clock_time_only=True)]
AnyDuration = Annotated[Duration, _duration(clock_time_only=False)]


class Section(BaseModel):
    """A table of the file: every key known, no type converted but int to float."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True,
                              arbitrary_types_allowed=True)


class General(Section):
    warning_fraction: float = Field(gt=0, lt=1)
    repeat_window: ClockTime
    max_pauses: int = Field(2, ge=0)
    max_pause_total: ClockTime = Field(default="7 days", validate_default=True)


class Major(Section):
    joint_complainants: int = Field(ge=2)
    repeat_count: int = Field(ge=1)
    media: bool = True
    leadership: bool = True
    serious_deficiency: bool = True


class Escalation(Section):
    on_breach: list[Literal[CLOCKS]] = ["reply"]
    max_level: int = Field(2, ge=0)


class Attachments(Section):
    max_size: Annotated[int, PlainValidator(_size)] = DEFAULT_ATTACHMENT_BYTES
    kinds: list[Literal[ATTACHMENT_KINDS]] = Field(list(ATTACHMENT_KINDS), min_length=1)


class Intake(Section):
    districts: list[Literal[tuple(DISTRICTS)]] = list(DISTRICTS)


Track = create_model(
    "Track", __base__=Section,
    **{clock: (AnyDuration, ...) if clock in REQUIRED_CLOCKS else (AnyDuration | None, None)
       for clock in CLOCKS})
Deadlines = create_model("Deadlines", __base__=Section, **dict.fromkeys(TRACKS, (Track, ...)))
Routing = create_model("Routing", __base__=Section,
                       **{cause: (Literal[tuple(DEPARTMENTS)], ...) for cause in CAUSES})


class PolicyFile(Section):
    """The whole file; a section left out takes its defaults (or names its required keys)."""

    general: General = Field(default={}, validate_default=True)
    major: Major = Field(default={}, validate_default=True)
    escalation: Escalation = Field(default={}, validate_default=True)
    attachments: Attachments = Field(default={}, validate_default=True)
    deadlines: Deadlines = Field(default={}, validate_default=True)
    routing: Routing = Field(default={}, validate_default=True)
    intake: Intake = Field(default={}, validate_default=True)


def _keys(model, path="") -> dict[str, tuple[str, ...]]:
    """The known keys under each path (`deadlines.normal`: the clocks)."""
    out = {path: tuple(model.model_fields)}
    for name, info in model.model_fields.items():
        if isinstance(info.annotation, type) and issubclass(info.annotation, BaseModel):
            out.update(_keys(info.annotation, f"{path}.{name}".lstrip(".")))
    return out


_KNOWN = _keys(PolicyFile)
_CODES = {"missing": "missing", "extra_forbidden": "unknown_key", "literal_error": "not_allowed",
          "greater_than": "out_of_range", "greater_than_equal": "out_of_range",
          "less_than": "out_of_range", "too_short": "out_of_range",
          "out_of_range": "out_of_range", "bad_value": "bad_value"}


class Problem(str):
    """One wrong key, as the text shown (`path：message`), with its `path` and `code`."""

    path: str
    code: str

    def __new__(cls, path: str, code: str, message: str) -> Problem:
        problem = super().__new__(cls, f"{path}：{message}")
        problem.path, problem.code = path, code
        return problem

    def __getnewargs__(self) -> tuple[str, str, str]:     # copy and pickle rebuild it whole
        return self.path, self.code, self[len(self.path) + 1:]


class Invalid(ValueError):
    """The file does not fit the schema; `problems` names every wrong key."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(problems))


def shown(value) -> str:
    """A value as the file writes it: "text", 1.5, true, ["a", "b"] (long ones cut)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return json.dumps(value, ensure_ascii=False)[:80]
    return reprlib.repr(value)


def problem(error) -> Problem:
    """The Problem for one of pydantic's errors (list positions left out of the path)."""
    parts = [str(p) for p in error["loc"] if not isinstance(p, int)]
    path, kind = ".".join(parts), error["type"]
    code = _CODES.get(kind, "wrong_type")
    if code == "missing":
        return Problem(path, code, f"缺少此项，{_expected(path)}")
    if code == "unknown_key":
        parent = ".".join(parts[:-1])
        noun = next((n for p, n in _KEY_NOUNS.items() if fnmatchcase(parent, p)), "键")
        return Problem(path, code, f"未知的{noun}（可用：{_listed(_KNOWN.get(parent, ()))}）")
    return Problem(path, code, f"{_expected(path)}；实际为 {shown(error['input'])}")


def validate(data: dict) -> PolicyFile:
    """The file's data validated, or Invalid naming every wrong key."""
    try:
        return PolicyFile.model_validate(data)
    except ValidationError as exc:
        raise Invalid([problem(e) for e in exc.errors()]) from None
