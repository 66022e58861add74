"""Attaching evidence to a complaint, downloading it, and cleaning up after crashes.

`attach` runs in this order, so that a crash at any point leaves nothing half-done
that the service would serve:
1. read: may this actor attach to this complaint now (404, 409 stale version, 403,
   409 state: the same answers as any action), and the comment's limits (422);
2. receive the upload into a temporary file in the attachments folder, hashing it and
   refusing it past the policy's size (422); fsync;
3. check the content: an executable, a name that says another format, a format or kind
   the policy does not accept are refused (422) and the temporary file removed;
4. rename it to its SHA-256 name and fsync the folder: the file is in place;
5. one transaction: the attachment's row and the `attach` action (versioned update,
   history event with the file's name, size, type and hash), committed together.
A crash before 5 commits leaves at most a file no row names: never served (downloads go
through rows), removed by `remove_orphans` (`complaints attachments cleanup`).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from workflow import metrics
from workflow.domain import access, evidence
from workflow.domain import actions as rules
from workflow.domain.errors import FieldError, NotFound, ValidationError
from workflow.domain.model import Actor, Complaint
from workflow.services.actions import apply_action
from workflow.store import attachments as files
from workflow.store.complaints import load
from workflow.store.runtime import Runtime

log = logging.getLogger(__name__)
ACTION = "attach"
#: Files no row names younger than this are left alone (an upload may be committing).
ORPHAN_GRACE_SECONDS = 3600


@dataclass
class Attached:
    """An upload that was kept: the complaint after its `attach` action, and the row."""

    complaint: Complaint
    attachment: dict


@dataclass
class Download:
    """A file to send: its row (name, type, size) and where its content is."""

    attachment: dict
    path: Path


def store_of(rt: Runtime) -> files.FileStore:
    """The runtime's attachments folder."""
    return files.FileStore(rt.attachments_dir)


def attach(rt: Runtime, complaint_id: int, actor: Actor, *, name: str | None, stream,
           now: datetime, comment: str = "", expected_version: int | None = None) -> Attached:
    """Keep an evidence file with a complaint (see the module's steps); `stream` is a
    binary file object (None: no file was sent)."""
    try:
        attached = _attach(rt, complaint_id, actor, name, stream, now, comment or "",
                           expected_version)
    except Exception as exc:
        metrics.count_action(ACTION, metrics.outcome_of(exc))
        raise
    metrics.count_action(ACTION, "ok")
    return attached


def _attach(rt, complaint_id, actor, name, stream, now, comment, expected_version) -> Attached:
    with rt.uow(write=False) as uow:
        complaint = load(uow, complaint_id)
        policy = uow.policy_for(complaint)
        rules.check_may(uow.process, policy, complaint, ACTION, actor, expected_version)
        rules.check_fields(policy, complaint, ACTION, {"comment": comment}, lambda code: True)
    if stream is None:
        raise ValidationError({"file": FieldError("required")})
    name = evidence.clean_name(name)
    store = store_of(rt)
    received = store.receive(stream, policy.attachment_max_bytes)
    try:
        with open(received.path, "rb") as whole:
            found = evidence.check(name, received.head, whole, received.size, policy)
    except BaseException:
        store.discard(received)
        raise
    store.keep(received)
    row = dict(complaint_id=complaint_id, original_name=name, size=received.size,
               content_type=found.mime, format=found.code, sha256=received.sha256,
               uploaded_by=actor.username, uploaded_at=now, comment=comment)
    with rt.uow() as uow:
        row["id"] = files.add(uow.conn, row)
        complaint = apply_action(
            uow, complaint_id, ACTION, actor, now=now, expected_version=expected_version,
            comment=comment, data={"attachment": {
                "id": row["id"], "name": name, "size": received.size, "type": found.mime,
                "sha256": received.sha256}})
        uow.commit()
    log.info("complaint %s: attachment %s (%s, %s bytes, %s) by %s", complaint_id, row["id"],
             found.code, received.size, received.sha256[:12], actor.username)
    return Attached(complaint, row)


def visible(uow, complaint_id: int, actor: Actor) -> Complaint:
    """The complaint if the actor may see it, else NotFound: its files are as hidden."""
    complaint = load(uow, complaint_id)
    if not access.may_see(actor, complaint):
        raise NotFound("complaint", complaint_id)
    return complaint


def listed(rt: Runtime, complaint_id: int, actor: Actor) -> list[dict]:
    """The complaint's attachments, oldest first (NotFound for a complaint not visible)."""
    with rt.uow(write=False) as uow:
        visible(uow, complaint_id, actor)
        return [dict(r) for r in files.of_complaint(uow.conn, complaint_id)]


def download(rt: Runtime, complaint_id: int, attachment_id: int, actor: Actor) -> Download:
    """One attachment to send, under the complaint's access rules (NotFound otherwise)."""
    with rt.uow(write=False) as uow:
        visible(uow, complaint_id, actor)
        row = files.get(uow.conn, complaint_id, attachment_id)
    if row is None:
        raise NotFound("attachment", attachment_id)
    store = store_of(rt)
    if not store.has(row["sha256"], row["size"]):
        log.error("attachment %s of complaint %s: content file %s missing or cut short",
                  attachment_id, complaint_id, row["sha256"])
        raise NotFound("attachment", attachment_id)
    return Download(dict(row), store.path_for(row["sha256"]))


def orphans(rt: Runtime, older_than: float = ORPHAN_GRACE_SECONDS) -> list[Path]:
    """Files in the attachments folder that no row names (and abandoned uploads), older
    than `older_than` seconds."""
    with rt.uow(write=False) as uow:
        known = files.referenced(uow.conn)
    return files.orphans(store_of(rt), known, older_than=older_than)


def remove_orphans(rt: Runtime, older_than: float = ORPHAN_GRACE_SECONDS) -> int:
    """Delete what `orphans` finds; return how many files went."""
    return files.remove_orphans(store_of(rt), orphans(rt, older_than))
