"""JSON representations of complaints, deadlines and history events.

Times are UTC ISO-8601 with a `Z` (the pages show Asia/Shanghai; the API does not
guess a reader's zone). Codes are the catalogue's; Chinese labels ride along.
"""
from __future__ import annotations

from datetime import datetime, timezone

from flask import request

from states.catalogue import CLOCK_NAMES, DEPARTMENTS, STATE_NAMES, zh
from web import clock_story
from web.api.blueprint import PREFIX
from workflow.domain.model import Complaint


def iso(ts: datetime | None) -> str | None:
    """UTC ISO-8601 with Z, or None."""
    if ts is None:
        return None
    if ts.tzinfo is not timezone.utc:
        ts = ts.astimezone(timezone.utc)
    return ts.isoformat()[:-6] + "Z"


def complaint_url(complaint_id: int) -> str:
    """The complaint's API path, as `url_for("api.complaint", ...)` builds it (~20x faster:
    an action's answer carries two links)."""
    return f"{request.script_root}{PREFIX}/complaints/{complaint_id}"


def _department(code: str) -> dict:
    return {"code": code, "name_zh": zh(DEPARTMENTS, code)}


def summary(c: Complaint, next_due: datetime | None) -> dict:
    """A complaint as a list shows it (mobile number masked)."""
    return {
        "id": c.id, "number": c.number, "state": c.state.value,
        "state_zh": STATE_NAMES[c.state.value][0], "version": c.version,
        "severity": c.severity, "escalation_level": c.escalation_level,
        "channel": c.channel, "source": c.source, "cause": c.cause, "district": c.district,
        "department": c.department, "originating_department": c.originating_department,
        "mobile_masked": c.masked_mobile, "customer_name": c.customer_name,
        "next_due_at": iso(next_due), "created_at": iso(c.created_at),
        "updated_at": iso(c.updated_at),
        "links": {"self": complaint_url(c.id)},
    }


def deadline(row: dict) -> dict:
    """One clock of a complaint (a `workflow.store.deadlines.rows` dict)."""
    return {
        "kind": row["kind"], "label_zh": zh(CLOCK_NAMES, row["kind"]), "track": row["track"],
        "cycle": row["cycle"], "duration": row["duration"], "status": row["status"],
        "started_at": iso(row["started_at"]), "warn_at": iso(row["warn_at"]),
        "due_at": iso(row["due_at"]), "warned_at": iso(row["warned_at"]),
        "breached_at": iso(row["breached_at"]), "stopped_at": iso(row["stopped_at"]),
        "confirmed": bool(row["confirmed"]),
    }


def detail(c: Complaint, deadlines: list, allowed: list[str], full_mobile: bool = False) -> dict:
    """A complaint with its facts, severity and reasons, departments, clocks and allowed
    actions; the full mobile number only when `full_mobile` (else null, and masked)."""
    return {
        "id": c.id, "number": c.number, "state": c.state.value,
        "state_zh": STATE_NAMES[c.state.value][0], "version": c.version,
        "severity": c.severity, "escalation_level": c.escalation_level,
        "major_reasons": list(c.major_reasons),
        "facts": {
            "mobile": c.mobile if full_mobile else None, "mobile_masked": c.masked_mobile,
            "customer_name": c.customer_name, "channel": c.channel,
            "source": c.source, "cause": c.cause, "text": c.text,
            "complainant_count": c.complainant_count, "district": c.district,
            "location": c.location, "media": bool(c.media),
            "leadership": bool(c.leadership), "serious_deficiency": bool(c.serious_deficiency),
        },
        "departments": {"current": _department(c.department),
                        "routed": _department(c.routed_department),
                        "originating": _department(c.originating_department)},
        "repeat_of_id": c.repeat_of_id, "repeat_count": c.repeat_count,
        "reopen_count": c.reopen_count, "cycle": c.cycle, "satisfaction": c.satisfaction,
        "paused": c.paused_at is not None, "policy_version": c.policy_version,
        "created_by": c.created_by, "created_at": iso(c.created_at),
        "updated_at": iso(c.updated_at),
        "deadlines": [deadline(row) for row in deadlines],
        "allowed_actions": list(allowed),
        "links": {"self": (url := complaint_url(c.id)), "history": url + "/history"},
    }


def event(row) -> dict:
    """One history event."""
    return {"id": row.id, "at": iso(row.at), "actor": row.actor, "actor_role": row.actor_role,
            "action": row.action, "from_state": row.from_state, "to_state": row.to_state,
            "comment": row.comment, "data": row.data or {}}


def clock_entry(e) -> dict:
    """One entry of a clock's history (a `clock_events` row)."""
    return {"id": e["id"], "at": iso(e["at"]), "event": e["event"],
            "policy_version": e["policy_version"], "track": e["track"],
            "duration": e["duration"], "warn_at": iso(e["warn_at"]), "due_at": iso(e["due_at"]),
            "confirmed": bool(e["confirmed"]), "seconds": e["seconds"], "reason": e["reason"],
            "actor": e["actor"], "data": e["data"] or {},
            "text_zh": clock_story.line(e), "text_en": clock_story.line(e, english=True)}


def clock_run(run, calendar) -> dict:
    """One run of one clock: its heading, outcome and entries, in data and in words."""
    return {"kind": run.kind, "label_zh": zh(CLOCK_NAMES, run.kind), "run": run.run,
            "outcome": run.outcome, "heading_zh": run.heading(),
            "heading_en": run.heading(english=True),
            "calendar_zh": run.calendar_note(calendar),
            "calendar_en": run.calendar_note(calendar, english=True),
            "entries": [clock_entry(e) for e in run.entries]}
