"""Which clocks each action starts, stops, restarts, pauses or resumes.

The durations come from the policy (per track); this table only says what each
action does to the clocks. The workflow applies it in the action's own transaction.
"""
from __future__ import annotations

from dataclasses import dataclass

CYCLE = ("assign", "first_contact", "reply", "progress_contact")
ALL = (*CYCLE, "auto_close", "outer_limit", "regulator")


@dataclass(frozen=True)
class ClockRule:
    """What one action does to the clocks."""

    start: tuple[str, ...] = ()      # (re)start from now on the complaint's track
    stop: tuple[str, ...] = ()       # stop if running
    pause: tuple[str, ...] = ()
    resume: tuple[str, ...] = ()
    retrack: bool = False            # restart every running clock on the (new) track


RULES: dict[str, ClockRule] = {
    "intake": ClockRule(start=(*CYCLE, "outer_limit", "regulator")),
    "assign": ClockRule(stop=("assign",)),
    "accept": ClockRule(stop=("assign",)),
    "transfer": ClockRule(start=("assign",)),
    "reassign": ClockRule(),
    "contact": ClockRule(stop=("first_contact",), start=("progress_contact",)),
    "pause": ClockRule(pause=("reply",)),
    "resume": ClockRule(resume=("reply",)),
    "reply": ClockRule(stop=(*CYCLE, "outer_limit", "regulator"), start=("auto_close",)),
    "close": ClockRule(stop=ALL),
    "reopen": ClockRule(stop=("auto_close",), start=CYCLE),
    "escalate": ClockRule(retrack=True),
}

#: Clocks that repeat: when one fires it starts again for another period.
REPEATING = frozenset({"progress_contact"})
