"""What every page blueprint shares: CSRF checks, role checks and domain-error pages."""
from __future__ import annotations

from functools import wraps

from flask import Blueprint, abort, current_app, render_template, request
from flask_login import current_user, login_required
from flask_wtf.csrf import CSRFError

from states.process import Role
from web import boundary
from workflow.domain.errors import Forbidden, NotFound
from workflow.domain.model import Actor
from workflow.store.runtime import Runtime
from workflow.store.schema import utcnow


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
    for error, status in ((NotFound, 404), (Forbidden, 403), (404, 404), (403, 403)):
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


def runtime() -> Runtime:
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
