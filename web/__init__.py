"""The Flask application: operators' pages and the JSON API for other systems.

`create_app` builds the app around a workflow `Runtime`; views read the request, call a
workflow service and map domain errors to HTTP answers. Nothing here imports `timers`.
"""
from __future__ import annotations

import logging
import secrets

from flask import Flask

from web.jsonio import OrjsonProvider
from workflow.settings import Settings
from workflow.store.runtime import Runtime

log = logging.getLogger(__name__)


def create_app(config: dict | None = None, runtime: Runtime | None = None) -> Flask:
    """Build the application; `config` overrides settings read from the environment."""
    app = Flask(__name__, instance_relative_config=False)
    app.json = OrjsonProvider(app)
    settings = Settings.from_env()
    app.config.update(
        DATABASE_URL=settings.database_url,
        POLICY_PATH=settings.policy_path,
        SECRET_KEY=settings.secret_key,
        DEMO=settings.demo,
        SECURE_COOKIES=settings.secure_cookies,
        API_RATE_LIMIT=settings.api_rate_limit,
        MAX_CONTENT_LENGTH=256 * 1024,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
    )
    app.config.update(config or {})
    if not app.config["SECRET_KEY"]:
        if not (app.config["DEMO"] or app.config.get("TESTING")):
            raise RuntimeError("COMPLAINTS_SECRET_KEY must be set outside demo mode")
        app.config["SECRET_KEY"] = secrets.token_hex(32)
    if runtime is None:
        runtime = Runtime.from_settings(Settings(
            database_url=app.config["DATABASE_URL"], policy_path=app.config["POLICY_PATH"]))
    app.extensions["runtime"] = runtime

    # --- operators' pages (web/pages: sign-in, queue, intake, complaint, admin) ---
    from web.pages import init_pages
    init_pages(app)
    # --- end of operators' pages ---

    # --- JSON API (/api/v1): bearer tokens, no cookies; exempt it from CSRF protection
    # with csrf.exempt(api_blueprint) if CSRFProtect is enabled app-wide.
    from web.api import init_app as init_api
    init_api(app)
    # --- end JSON API

    # --- operations: /healthz, /readyz, /metrics, request ids, the database-down answers
    from web.ops import init_ops
    init_ops(app)
    return app


def runtime_of(app: Flask) -> Runtime:
    """The workflow runtime the app was built around."""
    return app.extensions["runtime"]
