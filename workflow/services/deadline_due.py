"""A deadline came due: warn at the warning fraction, act at breach.

Runs inside the worker's transaction, so the warning or escalation, its outbox row
and the marking of the deadline commit together or not at all. The claimed row only
names the clock: it and its complaint are read again as they are now, in one
statement, so a row whose complaint an earlier row of the same batch changed (an
escalation restarts the clocks, a close stops them) is acted on as it now stands, and
the complaint so read is the one the action is decided on. A deadline whose complaint
has moved on (the action is no longer allowed) is marked fired and does nothing else.
A `Conflict` (someone changed the complaint meanwhile) propagates: the worker rolls
the row back and claims it again on the next pass.
"""
from __future__ import annotations

import logging
from datetime import datetime

from states.calendar import SHANGHAI
from states.catalogue import CLOCK_NAMES, CUSTOMER_SERVICE, zh
from states.clocks import CYCLE, REPEATING
from workflow.domain.errors import ActionNotAllowed, Forbidden, NotFound, ValidationError
from workflow.domain.model import SYSTEM, Complaint
from workflow.services.actions import apply_action
from workflow.store import deadlines
from workflow.store.outbox import message, recipients_for

log = logging.getLogger(__name__)

#: The action was refused because the complaint moved on: the deadline does nothing.
MOVED_ON = (ActionNotAllowed, Forbidden, NotFound, ValidationError)


def _local(ts: datetime) -> str:
    return ts.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def fire(uow, row, now: datetime, notes: list[dict]) -> str:
    """Act on one claimed deadline row at `now`; return what happened (for logs and counts).

    Notifications are appended to `notes` (outbox rows the worker writes in the same
    transaction)."""
    found = deadlines.due_now(uow.conn, row.id)
    if found is None:
        return "skipped"
    clock, complaint = found
    if clock.next_at is None or clock.next_at > now:
        return "skipped"
    if clock.status != "active":
        deadlines.clear(uow.conn, clock.id)
        return "skipped"
    name = zh(CLOCK_NAMES, clock.kind)
    if now < clock.due_at:
        notes.append(message(complaint, "deadline_warning",
               f"【即将超时】投诉 {complaint.number} {name} {_local(clock.due_at)}",
               f"投诉 {complaint.number} 的{name}将于 {_local(clock.due_at)}（北京时间）到期，"
               f"请尽快处理。\nDeadline {clock.kind} of complaint {complaint.number} is due "
               f"at {clock.due_at.isoformat()}.", now=now))
        deadlines.warned(uow.conn, clock, complaint, now)
        return "warned"
    # The miss goes into the clock's history first, so that what the breach's action
    # does to this run is not taken for its end; what the breach did is added after.
    missed = deadlines.breaching(uow.conn, clock, complaint, now)
    effect: dict = {}
    noted = len(notes)
    try:
        outcome = _breach(uow, clock, complaint, name, now, notes, effect)
    except MOVED_ON as exc:
        log.info("deadline %s (%s) of complaint %s does nothing: %s", clock.id, clock.kind,
                 clock.complaint_id, exc)
        deadlines.mark_fired(uow.conn, clock, now)
        outcome = "moved_on"
    effect["outcome"] = outcome
    notified = sorted({r for note in notes[noted:] for r in note["recipients"]})
    if notified:
        effect["notified"] = notified
    deadlines.breach_did(uow.conn, missed, effect)
    return outcome


def _breach(uow, clock, complaint: Complaint, name: str, now: datetime, notes: list,
            effect: dict) -> str:
    policy, kind = uow.policy_for(complaint), clock.kind
    if kind in policy.escalate_on_breach:
        if complaint.escalation_level < policy.max_escalation_level:
            return _escalate(uow, clock, complaint, name, now, notes, effect)
        outcome = _notify_breach(notes, complaint, name, "at_max_level", now)
    elif kind == "auto_close":
        apply_action(uow, complaint, "close", SYSTEM, now=now, satisfaction="no_objection",
                     comment=f"答复后{clock.duration}内客户无异议，系统自动结案",
                     data={"criterion": f"deadline:{kind}"})
        outcome = "closed"
    elif kind in REPEATING:
        _notify_breach(notes, complaint, name, "due", now)
        deadlines.restart(uow, complaint, kind, now)
        return "repeated"
    else:
        outcome = _notify_breach(notes, complaint, name, "missed", now)
    deadlines.mark_fired(uow.conn, clock, now)
    return outcome


def _escalate(uow, clock, complaint: Complaint, name: str, now: datetime, notes: list,
              effect: dict) -> str:
    kind = clock.kind
    changed = apply_action(
        uow, complaint, "escalate", SYSTEM, now=now, reason=f"deadline {kind} missed",
        comment=f"{name}已过，系统自动升级", data={"criterion": f"deadline:{kind}"})
    effect["level"] = changed.escalation_level
    target = "重大投诉处理" if changed.escalation_level == 1 else "公司领导"
    notes.append(message(changed, "escalation",
           f"【自动升级】投诉 {changed.number} {name}超时，升级至{target}",
           f"投诉 {changed.number} 的{name}已过，系统已自动升级至{target}"
           f"（级别 {changed.escalation_level}）。\nComplaint {changed.number} missed its "
           f"{kind} deadline and was escalated to level {changed.escalation_level}.",
           now=now, recipients=recipients_for(changed, changed.routed_department,
                                              CUSTOMER_SERVICE)))
    # The escalation restarted this clock on the new track when that track has it;
    # otherwise the clock as claimed is done.
    if not (kind in CYCLE and uow.policy_for(changed).deadline(changed.track, kind) is not None):
        deadlines.mark_fired(uow.conn, clock, now)
    return "escalated"


def _notify_breach(notes, complaint, name, why, now) -> str:
    what = {"at_max_level": "已超时，且已处于最高升级级别，请领导督办",
            "due": "已到期，请联系客户通报进展", "missed": "已超时"}[why]
    notes.append(message(complaint, f"deadline_{why}",
           f"【超时】投诉 {complaint.number} {name}{what}",
           f"投诉 {complaint.number} 的{name}{what}。\nComplaint {complaint.number}: "
           f"{name} deadline {why.replace('_', ' ')}.",
           now=now, recipients=recipients_for(complaint, CUSTOMER_SERVICE)))
    return "notified"
