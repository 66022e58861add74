"""Every route of the app's URL map answers with the security headers; a state-changing
page request from another site is refused; the server names no versions."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import urllib.request

from tests.conftest import complaint_values
from tests.web.conftest import file, post, sign_in, token

SAMPLE = {"complaint_id": 1, "action": "contact", "username": "op", "liaison_id": 1,
          "code": "en", "filename": "style.css", "number": 1,
          "notification_id": 1, "entry_id": 1, "attachment_id": 1, "fmt": "csv"}


def _check(response, path, method="GET"):
    h = response.headers
    response.close()
    assert response.status_code < 500, (method, path, response.status_code)
    csp = h.get("Content-Security-Policy", "")
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp, path
    assert "script-src 'none'" in csp, path
    assert h.get("X-Frame-Options") == "DENY", path
    assert h.get("X-Content-Type-Options") == "nosniff", path
    assert h.get("Referrer-Policy") == "same-origin", path
    if not path.startswith("/static/"):
        assert h.get("Cache-Control") == "no-store", path
    assert "Werkzeug" not in h.get("Server", "") and "Python" not in h.get("Server", "")


def test_every_route_answers_with_the_security_headers(rt, app, api):
    file(rt)
    pages = sign_in(app.test_client(), "root")
    desk = sign_in(app.test_client(), "desk")
    anonymous = app.test_client()
    seen = 0
    for rule in app.url_map.iter_rules():
        path = rule.build({k: SAMPLE[k] for k in rule.arguments}, append_unknown=False)[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            for client in (pages, desk, anonymous):
                headers = api["desk"] if path.startswith("/api/") and client is desk else {}
                kwargs = {}
                if method == "POST" and not path.startswith("/api/"):
                    kwargs["data"] = {"csrf_token": token(client), "comment": "头部检查"}
                elif method == "POST":
                    kwargs["json"] = {"comment": "头部检查"}
                response = client.open(path, method=method, headers=headers, **kwargs)
                _check(response, path, method)
                seen += 1
    assert seen > 60
    # ...and the answers a route refuses (404, 405) carry them too.
    _check(anonymous.get("/no/such/page"), "/no/such/page")
    _check(anonymous.delete("/api/v1/complaints"), "/api/v1/complaints", "DELETE")


def test_the_api_reference_page_may_use_only_its_own_inline_style(client):
    response = client.get("/api/v1/docs")
    csp = response.headers["Content-Security-Policy"]
    assert response.status_code == 200 and "style-src 'self' 'sha256-" in csp
    assert "script-src 'none'" in csp and "<script" not in response.get_data(as_text=True)


def test_a_page_post_from_another_site_is_refused_besides_the_csrf_token(rt, client):
    cid = file(rt).id
    sign_in(client, "op")
    evil = {"Origin": "https://evil.example"}
    data = {"department": "network", "version": 1}
    assert post(client, f"/complaints/{cid}/assign", data, headers=evil).status_code == 403
    assert post(client, f"/complaints/{cid}/assign", data,
                headers={"Referer": "https://evil.example/x"}).status_code == 403
    assert post(client, f"/complaints/{cid}/assign", data,
                headers={"Origin": "null"}).status_code == 403
    ok = post(client, f"/complaints/{cid}/assign", data, headers={"Origin": "http://localhost"})
    assert ok.status_code == 302


def test_the_api_is_not_asked_for_an_origin(rt, client, api):
    response = client.post("/api/v1/complaints", json=complaint_values(),
                           headers={**api["op"], "Origin": "https://hotline.example"})
    assert response.status_code == 201


def test_complaints_serve_names_no_werkzeug_or_python_version(sqlite_url):
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPLAINTS_")}
    env.update(COMPLAINTS_DATABASE_URL=sqlite_url, COMPLAINTS_DEMO="1")
    with subprocess.Popen([sys.executable, "-m", "complaints", "serve", "--port", "0",
                           "--no-worker"], env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True) as proc:
        try:
            deadline, address = time.monotonic() + 30, None
            while address is None and time.monotonic() < deadline:
                match = re.search(r"Running on (http://127\.0\.0\.1:\d+)", proc.stdout.readline())
                address = match and match.group(1)
            assert address
            with urllib.request.urlopen(f"{address}/login", timeout=10) as response:
                server = response.headers.get("Server", "")
                assert response.headers["X-Frame-Options"] == "DENY"
            assert "Werkzeug" not in server and "Python" not in server
        finally:
            proc.terminate()
            proc.wait(timeout=10)
