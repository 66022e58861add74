"""What the complaint page shows besides its own facts: the evidence files kept with it
and the customer's other complaints on the same mobile number (those the user may see)."""
from __future__ import annotations

from states.fields import MAX_TEXT
from web.pages.i18n import is_english
from workflow.domain.evidence import FORMATS, size_text
from workflow.domain.model import Actor, Complaint
from workflow.services import read


def evidence_context(uow, complaint: Complaint, actor: Actor) -> dict:
    """The template values of the evidence and customer-history sections."""
    history, more = read.customer_history(uow, complaint, actor)
    policy = uow.policy_for(complaint)
    return dict(
        attachments=read.attachments_of(uow, complaint.id),
        customer_history=[(row, number_of(row)) for row in history],
        customer_history_more=more, size_text=size_text, format_name=format_name,
        attachment_limit=size_text(policy.attachment_max_bytes),
        attachment_kinds=sorted(policy.attachment_kinds), comment_max=MAX_TEXT,
        accept=",".join(ext for f in FORMATS.values() if f.kind in policy.attachment_kinds
                        for ext in f.extensions))


def format_name(code: str) -> str:
    """An evidence format by its name (PDF文件, Word文档) or, in English, its code."""
    found = FORMATS.get(code)
    if found is None:
        return code
    return found.code.upper() if is_english() else found.name_zh


def number_of(row) -> str:
    """The complaint number of a history row."""
    return Complaint.number_of(row["id"], row["created_at"])
