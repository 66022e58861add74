"""Showing a complaint's customer their full mobile number (PIPL): who may see it, and
the record of every such view, on a page or in the API alike.

`full_number_shown` decides and, when the number is shown, records the view in its own
transaction; the rest of a complaint's page is read through `workflow.services.read`.
"""
from __future__ import annotations

from datetime import datetime

from workflow.admin import personal_data
from workflow.domain.model import Actor, Complaint


def may_see_full_number(actor: Actor, complaint: Complaint) -> bool:
    """Whether the actor works this complaint and so may see the full number (no record)."""
    return personal_data.may_see_full_mobile(actor, complaint)


def full_number_shown(rt, actor: Actor, complaint: Complaint, channel: str, *,
                      now: datetime) -> bool:
    """Whether the actor is shown the customer's full number (`channel`: page, api); each
    time it is, the view is recorded."""
    if not personal_data.may_see_full_mobile(actor, complaint):
        return False
    with rt.uow() as uow:
        personal_data.record_view(uow.conn, actor, complaint.id, channel, now=now)
        uow.commit()
    return True
