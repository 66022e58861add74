"""Sign-in and sign-out (Flask-Login) and the language switch."""
from __future__ import annotations

import logging
from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, session, url_for
from flask_login import LoginManager, UserMixin, login_required, login_user, logout_user

from web.pages.common import page_blueprint, runtime
from web.pages.i18n import LANGUAGES, _
from workflow.admin.directory import actor_for, check_password
from workflow.domain.errors import NotFound
from workflow.domain.model import Actor

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


@login_manager.user_loader
def load_user(username: str) -> SignedIn | None:
    """The active user of this session, or None once deactivated."""
    try:
        with runtime().uow(write=False) as uow:
            return SignedIn(actor_for(uow.conn, username))
    except NotFound:
        return None


def _safe_next(target: str | None) -> str:
    parts = urlsplit(target or "")
    if not target or parts.scheme or parts.netloc or not target.startswith("/"):
        return url_for("dashboard.index")
    return target


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Sign in with username and password."""
    error = None
    username = request.form.get("username", "").strip()
    if request.method == "POST":
        with runtime().uow(write=False) as uow:
            found = check_password(uow.conn, username, request.form.get("password", ""))
        if found is None:
            log.info("failed sign-in for %r", username)
            error = _("用户名或密码错误")
        else:
            lang = session.get("lang")
            session.clear()
            if lang:
                session["lang"] = lang
            login_user(SignedIn(found))
            log.info("%s signed in", found.username)
            return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", error=error, username=username), \
        (401 if error else 200)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    """Sign out."""
    logout_user()
    flash(_("已退出登录"), "info")
    return redirect(url_for("auth.login"))


@bp.route("/lang/<code>", methods=["POST"])
def switch_language(code: str):
    """Switch the interface between Chinese and English."""
    if code in LANGUAGES:
        session["lang"] = code
    return redirect(_safe_next(request.form.get("back")))
