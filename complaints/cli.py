"""`complaints`: database, demo data, inspection and actions from the command line.

This module is the composition root: the only place allowed to wire the web
application and the timer worker together (`serve`). Each command reads its arguments,
calls a workflow service with the runtime of the context object (`Cli`), and prints;
`refuses` turns the domain's errors into the command's message and exit code 1.
"""
from __future__ import annotations

import functools
import json
import logging
import shlex
import sys
from pathlib import Path

import click
from sqlalchemy.engine import make_url

from states.calendar import SHANGHAI
from states.policy import PolicyError, load_policy
from workflow import services
from workflow.domain.errors import DomainError
from workflow.services import directory, operations, read
from workflow.services import tokens as api_tokens
from workflow.services.read import utcnow
from workflow.settings import Settings
from workflow.store.runtime import Runtime
from workflow.text import Text


class Cli:
    """The context object of every command: the settings, read once, and the runtime,
    built on first use and closed when the command ends."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._runtime: Runtime | None = None

    @property
    def runtime(self) -> Runtime:
        """The workflow runtime (a policy file that does not load is the command's error)."""
        if self._runtime is None:
            try:
                self._runtime = Runtime.from_settings(self.settings)
            except PolicyError as exc:
                raise click.ClickException(str(exc)) from exc
        return self._runtime

    def close(self) -> None:
        """Close the database connections the command opened."""
        if self._runtime is not None:
            self._runtime.engine.dispose()


pass_cli = click.make_pass_decorator(Cli)


def refuses(*errors: type[Exception], prefix: str = ""):
    """Answer `errors` raised by the command as its failure: the error's message (after
    `prefix`, formatted with the command's arguments) and exit code 1."""
    def decorate(command):
        @functools.wraps(command)
        def run(*args, **kwargs):
            try:
                return command(*args, **kwargs)
            except errors as exc:
                where = prefix.format(**kwargs)
                raise click.ClickException(f"{where}{_said(exc)}") from exc
        return run
    return decorate


def _said(exc: Exception) -> str:
    """An error as the command line says it: a domain error's text from the catalogue, in
    English like the rest of this tool's output; anything else as it reads."""
    from web import messages
    return messages.text(exc, "en") if isinstance(exc, DomainError) else str(exc)


def _local(ts) -> str:
    return ts.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S") if ts else "-"


def _actor(rt: Runtime, username: str):
    with rt.uow(write=False) as uow:
        return read.actor_for(uow, username)


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="Log at DEBUG level.")
@click.pass_context
def main(ctx: click.Context, verbose: bool) -> None:
    """Complaint-handling workflow service (set COMPLAINTS_DATABASE_URL, COMPLAINTS_POLICY)."""
    from workflow import logs
    cli = ctx.obj = Cli(Settings.from_env())     # the one read of the environment
    ctx.call_on_close(cli.close)
    log_format = cli.settings.log_format
    logs.configure(log_format if log_format in ("text", "json") else "text",
                   logging.DEBUG if verbose else logging.INFO)


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@pass_cli
def db_upgrade(cli: Cli) -> None:
    """Create or migrate the schema to the newest revision and add missing departments."""
    done = operations.upgrade_database(cli.runtime)
    click.echo(f"database at revision {done.revision}; {done.departments_added} departments "
               f"added; policy version {done.policy_number} active")


@main.command()
@click.option("--count", default=300, show_default=True, help="How many complaints.")
@click.option("--seed", default=2004, show_default=True, help="Random seed (same seed, same data).")
@click.option("--if-empty", is_flag=True, help="Do nothing when complaints already exist.")
@pass_cli
def demo(cli: Cli, count: int, seed: int, if_empty: bool) -> None:
    """Load demo users and realistic complaints in every state."""
    from workflow.admin import demo as demo_data
    rt = cli.runtime
    if if_empty and not demo_data.is_empty(rt):
        click.echo("complaints already exist; demo data not loaded")
        return
    made = demo_data.populate(rt, count=count, seed=seed, now=utcnow())
    click.echo(f"{made} demo complaints; demo users ({', '.join(u[0] for u in demo_data.DEMO_USERS)}) "
               f"have the password {demo_data.DEMO_PASSWORD}")


@main.command()
@click.argument("complaint_id", type=int)
@click.option("--as", "username", default="major_desk", show_default=True, help="Whose view.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_cli
@refuses(DomainError)
def show(cli: Cli, complaint_id: int, username: str, as_json: bool) -> None:
    """Show a complaint: facts, clocks, history and the actions allowed now."""
    with cli.runtime.uow(write=False) as uow:
        view = read.get_complaint(uow, complaint_id, read.actor_for(uow, username))
    c = view.complaint
    if as_json:
        click.echo(json.dumps({
            "id": c.id, "number": c.number, "state": c.state.value, "version": c.version,
            "severity": c.severity, "department": c.department, "handler": c.handler_user,
            "allowed": view.allowed,
            "deadlines": [{"kind": d.kind, "status": d.status, "due_at": d.due_at.isoformat(),
                           "paused_seconds": d.paused_seconds} for d in view.deadlines],
            "history": [{"action": e.action, "at": e.at.isoformat(), "actor": e.actor,
                         "from": e.from_state, "to": e.to_state} for e in view.history],
        }, ensure_ascii=False, indent=2))
        return
    click.echo(f"{c.number}  [{c.state.value}]  v{c.version}  {c.severity}  "
               f"{c.cause} -> {c.department} (first contact: {c.originating_department})"
               f"  handler: {c.handler_user or '-'}")
    click.echo(f"  {c.masked_mobile} {c.customer_name}: {c.text}")
    click.echo("clocks:")
    for d in view.deadlines:
        paused = f", paused {d.paused_seconds // 3600}h{d.paused_seconds % 3600 // 60:02d}m excluded" \
            if d.paused_seconds else ""
        since = f", waiting on the customer since {_local(d.paused_at)}" if d.paused_at else ""
        click.echo(f"  {d.kind:17} {d.status:8} due {_local(d.due_at)}  ({d.track}, {d.duration}"
                   f"{paused}{since})")
    click.echo("history:")
    for e in view.history:
        click.echo(f"  {_local(e.at)}  {e.actor:12} {e.action:9} {e.from_state or '-'} -> "
                   f"{e.to_state}  {e.comment}")
    click.echo(f"allowed now for {username}: {', '.join(view.allowed) or 'none'}")


@main.command()
@click.argument("complaint_id", type=int)
@click.argument("action")
@click.option("--as", "username", required=True, help="Acting user.")
@click.option("--comment", default="")
@click.option("--department")
@click.option("--satisfaction")
@click.option("--reason")
@click.option("--handler", help="reassign: the department's user to hold it.")
@click.option("--version", "expected_version", type=int, help="Fail if the complaint changed.")
@pass_cli
@refuses(DomainError)
def act(cli: Cli, complaint_id, action, username, comment, department, satisfaction, reason,
        handler, expected_version) -> None:
    """Fire ACTION on a complaint as a user."""
    rt = cli.runtime
    c = services.act(rt, complaint_id, action, _actor(rt, username), now=utcnow(),
                     comment=comment, department=department, satisfaction=satisfaction,
                     reason=reason, handler=handler, expected_version=expected_version)
    click.echo(f"{c.number}: {action} -> {c.state.value} (version {c.version})")


@main.group()
def user() -> None:
    """Users."""


@user.command("add")
@click.argument("username")
@click.option("--name", "display_name", default="")
@click.option("--role", required=True)
@click.option("--department", required=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@pass_cli
@refuses(DomainError)
def user_add(cli: Cli, username, display_name, role, department, password) -> None:
    """Create a user."""
    directory.add_user(cli.runtime, username, display_name, role, department, password,
                       now=utcnow())
    click.echo(f"user {username} created")


@main.group()
def token() -> None:
    """API tokens (bearer tokens for /api/v1, bound to a user)."""


@token.command("create")
@click.argument("username")
@click.option("--name", required=True, help="What the token is for, e.g. the calling system.")
@pass_cli
@refuses(DomainError)
def token_create(cli: Cli, username: str, name: str) -> None:
    """Create a token for USERNAME; it is printed once and stored only as a hash."""
    token_id, plain = api_tokens.issue(cli.runtime, username, name, now=utcnow())
    click.echo(f"token {token_id} for {username} ({name}); keep it now, it is not shown again:")
    click.echo(plain)


@token.command("revoke")
@click.argument("token_id", type=int)
@pass_cli
@refuses(DomainError)
def token_revoke(cli: Cli, token_id: int) -> None:
    """Revoke a token by its id; it stops working at once."""
    api_tokens.revoke(cli.runtime, token_id, now=utcnow())
    click.echo(f"token {token_id} revoked")


@token.command("list")
@pass_cli
def token_list(cli: Cli) -> None:
    """List tokens (id, user, name, created, last used, revoked); never the tokens themselves."""
    with cli.runtime.uow(write=False) as uow:
        rows = read.token_list(uow)
    for r in rows:
        state = f"revoked {_local(r.revoked_at)}" if r.revoked_at else "active"
        click.echo(f"{r.id:5}  {r.username:14} {r.name:24} created {_local(r.created_at)}  "
                   f"last used {_local(r.last_used_at)}  {state}")


@main.command()
@click.option("--format", "fmt", type=click.Choice(["mermaid", "json", "svg"]), default="mermaid",
              show_default=True)
@click.option("--highlight", help="A state to highlight.")
def diagram(fmt: str, highlight: str | None) -> None:
    """Print the process definition as Mermaid text, JSON or SVG."""
    from states import diagram as render
    if fmt == "json":
        click.echo(json.dumps(render.definition(), ensure_ascii=False, indent=2))
    else:
        click.echo(render.svg(highlight) if fmt == "svg" else render.mermaid(highlight))


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5000, show_default=True, type=int, help="Port to listen on.")
@click.option("--worker/--no-worker", "with_worker", default=True, show_default=True,
              help="Run the timer worker in this process too (the single-machine default).")
@pass_cli
def serve(cli: Cli, host: str, port: int, with_worker: bool) -> None:
    """Serve the web application with the development server (threaded); no migration."""
    from werkzeug.serving import run_simple

    from timers.service import start_background
    from web import create_app
    from web.headers import QuietRequestHandler
    rt = cli.runtime
    app = refuses(RuntimeError)(create_app)(runtime=rt, settings=cli.settings)
    background = None
    if with_worker:
        try:
            background = start_background(rt, smtp_url=cli.settings.smtp_url,
                                          texts=mail_texts())
            click.echo("timer worker running in this process")
        except operations.WorkerRefused as exc:   # SQLite: another process already runs the worker
            click.echo(f"timer worker not started here: {exc}", err=True)
    click.echo(f"serving on http://{host}:{port}/ (database {rt.engine.url.render_as_string()})")
    try:
        run_simple(host, port, app, threaded=True, use_reloader=False,
                   request_handler=QuietRequestHandler)
    finally:
        if background:
            background.stop()


@main.group()
def policy() -> None:
    """Policy versions: load, compare, preview, activate, migrate (规范版本)."""


def _policy_file(path: str):
    from pathlib import Path
    try:
        return Path(path).read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise click.ClickException(f"{path}: cannot read the file: {exc}") from exc


def _ids(text: str | None):
    if not text or text == "all":
        return None
    try:
        return [int(part) for part in text.split(",") if part.strip()]
    except ValueError as exc:
        raise click.BadParameter("complaint ids separated by commas, or all") from exc


def _print_plan(plan) -> None:
    for m in plan.moves:
        sign = "+" if m.seconds >= 0 else "-"
        flags = (" 立即超时 overdue at once" if m.overdue_at_once else "") + (
            " 立即升级 escalates at once" if m.escalates_at_once else "")
        click.echo(f"{m.number} {m.department} {m.kind}: {_local(m.old_due)} -> "
                   f"{_local(m.new_due)} ({sign}{abs(m.seconds) // 60} min){flags}")
    click.echo(f"{len(plan.moves)} clocks of {len(plan.complaints)} complaints would move "
               f"(of {plan.clocks_looked_at} running); overdue at once: "
               f"{len(plan.overdue_at_once())}, escalate at once: {len(plan.escalates_at_once())}")
    for kind, count in sorted(plan.by_clock().items()):
        click.echo(f"  clock {kind}: {count}")
    for dept, count in sorted(plan.by_department().items()):
        click.echo(f"  department {dept}: {count}")


@policy.command("load")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--note", default="", help="Why this version (kept with it).")
@click.option("--by", default="admin", show_default=True, help="Who loads it.")
@click.option("--activate", "then_activate", is_flag=True,
              help="Also make it the version for new complaints.")
@pass_cli
@refuses(PolicyError)
def policy_load(cli: Cli, path: str, note: str, by: str, then_activate: bool) -> None:
    """Check a policy file and store it as a new version (not active unless --activate)."""
    from workflow.admin import policy as admin
    rt = cli.runtime
    stored = admin.store(rt, _policy_file(path), source=path, by=by, now=utcnow(), note=note)
    if then_activate:
        admin.activate(rt, stored.number, by=by, now=utcnow())
    what = "stored as" if stored.created else "is the same as stored"
    click.echo(f"{path} {what} policy version {stored.number}"
               + ("; active for new complaints" if then_activate else ""))


@policy.command("list")
@pass_cli
def policy_list(cli: Cli) -> None:
    """Every stored version, newest first; * marks the active one."""
    with cli.runtime.uow(write=False) as uow:
        rows = read.policy_versions(uow)
    for row in rows:
        mark = "*" if row.active else " "
        click.echo(f"{mark} {row.id:3d}  {_local(row.loaded_at)}  {row.loaded_by:12s} "
                   f"{row.digest[:12]}  {row.source}  {row.note}")


@policy.command("show")
@click.argument("number", type=int)
@pass_cli
@refuses(LookupError)
def policy_show(cli: Cli, number: int) -> None:
    """Print a stored version as it was loaded."""
    click.echo(cli.runtime.policy_version(number).text)


@policy.command("diff")
@click.argument("old", type=int)
@click.argument("new", type=int)
@pass_cli
@refuses(LookupError)
def policy_diff(cli: Cli, old: int, new: int) -> None:
    """What changed from version OLD to version NEW."""
    from workflow.admin import policy as admin
    keys, lines = admin.diff(cli.runtime, old, new)
    for key, a, b in keys:
        click.echo(f"{key}: {a!r} -> {b!r}")
    if not keys:
        click.echo("the two versions set the same values")
    click.echo("\n".join(lines))


@policy.command("preview")
@click.argument("candidate")
@click.option("--complaints", "ids", help="Only these complaint ids (comma-separated).")
@click.option("--department", help="Only complaints held by this department.")
@pass_cli
@refuses(PolicyError, LookupError)
def policy_preview(cli: Cli, candidate: str, ids: str | None, department: str | None) -> None:
    """What migrating open complaints to CANDIDATE (a file, or a stored version number)
    would move; changes nothing."""
    from states.policy import parse_policy_text
    from workflow.admin import policy as admin
    rt = cli.runtime
    if candidate.isdigit():
        chosen = rt.policy_version(int(candidate))
    else:
        chosen = parse_policy_text(_policy_file(candidate), candidate)
    _print_plan(admin.preview(rt, chosen, now=utcnow(), complaint_ids=_ids(ids),
                              department=department))


@policy.command("activate")
@click.argument("number", type=int)
@click.option("--migrate", "which", help="Also move open complaints onto it: all, or ids.")
@click.option("--department", help="With --migrate: only complaints held by this department.")
@click.option("--by", default="admin", show_default=True)
@pass_cli
@refuses(LookupError)
def policy_activate(cli: Cli, number: int, which: str | None, department: str | None,
                    by: str) -> None:
    """Make version NUMBER the one new complaints get; with --migrate also move open
    complaints onto it (one transaction each; safe to interrupt and run again)."""
    from workflow.admin import policy as admin
    rt = cli.runtime
    admin.activate(rt, number, by=by, now=utcnow())
    click.echo(f"policy version {number} is active for new complaints")
    if which:
        done = admin.migrate(rt, number, by=by, now=utcnow(), complaint_ids=_ids(which),
                             department=department)
        click.echo(f"{done.complaints} complaints migrated, {done.clocks} clocks moved, "
                   f"{done.skipped} skipped")


@main.command("check-policy")
@click.argument("path", required=False)
@pass_cli
def check_policy(cli: Cli, path) -> None:
    """Validate a policy file (default: COMPLAINTS_POLICY or the shipped one)."""
    try:
        policy = load_policy(path or cli.settings.policy_path)
    except PolicyError as exc:
        click.echo(str(exc), err=True)
        sys.exit(1)
    click.echo(f"policy {policy.source} is valid; version {policy.version}")


@main.command()
@click.option("--worker", "worker_only", is_flag=True,
              help="Check for a timer worker: leave out what only the web needs.")
@pass_cli
def check(cli: Cli, worker_only: bool) -> None:
    """Verify configuration, the database connection and the schema version before start."""
    from timers.notify import make_sender
    from web.api.auth import RateLimiter
    from workflow.admin import preflight
    settings = cli.settings
    results = preflight.configuration(settings, web=not worker_only)
    try:
        if not worker_only:
            RateLimiter.parse(settings.api_rate_limit)
        make_sender(settings.smtp_url)
    except ValueError as exc:
        results.append(preflight.Check("configuration", False, f"取值无效 {exc}"))
    results += preflight.database(settings)
    for result in results:
        click.echo(f"{'正常 ok  ' if result.ok else '错误 FAIL'}  {result.message}",
                   err=not result.ok)
    if not all(r.ok for r in results):
        click.echo("检查未通过 check failed: fix the lines marked FAIL before starting", err=True)
        sys.exit(1)
    click.echo("检查通过 all checks passed")


@main.command()
@click.argument("path", type=click.Path(dir_okay=True, path_type=Path))
@click.option("--overwrite", is_flag=True, help="Replace an existing backup file.")
@pass_cli
@refuses(operations.BackupError)
def backup(cli: Cli, path: Path, overwrite: bool) -> None:
    """Copy the SQLite database to PATH while the service runs (PostgreSQL: pg_dump)."""
    from workflow.admin.preflight import safe_url
    url = cli.settings.database_url
    if make_url(url).get_backend_name() == "postgresql":
        command = " ".join(shlex.quote(a) for a in operations.pg_dump_command(url, str(path)))
        raise click.ClickException(
            f"{safe_url(url)} 是 PostgreSQL 数据库，请用 pg_dump 备份 is PostgreSQL: back it up "
            f"with its own tool (docs/operations.md, Backups):\n  {command}")
    result = operations.backup_sqlite(url, path, overwrite=overwrite)
    click.echo(f"备份完成 backup written to {result.path} ({result.size} bytes, revision "
               f"{result.revision}, {result.complaints} complaints)")


@main.command()
@click.option("--status", "show_status", is_flag=True, help="Show the workers' heartbeat and lag, then exit.")
@click.option("--once", is_flag=True, help="Fire what is due now and send the outbox, then exit.")
@click.option("--interval", default=0.25, show_default=True, help="Seconds between sweeps.")
@click.option("--batch", default=500, show_default=True, help="Deadlines claimed per transaction.")
@click.option("--metrics-port", type=int, default=None,
              help="Serve Prometheus metrics on 127.0.0.1:PORT (default COMPLAINTS_WORKER_METRICS_PORT).")
@pass_cli
@refuses(operations.WorkerRefused)
def worker(cli: Cli, show_status: bool, once: bool, interval: float, batch: int,
           metrics_port: int | None) -> None:
    """Run the timer worker: fire due deadlines and send notifications (COMPLAINTS_SMTP_URL)."""

    from timers import notify, service
    from timers.worker import Worker
    from workflow.admin import health
    rt, settings = cli.runtime, cli.settings
    if show_status:
        click.echo(health.render(rt, now=utcnow()))
        return
    smtp_url = settings.smtp_url
    port = metrics_port if metrics_port is not None else settings.worker_metrics_port
    if port and not once:
        from workflow.metrics import serve_metrics
        serve_metrics(rt.engine, settings.metrics_dir, port)
        click.echo(f"metrics on http://127.0.0.1:{port}/metrics")
    if once:
        timer_worker = Worker(rt, batch=batch, texts=mail_texts()).start()
        try:
            fired = timer_worker.sweep()
        finally:
            timer_worker.close()
        sent = notify.deliver(rt, notify.make_sender(smtp_url))
        click.echo(f"{fired} deadlines fired, {sent} notifications sent")
        return
    service.run_forever(rt, smtp_url=smtp_url, interval=interval, batch=batch,
                        texts=mail_texts())
    click.echo("timer worker stopped")


def mail_texts() -> tuple[Text, ...]:
    """The monthly mail's languages, Chinese then English, from the web's catalogue (the
    command line wires web and timers: the worker reads the catalogue it is given)."""
    from web.text import TRANSLATIONS
    return tuple(Text.load(TRANSLATIONS, lang) for lang in ("zh", "en"))


@main.group()
def calendar() -> None:
    """The working-day calendar (法定节假日与调休)."""


@calendar.command("load")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--by", "loaded_by", default="admin", show_default=True, help="Who loads it.")
@click.option("--preview", is_flag=True, help="Only list the clocks the new days would move.")
@pass_cli
@refuses(ValueError, KeyError, prefix="{path}: ")
def calendar_load(cli: Cli, path: str, loaded_by: str, preview: bool) -> None:
    """Load one year's holidays and 调休 working days (TOML, JSON or CSV)."""
    from workflow.admin import calendar as calendar_admin
    rt = cli.runtime
    days = calendar_admin.read_calendar_file(path)
    if preview:
        _print_plan(operations.preview_calendar_year(rt, days, now=utcnow()))
        return
    result = operations.load_calendar_year(rt, days, loaded_by=loaded_by, now=utcnow())
    click.echo(f"{result.year}: {result.holidays} holidays, {result.workdays} 调休 working days "
               f"loaded; {result.recomputed} deadlines recomputed on confirmed data")


@calendar.command("status")
@pass_cli
def calendar_status(cli: Cli) -> None:
    """Show which years have confirmed calendar data and warn about the fallback."""
    rt, now = cli.runtime, utcnow()
    with rt.uow(write=False) as uow:
        report = read.calendar_status(uow, rt.reload_calendar(), now.astimezone(SHANGHAI).date())
    names = {"loaded": "已加载 loaded by an administrator", "package": "chinesecalendar package",
             "fallback": "无数据 NO DATA: Monday-Friday fallback"}
    for year in report["years"]:
        extra = f" ({year['loaded_by']}, {_local(year['loaded_at'])})" if year["loaded_at"] else ""
        click.echo(f"{year['year']}: {names[year['source']]}{extra}")
    if any(y["source"] == "fallback" for y in report["years"]):
        click.echo("警告 warning: deadlines reaching a fallback year count Monday-Friday only; load "
                   "the State Council notice with `complaints calendar load FILE`.")
    click.echo(f"{report['unconfirmed_deadlines']} live deadlines computed on fallback data")


@main.command()
@click.argument("complaint_id", type=int)
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--as", "username", required=True, help="Acting user.")
@click.option("--comment", default="")
@click.option("--name", help="The name to keep (default: the file's own).")
@pass_cli
@refuses(DomainError)
def attach(cli: Cli, complaint_id, path, username, comment, name) -> None:
    """Attach an evidence file to a complaint (the `attach` action; checked by content)."""
    from workflow.services import attaching
    rt = cli.runtime
    actor = _actor(rt, username)
    with path.open("rb") as stream:
        done = attaching.attach(rt, complaint_id, actor, name=name or path.name,
                                stream=stream, now=utcnow(), comment=comment)
    row = done.attachment
    click.echo(f"{done.complaint.number}: attachment {row['id']} {row['original_name']} "
               f"({row['content_type']}, {row['size']} bytes, sha256 {row['sha256']}); "
               f"version {done.complaint.version}")


@main.group()
def attachments() -> None:
    """Evidence files in the attachments folder (COMPLAINTS_ATTACHMENTS_DIR)."""


@attachments.command("cleanup")
@click.option("--older-than", default="1h", show_default=True,
              help="Leave files younger than this (an upload may be committing).")
@click.option("--dry-run", is_flag=True, help="Only list what would be removed.")
@pass_cli
def attachments_cleanup(cli: Cli, older_than, dry_run) -> None:
    """Remove files no attachment row names (left by a crash or a refused upload)."""
    from states.durations import parse_duration
    from workflow.services import attaching
    try:
        grace = parse_duration(older_than).seconds
    except ValueError as exc:
        raise click.ClickException(f"--older-than: {exc}") from exc
    rt = cli.runtime
    found = attaching.orphans(rt, older_than=grace)
    for path in found:
        click.echo(f"{'would remove' if dry_run else 'removing'} {path}")
    gone = 0 if dry_run else attaching.remove_orphans(rt, older_than=grace)
    click.echo(f"{len(found)} orphan files in {rt.attachments_dir}"
               + ("" if dry_run else f"; {gone} removed"))
