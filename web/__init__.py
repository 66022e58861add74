"""The Flask application: operators' pages and the JSON API for other systems.

`create_app` builds the app around a workflow `Runtime`; views read the request, call a
workflow service and map domain errors to HTTP answers. Nothing here imports `timers`.
"""
from __future__ import annotations

import dataclasses
import logging
import secrets

from flask import Flask
from werkzeug.routing import IntegerConverter

from web import headers
from web.current import runtime_of
from web.jsonio import OrjsonProvider
from web.text import init_text
from workflow.settings import MIN_SECRET_KEY_BYTES, Settings, session_seconds
from workflow.store.runtime import Runtime

__all__ = ["create_app", "runtime_of"]
log = logging.getLogger(__name__)


class AsciiIntegerConverter(IntegerConverter):
    """`<int:…>` path parts of ASCII digits only (Werkzeug's `\\d` also takes full-width
    and other Unicode digits, so /complaints/１ reached complaint 1)."""

    regex = r"[0-9]+"


def create_app(config: dict | None = None, runtime: Runtime | None = None,
               settings: Settings | None = None) -> Flask:
    """Build the application from `settings` (None: read from the environment, once);
    `config` overrides them."""
    app = Flask(__name__, instance_relative_config=False)
    app.url_map.converters["int"] = AsciiIntegerConverter
    app.json = OrjsonProvider(app)
    settings = settings or Settings.from_env()
    app.config.update(
        DATABASE_URL=settings.database_url,
        POLICY_PATH=settings.policy_path,
        SECRET_KEY=settings.secret_key,
        DEMO=settings.demo,
        SECURE_COOKIES=settings.secure_cookies,
        API_RATE_LIMIT=settings.api_rate_limit,
        SESSION_IDLE_SECONDS=session_seconds(settings.session_idle, "COMPLAINTS_SESSION_IDLE"),
        SESSION_LIFETIME_SECONDS=session_seconds(settings.session_lifetime,
                                                 "COMPLAINTS_SESSION_LIFETIME"),
        METRICS_TOKEN=settings.metrics_token,
        METRICS_DIR=settings.metrics_dir,
        MAX_CONTENT_LENGTH=256 * 1024,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
    )
    app.config.update(config or {})
    _check_secret_key(app)
    if runtime is None:
        # The environment's database options (connect timeout, prepare threshold) too.
        runtime = Runtime.from_settings(dataclasses.replace(
            settings, database_url=app.config["DATABASE_URL"],
            policy_path=app.config["POLICY_PATH"]))
    app.extensions["runtime"] = runtime
    headers.install(app)
    init_text(app)     # the one catalogue of texts (Flask-Babel), web/translations

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


def _check_secret_key(app: Flask) -> None:
    """Refuse a missing or short key outside demo mode (tests set theirs in code)."""
    key = app.config["SECRET_KEY"]
    lenient = app.config["DEMO"] or app.config.get("TESTING")
    if not key:
        if not lenient:
            raise RuntimeError("COMPLAINTS_SECRET_KEY must be set outside demo mode")
        app.config["SECRET_KEY"] = secrets.token_hex(32)
    elif not lenient and len(key.encode() if isinstance(key, str) else key) < MIN_SECRET_KEY_BYTES:
        raise RuntimeError(
            f"COMPLAINTS_SECRET_KEY is too short: at least {MIN_SECRET_KEY_BYTES} bytes are "
            "needed outside demo mode, e.g. python -c 'import secrets; "
            "print(secrets.token_hex(32))'")

