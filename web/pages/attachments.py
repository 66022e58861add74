"""Evidence files on the complaint page: the upload form's POST and the downloads.

The upload reads the form and calls `workflow.services.attaching.attach`; a refused file
comes back on the complaint page with the reason beside the form (422), as any action's
fields do. A download is sent as an attachment (`Content-Disposition: attachment` with
the RFC 5987 `filename*` for Chinese names), with the type found from the content,
`nosniff` and a sandboxing CSP, under the complaint's own access rules: a complaint the
user may not see has no files either (404).
"""
from __future__ import annotations

import logging

from flask import abort, flash, redirect, request, url_for
from flask_login import login_required

from web.boundary import UnsafeInput
from web.downloads import attachment_response
from web.pages.common import actor, checked_form, checks_own_form, now, page_blueprint, runtime
from web.pages.complaint_view import complaint_page as _page
from web.pages.i18n import _
from workflow.domain.errors import ActionNotAllowed, Conflict, ValidationError
from workflow.services import attaching

log = logging.getLogger(__name__)
bp = page_blueprint("attachments", __name__)
#: Room for the form's other fields and the multipart framing around the file.
FORM_OVERHEAD = 64 * 1024


def _allow_the_policy_size():
    """Before the CSRF check reads the form: an upload may be as large as the policy of
    the complaint allows (the app's 256 KiB limit holds for every other form)."""
    if request.endpoint == "attachments.upload" and request.method == "POST":
        request.max_content_length = (runtime().policy.attachment_max_bytes + FORM_OVERHEAD)


bp.before_request_funcs.setdefault(None, []).insert(0, _allow_the_policy_size)


@bp.route("/complaints/<int:complaint_id>/attachments", methods=["POST"])
@checks_own_form
@login_required
def upload(complaint_id: int):
    """Keep an uploaded evidence file with the complaint; refused ones come back with why."""
    form, me = request.form, actor()
    typed = {"comment": form.get("comment", "")}
    version = form.get("version", "").strip()
    if version and not (version.isascii() and version.isdigit() and len(version) <= 9):
        abort(400)          # a tampered form: never act without the version check
    sent = request.files.get("file")
    try:
        checked_form()
        attached = attaching.attach(
            runtime(), complaint_id, me, name=sent.filename if sent else None,
            stream=sent.stream if sent and sent.filename else None, now=now(),
            comment=typed["comment"].strip(), expected_version=int(version) if version else None)
    except Conflict:
        notice = _("其他人已先处理了这张工单，文件未上传。下面是最新状态，请重新选择文件上传。")
        return _page(complaint_id, 409, {"attach": typed}, notice=notice, acted="attach")
    except ActionNotAllowed:
        notice = _("当前状态下不能上传证据。")
        return _page(complaint_id, 409, {"attach": typed}, notice=notice, acted="attach")
    except UnsafeInput as exc:
        return _page(complaint_id, 422, {"attach": typed}, {"attach": exc.errors}, acted="attach")
    except ValidationError as exc:
        return _page(complaint_id, 422, {"attach": typed}, {"attach": exc.errors}, acted="attach")
    log.info("complaint %s: attachment %s by %s", complaint_id, attached.attachment["id"],
             me.username)
    flash(_("已上传证据：%(name)s", name=attached.attachment["original_name"]), "success")
    return redirect(url_for("complaint.show", complaint_id=complaint_id) + "#evidence")


@bp.route("/complaints/<int:complaint_id>/attachments/<int:attachment_id>")
@login_required
def download(complaint_id: int, attachment_id: int):
    """One evidence file, as a download (404 when the complaint is not the user's to see)."""
    found = attaching.download(runtime(), complaint_id, attachment_id, actor())
    return attachment_response(found)

