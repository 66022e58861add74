"""What every page blueprint shares: CSRF checks, role checks and domain-error pages."""
from __future__ import annotations

import logging
from functools import wraps

from flask import Blueprint, abort, current_app, render_template, request
from flask_login import current_user, login_required
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from states.process import Role
from web import boundary
from workflow.domain import access
from workflow.domain.errors import Forbidden, NotFound
from workflow.domain.model import Actor
from workflow.services.read import utcnow

log = logging.getLogger(__name__)

#: Roles that see complaints but act on none of them (`workflow.domain.access`).
READ_ONLY = access.READ_ONLY


def page_blueprint(name: str, import_name: str, **kwargs) -> Blueprint:
    """A blueprint whose POSTs need a CSRF token and whose errors render as pages."""
    bp = Blueprint(name, import_name, **kwargs)

    @bp.before_request
    def check_csrf():
        current_app.extensions["csrf"].protect()

    @bp.before_request
    def check_text():
        view = current_app.view_functions.get(request.endpoint)
        boundary.check_request(request, form=not getattr(view, "checks_own_form", False))

    bp.register_error_handler(CSRFError, _csrf_failed)
    bp.register_error_handler(boundary.UnsafeInput, _unsafe_input)
    for error, status in ((NotFound, 404), (Forbidden, 403), (404, 404), (403, 403),
                          (405, 405)):
        bp.register_error_handler(error, _error_page(status))
    return bp


def _csrf_failed(exc):
    return render_template("error.html", status=400, reason="csrf"), 400


def _unsafe_input(exc):
    return render_template("error.html", status=422, reason="unsafe_input",
                           fields=sorted(exc.errors)), 422


def checks_own_form(view):
    """Mark a view that checks its form's text itself (`checked_form`) and shows the form
    again with the bad fields marked; other views' forms are refused with an error page."""
    view.checks_own_form = True
    return view


def checked_form():
    """The request's form, or UnsafeInput (a ValidationError) naming every field that
    holds a character no text may hold."""
    boundary.check_form(request.form)
    return request.form


def _error_page(status: int):
    def handle(exc):
        return render_template("error.html", status=status, reason=None), status
    return handle


#: The HTTP errors outside any page blueprint (an unknown address, a wrong method, a
#: crash) that get the application's own page rather than Werkzeug's English one.
APP_ERRORS = (400, 403, 404, 405, 409, 413, 500)


def install_error_pages(app) -> None:
    """Render errors outside the blueprints (unknown URLs, 405, 500) as the app's own
    Chinese pages with a way back; the JSON API keeps its problem+json answers."""
    def handle(exc):
        status = getattr(exc, "code", None) or 500
        if request.path.startswith("/api/"):
            from web.api.problems import from_http
            return from_http(exc if isinstance(exc, HTTPException) else InternalServerError())
        if status >= 500:
            log.error("error %s on %s %s", status, request.method, request.path,
                      exc_info=exc if not isinstance(exc, HTTPException) else None)
        try:
            return render_template("error.html", status=status, reason=None), status
        except Exception:   # the page itself failed (e.g. no database): plain words
            log.exception("the error page failed")
            return ("<!doctype html><meta charset=utf-8><title>500</title>"
                    "<p>系统暂时出错，请稍后再试。<a href=/>返回工作队列</a></p>"), 500
    for status in APP_ERRORS:
        app.register_error_handler(status, handle)
    app.register_error_handler(Exception, _unexpected(handle))


def _unexpected(handle):
    def on_exception(exc):
        if isinstance(exc, HTTPException):
            return handle(exc)
        log.exception("unhandled error on %s %s", request.method, request.path)
        return handle(InternalServerError())
    return on_exception


def runtime():
    """The workflow runtime of the running app."""
    return current_app.extensions["runtime"]


def actor() -> Actor:
    """The signed-in user as a workflow actor."""
    return current_user.actor


def now():
    """The wall clock (UTC); the pages read it and pass it into the workflow."""
    return utcnow()


def roles_required(*roles: Role):
    """Let only signed-in users with one of `roles` in; others get 403."""
    def decorate(view):
        @wraps(view)
        @login_required
        def wrapper(*args, **kwargs):
            if current_user.actor.role not in roles:
                abort(403)
            return view(*args, **kwargs)
        return wrapper
    return decorate
