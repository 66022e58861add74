"""Bearer-token authentication and a per-token rate limit for the API blueprint.

Every endpoint except the public ones (ping, the OpenAPI document, the reference page)
needs `Authorization: Bearer <token>`. The token resolves to its user's `Actor`, so the
API applies the same role and department rules as the web pages. No cookies, no
session: the blueprint is safe to exempt from CSRF protection.

The rate limit is a token bucket per API token, kept in process memory: with several
gunicorn workers each worker counts on its own (the effective limit is workers × limit).
`API_RATE_LIMIT` (or the environment variable COMPLAINTS_API_RATE_LIMIT) is
"REQUESTS/SECONDS", e.g. "600/60"; "0" turns it off.
"""
from __future__ import annotations

import logging
import math
import threading
import time

from flask import current_app, g, request

from web.api.problems import ApiError
from web.current import runtime_of
from workflow.services import tokens
from workflow.services.read import utcnow

log = logging.getLogger(__name__)
PUBLIC_ENDPOINTS = frozenset({"api.ping", "api.openapi", "api.docs"})
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="complaints-api"'}


class RateLimiter:
    """A token bucket per key: `rate` requests per `per` seconds, bursts up to `rate`."""

    def __init__(self, rate: int, per: float):
        self.capacity, self.refill = float(rate), rate / per
        self._buckets: dict[object, tuple[float, float]] = {}
        self._lock = threading.Lock()

    @classmethod
    def parse(cls, spec: str) -> "RateLimiter | None":
        """Build from "REQUESTS/SECONDS"; None for "0" or an empty spec."""
        spec = (spec or "").strip()
        if spec in ("", "0"):
            return None
        rate, _, per = spec.partition("/")
        limiter = cls(int(rate), float(per or 1))
        if limiter.capacity <= 0 or limiter.refill <= 0:
            raise ValueError(f"bad API rate limit {spec!r}; use REQUESTS/SECONDS like 600/60")
        return limiter

    def wait_for(self, key, now: float | None = None) -> float:
        """Take one request from `key`'s bucket: 0 if allowed, else seconds until it would be."""
        now = time.monotonic() if now is None else now
        with self._lock:
            level, last = self._buckets.get(key, (self.capacity, now))
            level = min(self.capacity, level + (now - last) * self.refill)
            if level >= 1:
                self._buckets[key] = (level - 1, now)
                return 0.0
            self._buckets[key] = (level, now)
            return (1 - level) / self.refill


def authenticate():
    """Blueprint before-request hook: resolve the bearer token, apply the rate limit."""
    if request.endpoint in PUBLIC_ENDPOINTS or request.method == "OPTIONS":
        return None
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise ApiError("unauthorized", "token_missing", CHALLENGE)
    rt = runtime_of(current_app)
    found = tokens.resolve(rt, token)
    if found is None:
        raise ApiError("unauthorized", "token_unknown",
                       {"WWW-Authenticate": CHALLENGE["WWW-Authenticate"] + ', error="invalid_token"'})
    token_id, actor, last_used = found
    limiter = current_app.extensions.get("api_rate_limiter")
    if limiter is not None:
        wait = limiter.wait_for(token_id)
        if wait > 0:
            seconds = max(1, math.ceil(wait))
            raise ApiError("rate_limited", "rate_limited", {"Retry-After": str(seconds)},
                           params={"seconds": seconds}, retry_after=seconds)
    g.api_actor, g.api_token_id = actor, token_id
    tokens.used(rt, token_id, last_used, now=utcnow())
    return None
