"""What every response carries, and what a state-changing page request must come from.

- A strict Content-Security-Policy (the pages use no scripts; one stylesheet, no inline
  styles), `frame-ancestors 'none'` with `X-Frame-Options: DENY`, `nosniff`,
  `Referrer-Policy: same-origin`.
- `Cache-Control: no-store` on everything but the static files: signed-in pages and
  API answers carry personal data (mobile numbers, names, complaint texts).
- A POST to a page whose `Origin` (or, without one, `Referer`) names another site is
  refused (403) besides the CSRF token. The API, which takes no cookies, is not checked.
"""
from __future__ import annotations

import base64
import hashlib
from urllib.parse import urlsplit

from flask import Flask, Response, abort, request
from werkzeug.serving import WSGIRequestHandler

CSP = ("default-src 'self'; script-src 'none'; object-src 'none'; base-uri 'none'; "
       "form-action 'self'; frame-ancestors 'none'")
STATIC = ("/static/",)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
API_PREFIX = "/api/"


def style_hash(css: str) -> str:
    """The CSP source allowing one inline <style> element's text."""
    return "'sha256-" + base64.b64encode(hashlib.sha256(css.encode()).digest()).decode() + "'"


def csp_with_style(css: str) -> str:
    """The policy, also allowing one inline <style> (the API's reference page)."""
    return CSP + f"; style-src 'self' {style_hash(css)}"


def secure_headers(response: Response) -> Response:
    """App after-request hook: the security headers on every response."""
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers["X-Frame-Options"] = "DENY"
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = "same-origin"
    if not request.path.startswith(STATIC):
        headers["Cache-Control"] = "no-store"
        headers.pop("Expires", None)
    return response


def _origin(url: str) -> str:
    # The host only: behind a proxy that ends TLS the app sees http while the browser
    # says https (the scheme would need ProxyFix; the host is what tells sites apart).
    return urlsplit(url).netloc.lower()


def check_origin():
    """App before-request hook: a state-changing page request must come from this site."""
    if request.method in SAFE_METHODS or request.path.startswith(API_PREFIX):
        return None
    claimed = request.headers.get("Origin") or request.headers.get("Referer")
    if not claimed:
        return None          # no browser omits both on a POST; the CSRF token still holds
    if claimed == "null" or _origin(claimed) != _origin(request.host_url):
        abort(403)
    return None


class QuietRequestHandler(WSGIRequestHandler):
    """The development server's handler without the Werkzeug and Python version banner."""

    def version_string(self) -> str:
        return "complaints"


def install(app: Flask) -> None:
    """Register the header and origin hooks on the app."""
    app.before_request(check_origin)
    app.after_request(secure_headers)
