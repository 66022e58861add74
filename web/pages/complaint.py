"""The complaint page: facts, clocks, history, the diagram and one form per allowed action."""
from __future__ import annotations

import logging

from flask import abort, flash, redirect, request, url_for
from flask_login import login_required

from states.catalogue import ACTION_NAMES
from states.fields import ACTION_FIELDS
from states.process import ACTIONS
from web.boundary import UnsafeInput
from web.pages.attachments import upload
from web.pages.common import actor, checked_form, checks_own_form, now, page_blueprint, runtime
from web.pages.complaint_view import complaint_page as _page
from web.pages.i18n import _, name
from workflow import services
from workflow.domain.errors import ActionNotAllowed, Conflict, ValidationError

log = logging.getLogger(__name__)
bp = page_blueprint("complaint", __name__)


@bp.route("/complaints/<int:complaint_id>")
@login_required
def show(complaint_id: int):
    """One complaint, with the actions this user may take now."""
    return _page(complaint_id)


@bp.route("/complaints/<int:complaint_id>", methods=["POST"])
@bp.route("/complaints/<int:complaint_id>/<action>", methods=["POST"])
@checks_own_form
@login_required
def act(complaint_id: int, action: str | None = None):
    """Fire one action from its form (the action in the form's `do`, so that a refused
    form comes back at the complaint's own address); a stale or invalid form comes back
    filled in."""
    action = action or request.form.get("do", "")
    if action not in ACTIONS:
        abort(404)
    if action == "attach":      # a file comes with it: the evidence upload's own view
        return upload(complaint_id)
    me, form = actor(), request.form
    typed = {k: form.get(k, "") for k in ("comment", "department", "satisfaction", "reason",
                                          "handler")}
    version = form.get("version", "").strip()
    if version and not (version.isascii() and version.isdigit() and len(version) <= 9):
        abort(400)          # a tampered form: never act without the version check
    try:
        checked_form()
        services.act(runtime(), complaint_id, action, me, now=now(),
                     expected_version=int(version) if version else None,
                     comment=typed["comment"].strip(),
                     **{f: typed[f].strip() or None for f in ACTION_FIELDS[action]})
    except Conflict:
        notice = _("其他人已先处理了这张工单，“%(action)s”未执行。下面是最新状态，您填写的内容已保留，"
                   "请确认后重新提交。", action=name(ACTION_NAMES, action))
        return _page(complaint_id, 409, {action: typed}, notice=notice, acted=action)
    except ActionNotAllowed:
        notice = _("当前状态下不能执行“%(action)s”。下面是最新状态，您填写的内容已保留。",
                   action=name(ACTION_NAMES, action))
        return _page(complaint_id, 409, {action: typed}, notice=notice, acted=action)
    except UnsafeInput as exc:
        notice = _("提交的内容含有不允许的字符（控制字符、空字符或无效编码），未作任何保存。"
                   "请删除标出的内容后重新提交。")
        return _page(complaint_id, 422, {action: typed}, {action: exc.errors}, notice=notice,
                     acted=action)
    except ValidationError as exc:
        return _page(complaint_id, 422, {action: typed}, {action: exc.errors}, acted=action)
    log.info("complaint %s: %s by %s", complaint_id, action, me.username)
    flash(_("%(action)s成功", action=name(ACTION_NAMES, action)), "success")
    return redirect(url_for("complaint.show", complaint_id=complaint_id))
