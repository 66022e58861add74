"""The JSON API for other systems under /api/v1: bearer tokens, problem+json errors,
an OpenAPI 3.1 document at /api/v1/openapi.json and its reference page at /api/v1/docs.

`init_app(app)` registers the blueprint; the API uses no cookies or sessions, so when
Flask-WTF's CSRFProtect is enabled app-wide, exempt it with `csrf.exempt(api_blueprint)`.
"""
from __future__ import annotations

from contextlib import ExitStack

from flask import Flask, current_app, g, request

from web.api import (  # noqa: F401  (these modules attach routes)
    attachments,
    auth,
    docs,
    hot,
    notifications,
    problems,
    report_views,
    views,
)
from web.api.blueprint import PREFIX
from web.api.blueprint import api as api_blueprint
from web.current import runtime_of
from workflow.settings import DEFAULT_API_RATE_LIMIT

__all__ = ["api_blueprint", "init_app"]

problems.register(api_blueprint)


@api_blueprint.before_request
def _bind_connection():
    """One database connection for the whole request (see `Runtime.bound`)."""
    if request.endpoint in auth.PUBLIC_ENDPOINTS:
        return
    stack = g.api_connection = ExitStack()
    stack.enter_context(runtime_of(current_app).bound())


@api_blueprint.teardown_request
def _unbind_connection(_exc):
    stack = g.pop("api_connection", None)
    if stack is not None:
        stack.close()


api_blueprint.before_request(auth.authenticate)


def init_app(app: Flask) -> None:
    """Register the API blueprint, its rate limiter and problem+json routing errors."""
    app.config.setdefault("API_RATE_LIMIT", DEFAULT_API_RATE_LIMIT)
    app.extensions["api_rate_limiter"] = auth.RateLimiter.parse(app.config["API_RATE_LIMIT"])
    app.register_blueprint(api_blueprint)
    csrf = app.extensions.get("csrf")     # Flask-WTF's CSRFProtect, if already set up
    if csrf is not None:
        csrf.exempt(api_blueprint)
    app.before_request(_routing_error_as_problem)


def _routing_error_as_problem():
    """Unknown paths and wrong methods under /api/v1 answer problem+json, not HTML."""
    exc = request.routing_exception
    if exc is not None and (request.path == PREFIX or request.path.startswith(PREFIX + "/")):
        return problems.from_http(exc)
    return None
