"""Operations: /healthz, /readyz, /metrics, request ids, and answers when the database is away.

- `/healthz`: the process answers (no database). `/readyz`: the database answers and its
  schema is the one this code expects; 503 with `Retry-After` otherwise (for a load
  balancer). `/metrics`: Prometheus text (`workflow.metrics`), readable from loopback
  without a proxy in between, or from anywhere with `Authorization: Bearer
  <COMPLAINTS_METRICS_TOKEN>` once that is set (then only with it).
- `OpsMiddleware` wraps the WSGI app: a request id (the client's `X-Request-Id` when it
  is sane, else a new one) in the logs and in the answer's `X-Request-Id`; request count
  and latency by endpoint; and one more try of a request that failed because the
  database was unavailable *before any unit of work that writes began* (reads, or a
  write known not to have happened), so that the first request on a connection the
  database dropped is not lost.
- When the database is unavailable, pages answer a Chinese 503 page, the API a
  problem+json 503 (`web.api.problems`), both with `Retry-After`.
"""
from __future__ import annotations

import hmac
import io
import ipaddress
import logging
import re
import secrets
import time

from flask import Blueprint, Flask, Response, current_app, request
from sqlalchemy.exc import DBAPIError, DisconnectionError, PendingRollbackError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from web.current import runtime_of
from workflow import metrics
from workflow.logs import request_id
from workflow.services.availability import (
    RETRY_AFTER_SECONDS,
    is_unavailable,
    readiness_problem,
    schema_heads,
    track_writes,
)

log = logging.getLogger(__name__)
ops = Blueprint("ops", __name__)
REQUEST_ID = re.compile(r"[A-Za-z0-9._:\-]{1,128}")
#: Set in the WSGI environ when a request failed because the database was unavailable.
UNAVAILABLE = "complaints.database_unavailable"
ENDPOINT = "complaints.endpoint"
#: A body up to this size is kept so that a request may run a second time.
REPLAY_LIMIT = 256 * 1024
_REPLAYABLE = frozenset({"GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"})


@ops.get("/healthz")
def healthz():
    """The process is alive (the database is not asked)."""
    return {"status": "ok"}


@ops.get("/readyz")
def readyz():
    """Ready for traffic: the database answers and its schema is current; else 503."""
    problem = readiness_problem(runtime_of(current_app))
    if problem is None:
        return {"status": "ready", "schema": schema_heads()}
    return Response(_json({"status": "unavailable", "detail": problem}), status=503,
                    mimetype="application/json",
                    headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


@ops.get("/metrics")
def metrics_page():
    """Prometheus metrics of every process of this server, and the database's backlogs."""
    if not _may_read_metrics():
        return Response("metrics: loopback only, or Authorization: Bearer <COMPLAINTS_METRICS_TOKEN>\n",
                        status=403, mimetype="text/plain")
    body = metrics.exposition(runtime_of(current_app).engine, current_app.config["METRICS_DIR"])
    return Response(body, mimetype=metrics.CONTENT_TYPE)


def _may_read_metrics() -> bool:
    token = current_app.config.get("METRICS_TOKEN")
    if token:
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(given.strip(), token)
    if "X-Forwarded-For" in request.headers or "Forwarded" in request.headers:
        return False          # came through a proxy: loopback says nothing about the client
    try:
        return ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        return False


def _json(body: dict) -> str:
    import json
    return json.dumps(body, ensure_ascii=False)


def note_unavailable(exc: BaseException) -> None:
    """Record that this request failed because the database was unavailable (the
    middleware may then run it once more) and log it."""
    request.environ[UNAVAILABLE] = True
    log.warning("database unavailable in %s %s: %s", request.method, request.path,
                str(exc).splitlines()[0] if str(exc) else type(exc).__name__)


def _unavailable_page(exc):
    if not is_unavailable(exc):
        raise exc
    note_unavailable(exc)
    # Rendered without the context processors: Flask-Login's loads the signed-in user,
    # which needs the database.
    html = current_app.jinja_env.get_template("ops/unavailable.html").render(
        retry_after=RETRY_AFTER_SECONDS, path=request.path)
    return html, 503, {"Retry-After": str(RETRY_AFTER_SECONDS)}


def _note_endpoint():
    request.environ[ENDPOINT] = request.endpoint or "unmatched"


class OpsMiddleware:
    """WSGI: request id, request metrics, and one retry of a request that wrote nothing."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        given = environ.get("HTTP_X_REQUEST_ID", "")
        rid = given if REQUEST_ID.fullmatch(given) else secrets.token_hex(8)
        token = request_id.set(rid)
        started = time.perf_counter()
        try:
            replay = _keep_body(environ)
            for attempt in (1, 2):
                answer: list = []

                def capture(status, headers, exc_info=None, _answer=answer):
                    _answer[:] = [status, headers, exc_info]
                    return _no_write

                with track_writes() as writes:
                    result = self.app(environ, capture)
                if (attempt == 1 and environ.pop(UNAVAILABLE, False) and not writes.begun
                        and replay is not None):
                    if hasattr(result, "close"):
                        result.close()
                    log.info("retrying %s %s once: it wrote nothing before the database failed",
                             environ.get("REQUEST_METHOD"), environ.get("PATH_INFO"))
                    environ["wsgi.input"] = io.BytesIO(replay)
                    continue
                break
            status, headers, exc_info = answer
            headers.append(("X-Request-Id", rid))
            start_response(status, headers, exc_info)
            _observe(environ.get(ENDPOINT, "unmatched"), environ.get("REQUEST_METHOD", ""),
                     status[:3], time.perf_counter() - started)
            return result
        finally:
            request_id.reset(token)


_children: dict[tuple, tuple] = {}


def _observe(endpoint: str, method: str, status: str, seconds: float) -> None:
    """Count the request and its latency (label children cached: `labels()` costs µs)."""
    key = (endpoint, method, status)
    pair = _children.get(key)
    if pair is None:
        pair = _children[key] = (metrics.REQUEST_SECONDS.labels(endpoint),
                                 metrics.REQUESTS.labels(endpoint, method, status))
    pair[0].observe(seconds)
    pair[1].inc()


def _no_write(_data):
    raise RuntimeError("the write() callable is not supported")


def _keep_body(environ) -> bytes | None:
    """The request body, read once so that the request can run again (None: it cannot:
    an unsafe method with a large or unknown-length body)."""
    if environ.get("REQUEST_METHOD") not in _REPLAYABLE:
        return None
    length = environ.get("CONTENT_LENGTH") or ""
    if not length:
        return b"" if not environ.get("HTTP_TRANSFER_ENCODING") else None
    if not length.isdigit() or int(length) > REPLAY_LIMIT:
        return None
    body = environ["wsgi.input"].read(int(length))
    environ["wsgi.input"] = io.BytesIO(body)
    return body


def init_ops(app: Flask) -> None:
    """Register the ops endpoints, the database-unavailable page and the middleware."""
    app.register_blueprint(ops)
    for error in (DBAPIError, PoolTimeout, DisconnectionError, PendingRollbackError):
        app.register_error_handler(error, _unavailable_page)
    app.before_request_funcs.setdefault(None, []).insert(0, _note_endpoint)
    app.wsgi_app = OpsMiddleware(app.wsgi_app)
