"""The complaint page as it is rendered: facts, clocks, history with what the clocks did,
the diagram and one form per allowed action. The complaint's own views (`complaint`) and
the evidence upload (`attachments`) both answer with it, the upload when it refuses a file."""
from __future__ import annotations

from flask import render_template, request
from markupsafe import Markup

from states import diagram
from states.fields import ACTION_FIELDS
from web import clock_story
from web.clock_story import runs
from web.pages.common import actor, now, runtime
from web.pages.evidence import evidence_context
from web.pages.i18n import is_english
from workflow.domain import access, clockview
from workflow.services import read, viewing

#: Clock history entries that also appear in the complaint's history.
HISTORY_EVENTS = ("warned", "missed", "elapsed", "moved")


def complaint_page(complaint_id: int, status: int = 200, typed: dict | None = None,
                   errors: dict | None = None, notice: str | None = None,
                   acted: str | None = None):
    """The complaint page (with a refused form's typed values and errors), and its status."""
    me = actor()
    with runtime().uow(write=False) as uow:
        view = read.get_complaint(uow, complaint_id, me)
        c = view.complaint
        names = read.display_names(uow, {e.actor for e in view.history}
                                   | {e.data.get(k) for e in view.history
                                      for k in ("handler", "from_handler") if e.data.get(k)}
                                   | ({c.handler_user} if c.handler_user else set()))
        holders = read.holders_in(uow, c.department) if "reassign" in view.allowed else []
        departments = read.active_departments(uow)
        repeat_of = read.complaint(uow, c.repeat_of_id) if c.repeat_of_id else None
        clock_entries = read.clock_history(uow, c.id)
        calendar = uow.calendar
        evidence = evidence_context(uow, c, me)
    # The history shows what the clocks did on their own (warnings, misses, moves)
    # among the actions, in the order it happened.
    timeline = sorted([(e.at, 0, e.id, "action", e) for e in view.history]
                      + [(e["at"], 1, e["id"], "clock", e) for e in clock_entries
                         if e["event"] in HISTORY_EVENTS], key=lambda item: item[:3])
    # PIPL: every view of a full number is recorded
    full_mobile = viewing.full_number_shown(runtime(), me, c, "page", now=now())
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
