"""/healthz, /readyz, /metrics and request ids, through the application on each database."""
from __future__ import annotations

import json
import logging

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text

from tests.apisupport import bearer, make_app, make_users_and_tokens
from tests.conftest import complaint_values
from workflow import logs
from workflow.store.db import make_engine
from workflow.store.runtime import Runtime

LOOPBACK = {"REMOTE_ADDR": "127.0.0.1"}
ELSEWHERE = {"REMOTE_ADDR": "10.20.30.40"}


@pytest.fixture
def api(rt):
    """(test client, username -> token) for the application on the test database."""
    tok = make_users_and_tokens(rt)
    return make_app(rt).test_client(), tok


def samples(body: bytes) -> dict:
    """(name, sorted labels) -> value of every sample, parsed by prometheus_client."""
    out = {}
    for family in text_string_to_metric_families(body.decode()):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def value(found: dict, name: str, **labels) -> float:
    return found.get((name, tuple(sorted(labels.items()))), 0.0)


def test_healthz_answers_without_asking_the_database(api):
    client, _ = api
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json == {"status": "ok"}


def test_readyz_is_ready_on_a_current_schema(api):
    client, _ = api
    response = client.get("/readyz")
    assert response.status_code == 200, response.json
    assert response.json["status"] == "ready" and response.json["schema"]


def test_readyz_is_503_on_a_database_without_the_schema(tmp_path):
    empty = f"sqlite:///{tmp_path / 'empty.db'}"
    from states.policy import load_policy
    app = make_app(Runtime(make_engine(empty), load_policy()))
    response = app.test_client().get("/readyz")
    assert response.status_code == 503 and response.headers["Retry-After"] == "2"
    assert "complaints db upgrade" in response.json["detail"]


def test_readyz_is_503_on_an_older_schema(api, rt):
    client, _ = api
    with rt.engine.begin() as conn:
        current = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        conn.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    try:
        response = client.get("/readyz")
    finally:   # the PostgreSQL database is the whole session's: put its revision back
        with rt.engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": current})
    assert response.status_code == 503
    assert "数据库版本过旧" in response.json["detail"] and "revision 0001," in response.json["detail"]


def test_metrics_parse_and_count_actions_requests_and_backlogs(api):
    client, tok = api
    h = bearer(tok["wangli"])
    before = samples(client.get("/metrics", environ_base=LOOPBACK).data)
    made = client.post("/api/v1/complaints", json=complaint_values(), headers=h)
    assert made.status_code == 201
    url = f"/api/v1/complaints/{made.json['id']}/actions"
    assert client.post(url + "/assign", json={"department": "network"}, headers=h).status_code == 200
    assert client.post(url + "/assign", json={"department": "nowhere"}, headers=h).status_code == 422
    assert client.post(url + "/close", json={}, headers=h).status_code == 409
    for _ in range(3):
        client.get("/api/v1/ping")
    response = client.get("/metrics", environ_base=LOOPBACK)
    assert response.status_code == 200 and response.mimetype == "text/plain"
    after = samples(response.data)

    def grew(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("complaints_actions_total", action="intake", outcome="ok") == 1
    assert grew("complaints_actions_total", action="assign", outcome="ok") == 1
    assert grew("complaints_actions_total", action="assign", outcome="validation_error") == 1
    assert grew("complaints_actions_total", action="close", outcome="action_not_allowed") == 1
    assert grew("complaints_http_requests_total", endpoint="api.ping", method="GET",
                status="200") == 3
    assert grew("complaints_http_request_duration_seconds_count", endpoint="api.fire_action") == 3
    assert value(after, "complaints_database_up") == 1
    assert value(after, "complaints_deadlines_due") == 0       # the new clocks are not due yet
    assert value(after, "complaints_outbox_pending") == 0
    assert ("complaints_db_pool_checked_out", ()) in after


def test_metrics_are_for_loopback_only_and_never_through_a_proxy(api):
    client, _ = api
    assert client.get("/metrics", environ_base=ELSEWHERE).status_code == 403
    proxied = client.get("/metrics", environ_base=LOOPBACK,
                         headers={"X-Forwarded-For": "203.0.113.9"})
    assert proxied.status_code == 403


def test_with_a_metrics_token_only_the_token_may_read_them(rt):
    client = make_app(rt, METRICS_TOKEN="s3cret-scrape").test_client()
    assert client.get("/metrics", environ_base=LOOPBACK).status_code == 403
    wrong = client.get("/metrics", environ_base=ELSEWHERE, headers=bearer("guess"))
    assert wrong.status_code == 403
    right = client.get("/metrics", environ_base=ELSEWHERE, headers=bearer("s3cret-scrape"))
    assert right.status_code == 200 and b"complaints_database_up 1.0" in right.data


def test_every_answer_carries_a_request_id_and_a_sane_one_is_kept(api):
    client, tok = api
    fresh = client.get("/api/v1/ping").headers["X-Request-Id"]
    assert len(fresh) == 16 and fresh != client.get("/api/v1/ping").headers["X-Request-Id"]
    kept = client.get("/api/v1/complaints", headers={**bearer(tok["wangli"]),
                                                     "X-Request-Id": "lb-7f3a.91"})
    assert kept.headers["X-Request-Id"] == "lb-7f3a.91"
    odd = client.get("/login", headers={"X-Request-Id": "a b<script>"})
    assert odd.status_code == 200 and odd.headers["X-Request-Id"] != "a b<script>"


def test_a_log_line_written_while_answering_names_the_request_in_json(tmp_path, caplog):
    from states.policy import load_policy
    broken = Runtime(make_engine(f"sqlite:///{tmp_path / 'no-tables.db'}"), load_policy())
    client = make_app(broken).test_client()
    caplog.handler.addFilter(logs.RequestIdFilter())
    with caplog.at_level(logging.WARNING, logger="workflow.metrics"):
        response = client.get("/metrics", environ_base=LOOPBACK,
                              headers={"X-Request-Id": "trace-42"})
    assert response.status_code == 200 and b"complaints_database_up 0.0" in response.data
    record = next(r for r in caplog.records if r.name == "workflow.metrics")
    line = json.loads(logs.JsonFormatter().format(record))
    assert line["request_id"] == "trace-42" and line["level"] == "WARNING"
    assert line["message"].startswith("metrics: database not readable")
    assert logs.request_id.get() == "-"          # nothing leaks into the next request


def test_a_gunicorn_access_record_becomes_one_json_object():
    atoms = {"h": "127.0.0.1", "m": "POST", "U": "/api/v1/complaints", "q": "", "s": "201",
             "B": "2048", "M": "31", "{x-request-id}o": "abc123", "a": "curl/8"}
    record = logging.LogRecord("gunicorn.access", logging.INFO, __file__, 1, "%(h)s", (), None)
    record.args = atoms
    line = json.loads(logs.JsonFormatter().format(record))
    assert line == {"time": line["time"], "level": "INFO", "logger": "gunicorn.access",
                    "request_id": "abc123", "message": "request", "remote": "127.0.0.1",
                    "method": "POST", "path": "/api/v1/complaints", "status": 201,
                    "bytes": "2048", "duration_ms": 31, "user_agent": "curl/8"}


def test_a_page_request_counts_under_its_endpoint(api):
    client, _ = api
    client.get("/login")
    found = samples(client.get("/metrics", environ_base=LOOPBACK).data)
    assert value(found, "complaints_http_requests_total", endpoint="auth.login", method="GET",
                 status="200") >= 1
