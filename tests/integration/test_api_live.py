"""The JSON API over real HTTP: a Werkzeug server on loopback, driven with `requests`,
and Schemathesis checking every operation against the OpenAPI document."""
from __future__ import annotations

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings

from tests.apisupport import LiveServer, bearer, make_app, make_users_and_tokens
from tests.conftest import complaint_values, make_runtime
from tests.databases import copy_sqlite
from web.api.openapi import document
from workflow import services
from workflow.admin.directory import actor_for
from workflow.store.schema import utcnow


@pytest.fixture
def live(rt):
    """(base URL of /api/v1, username -> token) for a server on the test's database."""
    tok = make_users_and_tokens(rt)
    with LiveServer(make_app(rt)) as server:
        yield server.url + "/api/v1", tok


def test_a_complaint_goes_through_its_life_over_http(live):
    base, tok = live
    s = requests.Session()
    s.headers.update(bearer(tok["wangli"]))
    key = {"Idempotency-Key": "web-form-7781"}
    first = s.post(f"{base}/complaints", json=complaint_values(), headers=key, timeout=10)
    assert first.status_code == 201
    retry = s.post(f"{base}/complaints", json=complaint_values(), headers=key, timeout=10)
    assert retry.status_code == 200 and retry.json()["id"] == first.json()["id"]
    other = s.post(f"{base}/complaints", json=complaint_values(text="别的问题"), headers=key,
                   timeout=10)
    assert other.status_code == 422
    url = base + first.json()["links"]["self"].removeprefix("/api/v1")
    etag = s.get(url, timeout=10).headers["ETag"]
    assigned = s.post(url + "/actions/assign", json={"department": "network"},
                      headers={"If-Match": etag}, timeout=10)
    assert assigned.status_code == 200 and assigned.json()["state"] == "assigned"
    stale = s.post(url + "/actions/contact", json={"comment": "回访"},
                   headers={"If-Match": etag}, timeout=10)
    assert stale.status_code == 412
    assert stale.headers["Content-Type"] == "application/problem+json"
    handler = {"Authorization": f"Bearer {tok['zhangwei']}"}
    assert requests.post(url + "/actions/accept", headers=handler, timeout=10).status_code == 200
    replied = requests.post(url + "/actions/reply", json={"comment": "已优化基站覆盖"},
                            headers=handler, timeout=10)
    assert replied.json()["allowed_actions"] == ["attach"]   # closing is the front line's job
    history = s.get(url + "/history", timeout=10).json()["items"]
    assert [e["action"] for e in history] == ["intake", "assign", "accept", "reply"]


def test_errors_over_http_are_problem_json(live):
    base, tok = live
    h = bearer(tok["wangli"])
    assert requests.get(f"{base}/complaints", timeout=10).status_code == 401
    big = requests.post(f"{base}/complaints", data=b'{"text": "' + b"x" * 300_000 + b'"}',
                        headers={**h, "Content-Type": "application/json"}, timeout=10)
    assert big.status_code == 413 and big.json()["type"].endswith("#problem-too_large")
    broken = requests.post(f"{base}/complaints", data=b"{", timeout=10,
                           headers={**h, "Content-Type": "application/json"})
    assert broken.status_code == 400 and broken.json()["detail"].startswith("the body is not")
    assert requests.get(f"{base}/nowhere", headers=h, timeout=10).status_code == 404
    assert requests.get(f"{base}/ping", timeout=10).json() == {"status": "ok"}


def test_a_list_is_followed_page_by_page_over_http(live, rt):
    base, tok = live
    with rt.uow(write=False) as uow:
        actor = actor_for(uow.conn, "wangli")
    made = [services.intake(rt, actor, complaint_values(mobile=f"1591234560{i}"),
                            now=utcnow()).complaint.id for i in range(5)]
    seen, url = [], f"{base}/complaints?per_page=2"
    while url:
        page = requests.get(url, headers=bearer(tok["chenjg"]), timeout=10).json()
        seen += [c["id"] for c in page["items"]]
        url = page["links"]["next"] and base.removesuffix("/api/v1") + page["links"]["next"]
    assert seen == made


# --- Schemathesis: the document against the live application -----------------------

@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory, sqlite_template):
    """A live server on a SQLite file with a few complaints, and an operator's token."""
    rt = make_runtime(copy_sqlite(sqlite_template, tmp_path_factory.mktemp("fuzz") / "complaints.db"))
    tok = make_users_and_tokens(rt)
    with rt.uow(write=False) as uow:
        actor = actor_for(uow.conn, "chenjg")
    for i in range(5):
        services.intake(rt, actor, complaint_values(mobile=f"1361234560{i}"), now=utcnow())
    with LiveServer(make_app(rt)) as server:
        yield server.url, tok["chenjg"]
    rt.engine.dispose()


def test_the_served_document_is_the_one_schemathesis_checks(fuzzed):
    url, _ = fuzzed
    assert requests.get(f"{url}/api/v1/openapi.json", timeout=10).json() == document()


schema = schemathesis.openapi.from_dict(document())
schema.config.generation.update(max_examples=8, deterministic=True)
# Valid-looking requests the server refuses on purpose, because of stored state the schema
# cannot express: 412 (If-Match older than the complaint) and 422 (Idempotency-Key reused
# with another body; transfer to the department it is already with).
schema.config.checks.positive_data_acceptance.expected_statuses = [
    "2xx", "401", "403", "404", "409", "412", "422", "429"]


@schema.parametrize()
@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_server_keeps_every_promise_of_its_openapi_document(case, fuzzed):
    url, token = fuzzed
    case.call_and_validate(base_url=f"{url}/api/v1", headers=bearer(token))
