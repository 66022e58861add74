"""Loading and validating the policy file (TOML).

A policy is loaded whole or not at all: the file is checked against its schema
(`states.policy_schema`, a pydantic model with a Chinese message for each key), every
problem is reported with the key it concerns (`PolicyError.problems`: each one's text,
`path` and `code`), and `PolicyError` is raised before anything starts. Each policy
has a `digest` (a SHA-256 of its normalised content, so a file that differs only in
comments is the same policy). The database keeps every policy ever activated as a
numbered, immutable version (`workflow.store.policies`); `number` is that version, and
each complaint is pinned to the version it was filed under.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from states import policy_schema
from states.durations import Duration
from states.policy_schema import ATTACHMENT_KINDS, CLOCKS, DEFAULT_ATTACHMENT_BYTES, TRACKS, size_bytes

__all__ = ["ATTACHMENT_KINDS", "CLOCKS", "DEFAULT_ATTACHMENT_BYTES", "TRACKS", "Policy",
           "PolicyError", "changes", "load_policy", "parse_policy", "parse_policy_text",
           "size_bytes"]

#: The [major] keys that make a complaint major on their own (true unless set false).
MAJOR_FLAGS = ("media", "leadership", "serious_deficiency")


class PolicyError(ValueError):
    """The policy file is unusable; `problems` lists every key that is wrong (shown as
    they are to the administrator: `policy_schema.Problem` where a key is named)."""

    def __init__(self, source: str, problems: list[str]):
        self.source, self.problems = source, problems
        super().__init__(f"规范文件 {source} 有误：\n  - " + "\n  - ".join(problems))


@dataclass(frozen=True)
class Policy:
    """A validated policy: deadlines per track, routing, major thresholds, limits."""

    digest: str
    source: str
    warning_fraction: float
    repeat_window: Duration
    max_pauses: int
    max_pause_total: Duration
    joint_complainants: int
    repeat_count: int
    major_flags: frozenset[str]
    escalate_on_breach: frozenset[str]
    max_escalation_level: int
    deadlines: dict[str, dict[str, Duration]]
    routing: dict[str, str]
    #: The districts (`states.catalogue.DISTRICTS` codes) intake offers, in the file's order.
    districts: tuple[str, ...] = ()
    raw: dict = field(repr=False, compare=False, default_factory=dict)
    #: The version number in the database (0: not stored, e.g. a candidate being previewed).
    number: int = 0
    #: The file's text as loaded (comments included), kept with the stored version.
    text: str = field(repr=False, compare=False, default="")
    #: Evidence files: the largest accepted, in bytes, and the kinds accepted.
    attachment_max_bytes: int = DEFAULT_ATTACHMENT_BYTES
    attachment_kinds: frozenset[str] = frozenset(ATTACHMENT_KINDS)

    @property
    def version(self) -> str:
        """A short form of the digest, for logs."""
        return self.digest[:12]

    def deadline(self, track: str, clock: str) -> Duration | None:
        """The duration of `clock` on `track`, or None when that track has no such clock."""
        return self.deadlines[track].get(clock)

    def department_for(self, cause: str) -> str:
        """The department responsible for a cause (routing table)."""
        return self.routing[cause]


def parse_policy(data: dict, source: str = "<policy>") -> Policy:
    """Validate parsed TOML data and build a Policy, or raise PolicyError listing all problems."""
    try:
        file = policy_schema.validate(data)
    except policy_schema.Invalid as exc:
        raise PolicyError(source, exc.problems) from None
    general, major, escalation = file.general, file.major, file.escalation
    deadlines = {track: {clock: duration for clock, duration in getattr(file.deadlines, track)
                         if duration is not None}
                 for track in TRACKS}
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, default=str)
    return Policy(
        digest=hashlib.sha256(canonical.encode()).hexdigest(), source=source,
        warning_fraction=general.warning_fraction, repeat_window=general.repeat_window,
        max_pauses=general.max_pauses, max_pause_total=general.max_pause_total,
        joint_complainants=major.joint_complainants, repeat_count=major.repeat_count,
        major_flags=frozenset(f for f in MAJOR_FLAGS if getattr(major, f)),
        escalate_on_breach=frozenset(escalation.on_breach),
        max_escalation_level=escalation.max_level, deadlines=deadlines,
        routing=dict(file.routing), districts=tuple(dict.fromkeys(file.intake.districts)),
        raw=data, attachment_max_bytes=file.attachments.max_size,
        attachment_kinds=frozenset(file.attachments.kinds),
    )


def load_policy(path: str | Path | None = None) -> Policy:
    """Load the policy at `path`, or the default shipped with the package."""
    if path is None:
        text = resources.files("states").joinpath("default_policy.toml").read_text("utf-8")
        source = "default_policy.toml"
    else:
        try:
            text = Path(path).read_text("utf-8")
        except OSError as exc:
            raise PolicyError(str(path), [f"无法读取文件：{exc.strerror}"]) from exc
        source = str(path)
    return parse_policy_text(text, source)


def parse_policy_text(text: str, source: str = "<policy>", number: int = 0) -> Policy:
    """Parse and validate a policy file's text (TOML), or raise PolicyError."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(source, [f"不是有效的 TOML：{exc}"]) from exc
    except RecursionError:        # tomllib recurses once per level of nested arrays or tables
        raise PolicyError(source, ["不是可用的 TOML：嵌套层数过多"]) from None
    return dataclasses.replace(parse_policy(data, source), number=number, text=text)


def changes(old: Policy, new: Policy) -> list[tuple[str, object, object]]:
    """What differs between two policies, key by key: (dotted key, old value, new value)."""
    def flat(data, prefix=""):
        out = {}
        for key, value in data.items():
            if isinstance(value, dict):
                out.update(flat(value, f"{prefix}{key}."))
            else:
                out[f"{prefix}{key}"] = value
        return out
    a, b = flat(old.raw), flat(new.raw)
    return [(k, a.get(k), b.get(k)) for k in sorted(a.keys() | b.keys()) if a.get(k) != b.get(k)]
