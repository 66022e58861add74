"""What each action and the intake form ask for: one specification per field.

The service's checks (`workflow.domain`), the JSON API's request models and its
OpenAPI document (`web.api.models`), and the page forms (`web/templates`) are all
built from these tables, and the limits are named here once.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from states.catalogue import CAUSES, CHANNELS, DEPARTMENTS, DISTRICTS, SATISFACTION, SOURCES

#: Longest free text (complaint text, comment, reason), in characters.
MAX_TEXT = 4000
#: Longest customer name, in characters.
MAX_NAME = 100
#: Longest free-text location (street, estate, building), in characters.
MAX_LOCATION = 200
#: A mainland mobile number: 11 digits, starting 13-19.
MOBILE_PATTERN = r"^1[3-9][0-9]{9}$"
MOBILE_LENGTH = 11
#: Most customers one (joint) complaint may name.
MAX_COMPLAINANTS = 100_000
#: Rows on a page of the work queue, and the API list's default and largest page.
PAGE_SIZE = 50
MAX_PER_PAGE = 200
#: Longest Idempotency-Key.
MAX_IDEMPOTENCY_KEY = 200
#: What no accepted text may hold: NUL and the other C0 and C1 control characters (and
#: DEL) but tab, newline and carriage return (browsers send a textarea's newlines as
#: CRLF), and UTF-16 surrogates (only a lone one can reach a Python str).
UNSAFE_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def unsafe_text(value) -> bool:
    """Whether `value` is a str holding a character no accepted text may hold."""
    return isinstance(value, str) and UNSAFE_TEXT.search(value) is not None


@dataclass(frozen=True)
class Field:
    """One input: its name, its kind and what makes it valid.

    Kinds: `text` (free text; `required` means not blank), `choice` (one of `choices`),
    `department` (an active department's code; `choices` lists the catalogue's),
    `mobile`, `integer` (from `minimum` to `maximum`), `boolean`.
    """

    name: str
    kind: str
    required: bool = False
    max_length: int | None = None
    choices: tuple[str, ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    default: object = None


def _comment(required: bool = False) -> Field:
    return Field("comment", "text", required=required, max_length=MAX_TEXT)


REASON = Field("reason", "text", required=True, max_length=MAX_TEXT)
DEPARTMENT = Field("department", "department", required=True, choices=tuple(DEPARTMENTS))

#: Every action's fields, the comment first. Actions not listed take an optional comment.
ACTION_SPECS: dict[str, tuple[Field, ...]] = {
    "assign": (_comment(), DEPARTMENT),
    "accept": (_comment(),),
    "transfer": (_comment(), DEPARTMENT, REASON),
    "contact": (_comment(required=True),),
    "pause": (_comment(), REASON),
    "resume": (_comment(),),
    "reply": (_comment(required=True),),
    "close": (_comment(), Field("satisfaction", "choice", required=True,
                                choices=tuple(SATISFACTION))),
    "reopen": (_comment(), REASON),
    "escalate": (_comment(), REASON),
}

#: The intake form, in the order forms show it.
INTAKE_SPEC: tuple[Field, ...] = (
    Field("mobile", "mobile", required=True, max_length=MOBILE_LENGTH),
    Field("channel", "choice", required=True, choices=tuple(CHANNELS)),
    Field("cause", "choice", required=True, choices=tuple(CAUSES)),
    Field("text", "text", required=True, max_length=MAX_TEXT),
    Field("source", "choice", choices=tuple(SOURCES), default="direct"),
    Field("customer_name", "text", max_length=MAX_NAME, default=""),
    # Optional: "" when not known; the policy's `[intake] districts` may offer fewer.
    Field("district", "choice", choices=("", *DISTRICTS), default=""),
    Field("location", "text", max_length=MAX_LOCATION, default=""),
    Field("complainant_count", "integer", minimum=1, maximum=MAX_COMPLAINANTS, default=1),
    Field("media", "boolean", default=False),
    Field("leadership", "boolean", default=False),
    Field("serious_deficiency", "boolean", default=False),
)


def action_fields(action: str) -> tuple[Field, ...]:
    """The fields `action` takes (an optional comment for an action not listed)."""
    return ACTION_SPECS.get(action, (_comment(),))


def field(action: str, name: str) -> Field | None:
    """One field of an action, or None when the action does not take it."""
    return next((f for f in action_fields(action) if f.name == name), None)


#: What each action asks for besides the comment (forms, the diagram, the definition).
ACTION_FIELDS: dict[str, tuple[str, ...]] = {
    action: tuple(f.name for f in specs if f.name != "comment")
    for action, specs in ACTION_SPECS.items()}
INTAKE_FIELDS: tuple[str, ...] = tuple(f.name for f in INTAKE_SPEC)
