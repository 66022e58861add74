"""The complaint page: facts, clocks, history, the diagram and one form per allowed action."""
from __future__ import annotations

import logging

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import login_required
from markupsafe import Markup

from states import diagram
from states.catalogue import ACTION_NAMES
from states.fields import ACTION_FIELDS
from states.process import ACTIONS
from web import clock_story
from web.boundary import UnsafeInput
from web.clock_story import runs
from web.pages.common import actor, checked_form, checks_own_form, now, page_blueprint, runtime
from web.pages.evidence import evidence_context
from web.pages.i18n import _, is_english, name
from workflow import services
from workflow.admin import personal_data
from workflow.admin.directory import active_departments, display_names, holders_in
from workflow.domain import access, clockview
from workflow.domain.errors import ActionNotAllowed, Conflict, ValidationError
from workflow.store import queries
from workflow.store.complaints import load

log = logging.getLogger(__name__)
#: Clock history entries that also appear in the complaint's history.
HISTORY_EVENTS = ("warned", "missed", "elapsed", "moved")
bp = page_blueprint("complaint", __name__)


def _page(complaint_id: int, status: int = 200, typed: dict | None = None,
          errors: dict | None = None, notice: str | None = None, acted: str | None = None):
    me = actor()
    with runtime().uow(write=False) as uow:
        view = queries.get_complaint(uow, complaint_id, me)
        c = view.complaint
        names = display_names(uow.conn, {e.actor for e in view.history}
                              | {e.data.get(k) for e in view.history
                                 for k in ("handler", "from_handler") if e.data.get(k)}
                              | ({c.handler_user} if c.handler_user else set()))
        holders = holders_in(uow.conn, c.department) if "reassign" in view.allowed else []
        departments = active_departments(uow.conn)
        repeat_of = load(uow, c.repeat_of_id) if c.repeat_of_id else None
        clock_entries = queries.clock_history(uow, c.id)
        calendar = uow.calendar
        evidence = evidence_context(uow, c, me)
    # The history shows what the clocks did on their own (warnings, misses, moves)
    # among the actions, in the order it happened.
    timeline = sorted([(e.at, 0, e.id, "action", e) for e in view.history]
                      + [(e["at"], 1, e["id"], "clock", e) for e in clock_entries
                         if e["event"] in HISTORY_EVENTS], key=lambda item: item[:3])
    full_mobile = personal_data.may_see_full_mobile(me, c)
    if full_mobile:     # PIPL: every view of a full number is recorded
        with runtime().uow() as uow:
            personal_data.record_view(uow.conn, me, c.id, "page", now=now())
            uow.commit()
    at = now()
    clocks = clockview.display_all(view.deadlines, at,
                                   policy=runtime().policy_version(c.policy_version), complaint=c)
    return render_template(
        "complaint/show.html", view=view, c=c, clocks=clocks, names=names,
        departments=departments, holders=holders,
        repeat_of=repeat_of, fields=ACTION_FIELDS, typed=typed or {}, errors=errors or {},
        notice=notice, acted=acted, now=at, filed=request.args.get("filed") == "1",
        may_act=access.may_act(me, c), full_mobile=full_mobile,
        diagram=Markup(diagram.svg(c.state.value, lang="en" if is_english() else "zh")),
        timeline=[(kind, e) for *_, kind, e in timeline], clock_runs=runs(clock_entries),
        calendar=calendar, clock_line=clock_story.line, **evidence), status


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
        from web.pages.attachments import upload
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
