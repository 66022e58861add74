"""What one due deadline does: warn at the warning fraction, act at breach.

Runs inside the worker's transaction, so the warning or escalation, its outbox row
and the marking of the deadline commit together or not at all. A deadline whose
complaint has moved on (the action is no longer allowed) is marked fired and does
nothing else. A `Conflict` (someone changed the complaint meanwhile) propagates: the
worker rolls the row back and claims it again on the next pass.
"""
from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import bindparam, select, update

from states.calendar import SHANGHAI
from states.catalogue import CLOCK_NAMES, CUSTOMER_SERVICE, zh
from states.clocks import CYCLE, REPEATING
from workflow.store import deadlines
from workflow.services.actions import apply_action
from workflow.store.complaints import load
from workflow.domain.errors import ActionNotAllowed, Forbidden, NotFound, ValidationError
from workflow.domain.model import SYSTEM
from workflow.store.outbox import message, recipients_for
from workflow.store.schema import deadlines as t

log = logging.getLogger(__name__)

#: The action was refused because the complaint moved on: the deadline does nothing.
MOVED_ON = (ActionNotAllowed, Forbidden, NotFound, ValidationError)

_WARNED = (update(t).where(t.c.id == bindparam("_id"), t.c.status == "active")
           .values(warned_at=bindparam("now"), next_at=t.c.due_at))
# Only the clock as claimed: an escalation that restarted it on a new track leaves it live.
_FIRED = (update(t).where(t.c.id == bindparam("_id"), t.c.started_at == bindparam("_started"))
          .values(status="fired", next_at=None, breached_at=bindparam("now")))
_CLEAR = update(t).where(t.c.id == bindparam("_id")).values(next_at=None)
_REREAD = select(t).where(t.c.id == bindparam("_id"))


def _local(ts: datetime) -> str:
    return ts.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def fire(uow, row, now: datetime, notes: list[dict], reread: bool = False) -> str:
    """Act on one claimed deadline row at `now`; return what happened (for logs and counts).

    Notifications are appended to `notes` (outbox rows the worker writes in the same
    transaction). The claimed row carries its complaint's `complaint_level` (joined by
    the claim). `reread` when an earlier row of the batch touched the same complaint: an escalation
    restarts the complaint's clocks, so act on the row (and level) as they are now.
    """
    level = None if reread else row.complaint_level
    if reread:
        row = uow.conn.execute(_REREAD, {"_id": row.id}).one()
    if row.next_at is None or row.next_at > now:
        return "skipped"
    if row.status != "active":
        uow.conn.execute(_CLEAR, {"_id": row.id})
        return "skipped"
    name = zh(CLOCK_NAMES, row.kind)
    if now < row.due_at:
        complaint = load(uow, row.complaint_id)
        notes.append(message(complaint, "deadline_warning",
               f"【即将超时】投诉 {complaint.number} {name} {_local(row.due_at)}",
               f"投诉 {complaint.number} 的{name}将于 {_local(row.due_at)}(北京时间)到期,"
               f"请尽快处理。\nDeadline {row.kind} of complaint {complaint.number} is due "
               f"at {row.due_at.isoformat()}.", now=now))
        uow.conn.execute(_WARNED, {"_id": row.id, "now": now})
        return "warned"
    try:
        return _breach(uow, row, level, name, now, notes)
    except MOVED_ON as exc:
        log.info("deadline %s (%s) of complaint %s does nothing: %s", row.id, row.kind,
                 row.complaint_id, exc)
        _mark_fired(uow, row, now)
        return "moved_on"


def _mark_fired(uow, row, now) -> None:
    uow.conn.execute(_FIRED, {"_id": row.id, "_started": row.started_at, "now": now})
    deadlines.refresh_next_due(uow.conn, row.complaint_id)


def _breach(uow, row, level: int | None, name: str, now: datetime, notes: list) -> str:
    policy, kind = uow.policy, row.kind
    if kind in policy.escalate_on_breach:
        if level is None:
            level = load(uow, row.complaint_id).escalation_level
        if level < policy.max_escalation_level:
            return _escalate(uow, row, name, now, notes)
        outcome = _notify_breach(notes, load(uow, row.complaint_id), name, "at_max_level", now)
    elif kind == "auto_close":
        apply_action(uow, row.complaint_id, "close", SYSTEM, now=now, satisfaction="no_objection",
                     comment=f"答复后{row.duration}内客户无异议,系统自动结案",
                     data={"criterion": f"deadline:{kind}"})
        outcome = "closed"
    elif kind in REPEATING:
        complaint = load(uow, row.complaint_id)
        _notify_breach(notes, complaint, name, "due", now)
        deadlines.start(uow, complaint, [kind], now)
        deadlines.refresh_next_due(uow.conn, complaint.id)
        return "repeated"
    else:
        outcome = _notify_breach(notes, load(uow, row.complaint_id), name, "missed", now)
    _mark_fired(uow, row, now)
    return outcome


def _escalate(uow, row, name, now, notes) -> str:
    kind = row.kind
    changed = apply_action(
        uow, row.complaint_id, "escalate", SYSTEM, now=now, reason=f"deadline {kind} missed",
        comment=f"{name}已过,系统自动升级", data={"criterion": f"deadline:{kind}"})
    target = "重大投诉处理" if changed.escalation_level == 1 else "公司领导"
    notes.append(message(changed, "escalation",
           f"【自动升级】投诉 {changed.number} {name}超时,升级至{target}",
           f"投诉 {changed.number} 的{name}已过,系统已自动升级至{target}"
           f"(级别 {changed.escalation_level})。\nComplaint {changed.number} missed its "
           f"{kind} deadline and was escalated to level {changed.escalation_level}.",
           now=now, recipients=recipients_for(changed, changed.routed_department,
                                              CUSTOMER_SERVICE)))
    # The escalation restarted this clock on the new track when that track has it;
    # otherwise the clock as claimed is done.
    if not (kind in CYCLE and uow.policy.deadline(changed.track, kind) is not None):
        _mark_fired(uow, row, now)
    return "escalated"


def _notify_breach(notes, complaint, name, why, now) -> str:
    what = {"at_max_level": "已超时,且已处于最高升级级别,请领导督办",
            "due": "已到期,请联系客户通报进展", "missed": "已超时"}[why]
    notes.append(message(complaint, f"deadline_{why}",
           f"【超时】投诉 {complaint.number} {name}{what}",
           f"投诉 {complaint.number} 的{name}{what}。\nComplaint {complaint.number}: "
           f"{name} deadline {why.replace('_', ' ')}.",
           now=now, recipients=recipients_for(complaint, CUSTOMER_SERVICE)))
    return "notified"
