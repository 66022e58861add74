"""The intake form: file a new complaint and show where it was routed."""
from __future__ import annotations

import logging
import uuid

from flask import flash, redirect, render_template, request, url_for

from states.catalogue import CAUSES, DEPARTMENTS
from states.process import INTAKE_ROLES
from web.pages.common import (
    actor,
    checked_form,
    checks_own_form,
    now,
    page_blueprint,
    roles_required,
    runtime,
)
from web.pages.i18n import _
from workflow import services
from workflow.domain.errors import IdempotencyMismatch, ValidationError

log = logging.getLogger(__name__)
bp = page_blueprint("intake", __name__)
FLAGS = ("media", "leadership", "serious_deficiency")


def causes_by_department(policy) -> list[tuple[str, list[str]]]:
    """The causes grouped under the department the policy routes them to."""
    groups = {code: [] for code in DEPARTMENTS}
    for cause in CAUSES:
        groups[policy.department_for(cause)].append(cause)
    return [(dept, causes) for dept, causes in groups.items() if causes]


def _values(form) -> dict:
    values = {k: form.get(k, "").strip() for k in ("mobile", "channel", "source", "cause",
                                                  "customer_name", "text", "district",
                                                  "location")}
    count = form.get("complainant_count", "1").strip() or "1"
    try:
        values["complainant_count"] = int(count)
    except ValueError:
        values["complainant_count"] = count        # the workflow reports it with the rest
    for flag in FLAGS:
        values[flag] = form.get(flag) == "on"
    return values


def _form(values=None, errors=None, key=None, status=200):
    return render_template(
        "intake/form.html", values=values or {"source": "direct", "complainant_count": 1},
        errors=errors or {}, key=key or uuid.uuid4().hex,
        groups=causes_by_department(runtime().policy),
        districts=runtime().policy.districts), status


@bp.route("/complaints/new", methods=["GET", "POST"])
@checks_own_form
@roles_required(*INTAKE_ROLES)
def new():
    """Show the intake form, or file the complaint it posts."""
    if request.method == "GET":
        return _form()
    values = _values(request.form)
    key = request.form.get("key", "")[:64] or uuid.uuid4().hex
    try:
        checked_form()
        result = services.intake(runtime(), actor(), values, now=now(),
                                 idempotency_key=f"web:{key}")
    except ValidationError as exc:
        return _form(values, exc.errors, key, 422)
    except IdempotencyMismatch:
        flash(_("该表单已经提交过；已为修改后的内容生成新表单，请确认后再次提交。"), "warning")
        return _form(values, None, None, 422)     # as the API answers a reused key
    log.info("complaint %s filed by %s", result.complaint.id, actor().username)
    return redirect(url_for("complaint.show", complaint_id=result.complaint.id, filed=1))
