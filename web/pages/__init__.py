"""The operators' pages: sign-in, work queue, intake, complaint page, administration.

`init_pages(app)` wires everything the pages need onto an app built by `create_app`:
sign-in (Flask-Login), CSRF checks on every page blueprint (Flask-WTF), the zh/en
switch (web.pages.i18n), template helpers and the blueprints themselves. The JSON API is
a separate blueprint with bearer tokens and is not touched here.
"""
from __future__ import annotations

import logging

from flask import Flask
from flask_wtf.csrf import CSRFProtect

from web.pages import (
    admin,
    attachments,
    auth,
    complaint,
    dashboard,
    hot,
    inbox,
    intake,
    queue,
    reports,
)
from web.pages.common import install_error_pages
from web.pages.render import install_template_helpers

log = logging.getLogger(__name__)

csrf = CSRFProtect()


def init_pages(app: Flask) -> None:
    """Register sign-in, CSRF, locale, template helpers and the page blueprints."""
    # CSRF is checked by each page blueprint (see `web.pages.common.page_blueprint`),
    # so API clients with bearer tokens are not asked for a form token.
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)   # valid for the whole session
    app.config.setdefault("REMEMBER_COOKIE_HTTPONLY", True)
    app.config.setdefault("REMEMBER_COOKIE_SAMESITE", "Lax")
    if app.config.get("SECURE_COOKIES"):
        app.config.update(SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_SECURE=True)
    csrf.init_app(app)
    auth.login_manager.init_app(app)
    install_template_helpers(app)
    app.jinja_env.globals["unread_in_header"] = inbox.unread_in_header
    for module in (auth, queue, intake, complaint, attachments, admin, dashboard, inbox, reports,
                   hot):
        app.register_blueprint(module.bp)
    install_error_pages(app)
    log.debug("pages registered")
