"""Loading and validating the policy file (TOML).

A policy is loaded whole or not at all: every problem is collected and reported with
the key it concerns, and `PolicyError` is raised before anything starts. Each policy
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

from states.catalogue import CAUSES, DEPARTMENTS, DISTRICTS
from states.durations import Duration, parse_duration

TRACKS = ("normal", "major", "escalated")
CLOCKS = ("assign", "first_contact", "reply", "progress_contact", "auto_close",
          "outer_limit", "regulator")
REQUIRED_CLOCKS = ("assign", "first_contact", "reply", "progress_contact", "auto_close")
MAJOR_FLAGS = ("media", "leadership", "serious_deficiency")
GENERAL_KEYS = ("warning_fraction", "repeat_window", "max_pauses", "max_pause_total")
MAJOR_KEYS = ("joint_complainants", "repeat_count", *MAJOR_FLAGS)
ESCALATION_KEYS = ("on_breach", "max_level")


class PolicyError(ValueError):
    """The policy file is unusable; `problems` lists every key that is wrong."""

    def __init__(self, source: str, problems: list[str]):
        self.source, self.problems = source, problems
        super().__init__(f"policy {source} is invalid:\n  - " + "\n  - ".join(problems))


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


def _take(problems, table, key, where, kind, default=None):
    value = table.get(key, default)
    if value is None:
        problems.append(f"{where}{key}: missing")
        return None
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        problems.append(f"{where}{key}: expected {kind.__name__}, got {value!r}")
        return None
    return value


def _duration(problems, text, where):
    try:
        return parse_duration(text)
    except ValueError as exc:
        problems.append(f"{where}: {exc}")
        return None


def parse_policy(data: dict, source: str = "<policy>") -> Policy:
    """Validate parsed TOML data and build a Policy, or raise PolicyError listing all problems."""
    problems: list[str] = []
    known = {"general", "major", "escalation", "deadlines", "routing", "intake"}
    problems += [f"{k}: unknown section" for k in data if k not in known]
    general = data.get("general", {})
    major = data.get("major", {})
    escalation = data.get("escalation", {})
    for name, section, keys in (("general", general, GENERAL_KEYS), ("major", major, MAJOR_KEYS),
                                ("escalation", escalation, ESCALATION_KEYS)):
        problems += [f"{name}.{k}: unknown key (known: {', '.join(keys)})"
                     for k in section if k not in keys]

    fraction = _take(problems, general, "warning_fraction", "general.", float)
    if fraction is not None and not 0 < fraction < 1:
        problems.append(f"general.warning_fraction: must be between 0 and 1, got {fraction}")
    window = _take(problems, general, "repeat_window", "general.", str)
    window = window and _duration(problems, window, "general.repeat_window")
    if window and window.is_workdays:
        problems.append("general.repeat_window: must be clock time (e.g. \"30 days\")")
        window = None
    max_pauses = _take(problems, general, "max_pauses", "general.", int, 2)
    pause_total = _take(problems, general, "max_pause_total", "general.", str, "7 days")
    pause_total = pause_total and _duration(problems, pause_total, "general.max_pause_total")
    if pause_total and pause_total.is_workdays:
        problems.append("general.max_pause_total: must be clock time (e.g. \"7 days\")")

    joint = _take(problems, major, "joint_complainants", "major.", int)
    if joint is not None and joint < 2:
        problems.append(f"major.joint_complainants: must be at least 2, got {joint}")
    repeats = _take(problems, major, "repeat_count", "major.", int)
    if repeats is not None and repeats < 1:
        problems.append(f"major.repeat_count: must be at least 1, got {repeats}")
    flags = set()
    for flag in MAJOR_FLAGS:
        if _take(problems, major, flag, "major.", bool, True):
            flags.add(flag)

    on_breach = _take(problems, escalation, "on_breach", "escalation.", list, ["reply"]) or []
    for kind in on_breach:
        if kind not in CLOCKS:
            problems.append(f"escalation.on_breach: unknown clock {kind!r} (known: {', '.join(CLOCKS)})")
    max_level = _take(problems, escalation, "max_level", "escalation.", int, 2)

    deadlines: dict[str, dict[str, Duration]] = {}
    table = data.get("deadlines", {})
    for track in TRACKS:
        section = table.get(track)
        if not isinstance(section, dict):
            problems.append(f"deadlines.{track}: missing")
            continue
        deadlines[track] = {}
        for clock, text in section.items():
            if clock not in CLOCKS:
                problems.append(f"deadlines.{track}.{clock}: unknown clock (known: {', '.join(CLOCKS)})")
                continue
            duration = _duration(problems, text, f"deadlines.{track}.{clock}")
            if duration:
                deadlines[track][clock] = duration
        for clock in REQUIRED_CLOCKS:
            if clock not in section:
                problems.append(f"deadlines.{track}.{clock}: missing")
    problems += [f"deadlines.{t}: unknown track" for t in table if t not in TRACKS]

    routing = data.get("routing", {})
    for cause, dept in routing.items():
        if cause not in CAUSES:
            problems.append(f"routing.{cause}: unknown cause")
        elif dept not in DEPARTMENTS:
            problems.append(f"routing.{cause}: unknown department {dept!r}")
    problems += [f"routing.{c}: missing (every cause needs a department)"
                 for c in CAUSES if c not in routing]

    intake = data.get("intake", {})
    problems += [f"intake.{k}: unknown key (known: districts)" for k in intake if k != "districts"]
    districts = _take(problems, intake, "districts", "intake.", list, list(DISTRICTS)) or []
    for code in districts:
        if code not in DISTRICTS:
            problems.append(f"intake.districts: unknown district {code!r}")

    if problems:
        raise PolicyError(source, problems)
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, default=str)
    return Policy(
        digest=hashlib.sha256(canonical.encode()).hexdigest(), source=source,
        warning_fraction=fraction, repeat_window=window, max_pauses=max_pauses,
        max_pause_total=pause_total, joint_complainants=joint, repeat_count=repeats,
        major_flags=frozenset(flags), escalate_on_breach=frozenset(on_breach),
        max_escalation_level=max_level, deadlines=deadlines, routing=dict(routing),
        districts=tuple(dict.fromkeys(districts)), raw=data,
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
            raise PolicyError(str(path), [f"cannot read the file: {exc.strerror}"]) from exc
        source = str(path)
    return parse_policy_text(text, source)


def parse_policy_text(text: str, source: str = "<policy>", number: int = 0) -> Policy:
    """Parse and validate a policy file's text (TOML), or raise PolicyError."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(source, [f"not valid TOML: {exc}"]) from exc
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
