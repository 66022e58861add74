"""Administration: users and roles, departments, authority liaisons, the holiday calendar,
the notification outbox, the loaded policy and the system status."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask import abort, flash, redirect, render_template, request, url_for

from states.calendar import SHANGHAI
from states.policy import PolicyError
from states.process import Role
from web import messages
from web.pages.common import (
    actor,
    checked_form,
    checks_own_form,
    now,
    page_blueprint,
    roles_required,
    runtime,
)
from web.pages.i18n import _, is_english
from workflow.admin import calendar as calendar_admin
from workflow.admin import personal_data
from workflow.admin import policy as policy_admin
from workflow.domain import access
from workflow.domain.errors import FieldError, ValidationError
from workflow.services import directory, operations, read

log = logging.getLogger(__name__)
bp = page_blueprint("admin", __name__, url_prefix="/admin")
ADMIN = access.ADMINS
AUDITORS = access.ACCESS_LOG_READERS
LIAISON_KEEPERS = access.LIAISON_KEEPERS
#: A policy file is a few kilobytes; more is not a policy file.
MAX_POLICY_BYTES = 256 * 1024
#: How many moved clocks a preview page lists (the totals count them all).
PREVIEW_ROWS = 200
OUTBOX_WATCHERS = access.OUTBOX_WATCHERS
OUTBOX_PAGE = 50


def _users_page(errors=None, values=None, status=200, edit_errors=None):
    with runtime().uow(write=False) as uow:
        users, departments = read.users(uow), read.departments(uow)
        locked = read.locked_accounts(uow, now=now())
    roles = list(access.ASSIGNABLE)
    return render_template("admin/users.html", users=users, departments=departments,
                           roles=roles, errors=errors or {}, values=values or {},
                           edit_errors=edit_errors or {}, locked=locked), status


@bp.route("/users")
@roles_required(*ADMIN)
def users():
    """Users and their roles."""
    return _users_page()


@bp.route("/users", methods=["POST"])
@checks_own_form
@roles_required(*ADMIN)
def add_user():
    """Create a user."""
    f = request.form
    values = {k: f.get(k, "").strip() for k in ("username", "display_name", "role", "department")}
    try:
        checked_form()
        directory.add_user(runtime(), values["username"], values["display_name"], values["role"],
                           values["department"], f.get("password", ""), now=now())
    except ValidationError as exc:
        return _users_page(exc.errors, values, 422)
    log.info("user %s created by %s", values["username"], actor().username)
    flash(_("用户 %(user)s 创建成功", user=values["username"]), "success")
    return redirect(url_for("admin.users"))


@bp.route("/users/<username>", methods=["POST"])
@checks_own_form
@roles_required(*ADMIN)
def edit_user(username: str):
    """Change a user's role, department, name, active flag or password."""
    f = request.form
    active = f.get("active") == "on"
    if username == actor().username and (f.get("role") != Role.admin.value or not active):
        flash(_("不能取消自己的管理员角色或停用自己"), "error")
        return redirect(url_for("admin.users"))
    try:
        checked_form()
        directory.change_user(runtime(), username, display_name=f.get("display_name", "").strip(),
                              role=f.get("role", ""), department=f.get("department", ""),
                              active=active, password=f.get("password") or None,
                              lead=f.get("lead") == "on")
    except ValidationError as exc:
        return _users_page(status=422, edit_errors={username: exc.errors})
    log.info("user %s changed by %s", username, actor().username)
    flash(_("用户 %(user)s 保存成功", user=username), "success")
    return redirect(url_for("admin.users"))


@bp.route("/users/<username>/unlock", methods=["POST"])
@roles_required(*ADMIN)
def unlock_user(username: str):
    """Let a locked account sign in again at once."""
    directory.unlock_user(runtime(), username, by=actor().username, now=now())
    log.info("user %s unlocked by %s", username, actor().username)
    flash(_("已解锁用户 %(user)s", user=username), "success")
    return redirect(url_for("admin.users"))


@bp.route("/users/<username>/sign-out", methods=["POST"])
@roles_required(*ADMIN)
def sign_out_everywhere(username: str):
    """End every page session of a user, on every device."""
    directory.end_sessions(runtime(), username)
    log.info("every session of %s ended by %s", username, actor().username)
    flash(_("已使用户 %(user)s 在所有设备上退出登录", user=username), "success")
    return redirect(url_for("admin.users"))


@bp.route("/sign-ins")
@roles_required(*ADMIN)
def sign_ins():
    """The sign-in log: every attempt, who, when, from where and what came of it."""
    username = (request.args.get("username") or "").strip()[:60] or None
    with runtime().uow(write=False) as uow:
        rows = read.sign_ins(uow, username=username)
    return render_template("admin/sign_ins.html", rows=rows, username=username or "")


def _access_filter(args) -> tuple[personal_data.ViewFilter, dict]:
    errors, f = {}, personal_data.ViewFilter()
    f.username = (args.get("username") or "").strip()[:60] or None
    complaint = (args.get("complaint") or "").strip()
    if complaint:
        if complaint.isascii() and complaint.isdigit() and len(complaint) <= 18:
            f.complaint_id = int(complaint)
        else:
            errors["complaint"] = FieldError("whole_number", min=1, max=10 ** 18)
    for name in ("since", "until"):
        text = (args.get(name) or "").strip()
        if text:
            try:
                day = datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=SHANGHAI)
            except ValueError:
                errors[name] = FieldError("date")
                continue
            setattr(f, name, day if name == "since" else day + timedelta(days=1))
    return f, errors


@bp.route("/access-log")
@roles_required(*AUDITORS)
def access_log():
    """Who saw which customer's full mobile number, when (PIPL); filter by user,
    complaint and days (Asia/Shanghai)."""
    f, errors = _access_filter(request.args)
    rows = []
    if not errors:
        with runtime().uow(write=False) as uow:
            rows = read.full_number_views(uow, f)
    return render_template("admin/access_log.html", rows=rows, errors=errors,
                           form=request.args, limit=personal_data.MAX_ROWS), \
        (422 if errors else 200)


@bp.route("/departments", methods=["GET", "POST"])
@checks_own_form
@roles_required(*ADMIN)
def departments():
    """Departments: names and whether complaints may be assigned to them."""
    errors, status = {}, 200
    if request.method == "POST":
        f = request.form
        code = f.get("code", "").strip()
        try:
            checked_form()
            directory.save_department(runtime(), code, name_zh=f.get("name_zh", ""),
                                      name_en=f.get("name_en", ""), active=f.get("active") == "on")
            flash(_("部门 %(code)s 保存成功", code=code), "success")
            return redirect(url_for("admin.departments"))
        except ValidationError as exc:
            errors, status = {code or "_new": exc.errors}, 422
    with runtime().uow(write=False) as uow:
        rows = read.departments(uow)
    return render_template("admin/departments.html", departments=rows, errors=errors,
                           form=request.form), status


def _liaisons_page(errors=None, status=200):
    with runtime().uow(write=False) as uow:
        rows = read.liaison_list(uow)
    return render_template("admin/liaisons.html", liaisons=rows, errors=errors or {},
                           form=request.form), status


@bp.route("/liaisons")
@roles_required(*LIAISON_KEEPERS)
def liaison_list():
    """The liaison contacts of each authority escalated complaints come from."""
    return _liaisons_page()


@bp.route("/liaisons", methods=["POST"])
@bp.route("/liaisons/<int:liaison_id>", methods=["POST"])
@checks_own_form
@roles_required(*LIAISON_KEEPERS)
def save_liaison(liaison_id: int | None = None):
    """Add or change a liaison contact."""
    try:
        checked_form()
        directory.save_liaison(runtime(), request.form, now=now(), liaison_id=liaison_id)
    except ValidationError as exc:
        return _liaisons_page({liaison_id or "_new": exc.errors}, 422)
    flash(_("接口人信息保存成功"), "success")
    return redirect(url_for("admin.liaison_list"))


@bp.route("/liaisons/<int:liaison_id>/delete", methods=["GET", "POST"])
@roles_required(*LIAISON_KEEPERS)
def delete_liaison(liaison_id: int):
    """Ask before deleting a liaison contact (a page, no script), then delete it."""
    with runtime().uow(write=False) as uow:
        found = [row for row in read.liaison_list(uow) if row.id == liaison_id]
    if not found:
        abort(404)
    if request.method == "GET":
        return render_template("admin/liaison_delete.html", liaison=found[0])
    directory.delete_liaison(runtime(), liaison_id)
    log.info("liaison %s deleted by %s", liaison_id, actor().username)
    flash(_("已删除接口人 %(name)s", name=found[0].name), "success")
    return redirect(url_for("admin.liaison_list"))


@bp.route("/calendar", methods=["GET", "POST"])
@roles_required(*ADMIN)
def calendar_page():
    """Load a year's holidays and 调休 working days from the State Council notice (the
    same rules as `complaints calendar load`), and see which years are covered."""
    errors, status, result, text = {}, 200, None, ""
    fmt = request.form.get("format", "toml")
    if request.method == "POST":
        upload = request.files.get("file")
        if upload and upload.filename:
            fmt = upload.filename.rsplit(".", 1)[-1].lower() if "." in upload.filename else ""
            text = upload.read().decode("utf-8-sig", errors="replace")
        else:
            text = request.form.get("text", "")
        try:
            if not text.strip():
                raise calendar_admin.CalendarError("no_holidays")
            days = calendar_admin.read_calendar_text(text, fmt)
            result = operations.load_calendar_year(runtime(), days, loaded_by=actor().username,
                                                   now=now())
            runtime().reload_calendar()
            log.info("calendar %s loaded by %s", result.year, actor().username)
            text = ""
        except calendar_admin.CalendarError as exc:
            errors["file"], status = messages.calendar_text(exc, "en" if is_english() else "zh"), 422
    with runtime().uow(write=False) as uow:
        report = read.calendar_status(uow, runtime().calendar,
                                      now().astimezone(SHANGHAI).date())
    return render_template("admin/calendar.html", report=report, result=result,
                           errors=errors, text=text, fmt=fmt,
                           formats=calendar_admin.FORMATS), status


@bp.route("/outbox")
@roles_required(*OUTBOX_WATCHERS)
def outbox_page():
    """Notifications: pending, failed (with their last error) and sent."""
    status = request.args.get("status")
    status = status if status in read.OUTBOX_STATUSES else "failed"
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    with runtime().uow(write=False) as uow:
        counts = read.outbox_counts(uow)
        pages = max((counts[status] + OUTBOX_PAGE - 1) // OUTBOX_PAGE, 1)
        page = min(page, pages)
        rows = read.outbox_rows(uow, status, limit=OUTBOX_PAGE, offset=(page - 1) * OUTBOX_PAGE)
    return render_template("admin/outbox.html", rows=rows, counts=counts, status=status,
                           page=page, pages=pages, statuses=read.OUTBOX_STATUSES)


@bp.route("/outbox/<int:notification_id>/send", methods=["POST"])
@roles_required(*OUTBOX_WATCHERS)
def send_again(notification_id: int):
    """Send one unsent notification again on the sender's next pass."""
    done = operations.send_again(runtime(), notification_id, now=now())
    if done:
        log.info("notification %s queued again by %s", notification_id, actor().username)
        flash(_("已安排重新发送，发送进程将在下一轮发送"), "success")
    else:
        flash(_("该通知已发送或不存在，无需重新发送"), "warning")
    return redirect(url_for("admin.outbox_page", status=request.form.get("status") or "failed"))


@bp.route("/policy")
@roles_required(*access.POLICY_READERS)
def policy():
    """A policy version (the active one unless ?version=N): routing, deadlines,
    thresholds; every stored version; for administrators, loading a new one."""
    return _policy_page()


def _policy_page(problems=None, typed=None, status=200):
    rt = runtime()
    active = rt.policy
    chosen = request.args.get("version", "")
    number = int(chosen) if chosen.isascii() and chosen.isdigit() else active.number
    try:
        shown = rt.policy_version(number)
    except LookupError:
        abort(404)
    with rt.uow(write=False) as uow:
        versions = read.policy_versions(uow)
    return render_template("admin/policy.html", policy=shown, active=active, versions=versions,
                           problems=problems or [], typed=typed or {},
                           may_load=actor().role is Role.admin), status


@bp.route("/policy", methods=["POST"])
@roles_required(*ADMIN)
def load_policy_version():
    """Check a policy file pasted or uploaded, and store it as a new (inactive) version."""
    upload = request.files.get("file")
    text = request.form.get("text", "")
    source = "管理页面"
    if upload and upload.filename:
        raw = upload.read(MAX_POLICY_BYTES + 1)
        if len(raw) > MAX_POLICY_BYTES:
            return _policy_page([_("文件过大（上限 %(kb)s KB）", kb=MAX_POLICY_BYTES // 1024)],
                                request.form, 422)
        try:
            text, source = raw.decode("utf-8"), upload.filename[:200]
        except UnicodeDecodeError:
            return _policy_page([_("文件须为 UTF-8 编码的 TOML")], request.form, 422)
    note = request.form.get("note", "").strip()[:500]
    try:
        stored = policy_admin.store(runtime(), text, source=source, by=actor().username,
                                    now=now(), note=note)
    except PolicyError as exc:
        return _policy_page(exc.problems, request.form, 422)
    if stored.created:
        flash(_("已保存为规范第 %(n)s 版（尚未启用）", n=stored.number), "success")
    else:
        flash(_("内容与第 %(n)s 版相同，未新建版本", n=stored.number), "success")
    return redirect(url_for("admin.policy_preview", number=stored.number))


@bp.route("/policy/<int:number>/preview")
@roles_required(*ADMIN)
def policy_preview(number: int):
    """What activating version `number` and migrating open complaints to it would move."""
    rt = runtime()
    try:
        candidate = rt.policy_version(number)
    except LookupError:
        abort(404)
    plan = policy_admin.preview(rt, candidate, now=now())
    keys, _lines = policy_admin.diff(rt, rt.policy.number, number)
    return render_template("admin/policy_preview.html", candidate=candidate, active=rt.policy,
                           plan=plan, keys=keys, shown=plan.moves[:PREVIEW_ROWS],
                           limit=PREVIEW_ROWS)


@bp.route("/policy/<int:number>/activate", methods=["POST"])
@roles_required(*ADMIN)
def policy_activate(number: int):
    """Activate version `number` for new complaints, and migrate open ones if asked."""
    rt, me = runtime(), actor()
    try:
        rt.policy_version(number)
    except LookupError:
        abort(404)
    policy_admin.activate(rt, number, by=me.username, now=now())
    if request.form.get("migrate") == "all":
        done = policy_admin.migrate(rt, number, by=me.username, now=now())
        flash(_("规范第 %(n)s 版已启用；%(c)s 件在办投诉已迁移，%(k)s 个时限已调整",
                n=number, c=done.complaints, k=done.clocks), "success")
    else:
        flash(_("规范第 %(n)s 版已启用，仅适用于新受理的投诉", n=number), "success")
    return redirect(url_for("admin.policy", version=number))


@bp.route("/status")
@roles_required(*ADMIN)
def status():
    """Timer workers' heartbeats and clocks computed without a holiday calendar."""
    with runtime().uow(write=False) as uow:
        workers = read.worker_rows(uow)
        unconfirmed = read.unconfirmed_clocks(uow)
    return render_template("admin/status.html", workers=workers, unconfirmed=unconfirmed,
                           now=now())
