"""Sign-in and sign-out (Flask-Login) and the language switch.

A page session is a signed cookie that also carries the user's session generation, when
it signed in and when it was last used; each request checks them against the user row
and the configured idle time and lifetime, so the server can end sessions: sign-out,
a password change, deactivation and an administrator's "sign out everywhere" raise the
generation (`workflow.admin.directory.end_sessions`). Sign-in attempts are throttled
and logged in the database (`workflow.admin.signin`).
"""
from __future__ import annotations

import logging
import math
import time
from urllib.parse import quote, urlsplit

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_login import LoginManager, UserMixin, current_user, login_required, login_user, logout_user

from web.boundary import UnsafeInput
from web.pages.common import checked_form, checks_own_form, now, page_blueprint, runtime
from web.pages.i18n import LANGUAGES, _
from workflow.admin import signin
from workflow.domain.model import Actor
from workflow.services import directory, read

log = logging.getLogger(__name__)
bp = page_blueprint("auth", __name__)
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = None
login_manager.session_protection = "strong"


class SignedIn(UserMixin):
    """The signed-in user: a workflow actor, looked up again on every request."""

    def __init__(self, actor: Actor):
        self.actor = actor

    def get_id(self) -> str:
        return self.actor.username


#: Session keys: the user's session generation at sign-in, when it signed in and when
#: it was last used (seconds since the epoch).
GENERATION, SIGNED_IN_AT, SEEN_AT = "_gen", "_at", "_seen"
#: The last-use time is rewritten (a new cookie) at most this often.
SEEN_EVERY = 60


@login_manager.user_loader
def load_user(username: str) -> SignedIn | None:
    """The active user of this session, or None once the session has ended: the user was
    deactivated, its generation was raised, or it sat idle or lived too long."""
    with runtime().uow(write=False) as uow:
        found = read.session_user(uow, username)
    at, config = time.time(), current_app.config
    if found is None or session.get(GENERATION) != found[1]:
        _end_session()
        return None
    if (at - session.get(SIGNED_IN_AT, 0) > config["SESSION_LIFETIME_SECONDS"]
            or at - session.get(SEEN_AT, 0) > config["SESSION_IDLE_SECONDS"]):
        _end_session()
        flash(_("登录已超时，请重新登录。"), "info")
        return None
    if at - session.get(SEEN_AT, 0) >= SEEN_EVERY:
        session[SEEN_AT] = int(at)
    return SignedIn(found[0])


def _end_session() -> None:
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang


def _safe_next(target: str | None) -> str:
    """`target` when it is a path on this site, else the dashboard: no scheme, no host,
    no `//` or backslash (which browsers read as another host), no control characters
    or white space (a newline would make the Location header fail)."""
    default = url_for("dashboard.index")
    if (not target or not target.startswith("/") or target.startswith("//") or "\\" in target
            or any(ch.isspace() or not ch.isprintable() for ch in target)):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target if target.isascii() else quote(target, safe="/?&=%:+,;@!$'()*~-._#")


def client_address() -> str:
    """The client's address as the server saw it (behind a proxy: configure ProxyFix)."""
    return request.remote_addr or "-"


def _wait_text(wait) -> str:
    minutes = max(1, math.ceil(wait.total_seconds() / 60))
    return _("登录失败次数过多，账号已暂时锁定，请 %(minutes)s 分钟后再试；如需立即解锁，请联系管理员。",
             minutes=minutes)


@bp.route("/login", methods=["GET", "POST"])
@checks_own_form
def login():
    """Sign in with username and password; too many failures make the account wait."""
    error, status = None, 200
    username = request.form.get("username", "").strip()
    if request.method == "POST":
        try:
            checked_form()
        except UnsafeInput as exc:
            return render_template("auth/login.html", username="", errors=exc.errors,
                                   error=_("用户名或密码含有不允许的字符，请重新输入。")), 422
        result = signin.attempt(runtime(), username, request.form.get("password", ""),
                                client_address(), now=now())
        if result.actor is None:
            log.info("failed sign-in for %r from %s: %s", username, client_address(),
                     result.outcome)
            error, status = (_wait_text(result.wait), 429) if result.wait else \
                (_("用户名或密码错误"), 401)
        else:
            _end_session()
            login_user(SignedIn(result.actor))
            at = int(time.time())
            session.update({GENERATION: result.generation, SIGNED_IN_AT: at, SEEN_AT: at})
            log.info("%s signed in from %s", result.actor.username, client_address())
            return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", error=error, username=username, errors={}), status


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    """Sign out: every session of this user ends, on every device."""
    directory.end_sessions(runtime(), current_user.actor.username)
    logout_user()
    _end_session()
    flash(_("已退出登录"), "info")
    return redirect(url_for("auth.login"))


@bp.route("/lang/<code>", methods=["POST"])
def switch_language(code: str):
    """Switch the interface between Chinese and English."""
    if code in LANGUAGES:
        session["lang"] = code
    return redirect(_safe_next(request.form.get("back")))
