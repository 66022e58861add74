"""The JSON API through Flask's test client, on SQLite and PostgreSQL."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
from flask import request
from sqlalchemy import func, select

from tests.apisupport import bearer, make_app, make_users_and_tokens
from tests.conftest import complaint_values
from web.api.problems import from_domain
from workflow.admin import tokens
from workflow.domain.errors import Conflict
from workflow.store.schema import complaints, events, utcnow

PROBLEM = "application/problem+json"


@pytest.fixture
def tok(rt):
    """username -> API token."""
    return make_users_and_tokens(rt)


@pytest.fixture
def client(rt, tok):
    return make_app(rt).test_client()


def count(rt, table=complaints) -> int:
    with rt.uow(write=False) as uow:
        return uow.conn.execute(select(func.count()).select_from(table)).scalar()


def file(client, token, status=201, headers=None, **overrides):
    response = client.post("/api/v1/complaints", json=complaint_values(**overrides),
                           headers={**bearer(token), **(headers or {})})
    assert response.status_code == status, response.get_json()
    return response


def assert_problem(response, status, code):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM
    body = response.get_json(force=True)
    assert body["status"] == status and body["type"].endswith(f"#problem-{code}")
    assert body["title"] and body["detail"]
    return body


def test_filing_a_complaint_returns_it_with_location_etag_clocks_and_allowed_actions(client, tok):
    response = file(client, tok["wangli"])
    body = response.get_json()
    assert response.headers["Location"] == f"/api/v1/complaints/{body['id']}"
    assert response.headers["ETag"] == '"1"' and body["version"] == 1
    assert body["state"] == "received" and body["severity"] == "normal"
    assert body["departments"]["routed"]["code"] == "network"
    assert body["allowed_actions"] == ["assign", "contact", "reply", "attach"]
    assert {d["kind"] for d in body["deadlines"]} >= {"assign", "reply"}
    assert all(d["due_at"].endswith("Z") for d in body["deadlines"])


def test_a_major_complaint_shows_its_severity_and_reasons(client, tok):
    body = file(client, tok["wangli"], media=True, complainant_count=5).get_json()
    assert body["severity"] == "major"
    assert set(body["major_reasons"]) == {"media", "joint"}


def test_a_retry_with_the_same_idempotency_key_and_body_returns_the_first_complaint(client, tok, rt):
    key = {"Idempotency-Key": "hotline-call-20261130-0001"}
    first = file(client, tok["wangli"], headers=key)
    again = file(client, tok["wangli"], status=200, headers=key)
    assert again.get_json()["id"] == first.get_json()["id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert count(rt) == 1


def test_the_same_idempotency_key_with_a_different_body_is_refused(client, tok, rt):
    key = {"Idempotency-Key": "k-1"}
    file(client, tok["wangli"], headers=key)
    response = client.post("/api/v1/complaints", headers={**bearer(tok["wangli"]), **key},
                           json=complaint_values(text="另一件事"))
    assert_problem(response, 422, "idempotency_mismatch")
    assert count(rt) == 1


def test_another_users_idempotency_key_does_not_reveal_their_complaint(client, tok, rt):
    key = {"Idempotency-Key": "shared-key"}
    file(client, tok["wangli"], headers=key)
    response = client.post("/api/v1/complaints", headers={**bearer(tok["zhaoyan"]), **key},
                           json=complaint_values())
    assert_problem(response, 422, "idempotency_mismatch")


def test_a_bad_idempotency_key_is_a_400(client, tok, rt):
    response = client.post("/api/v1/complaints", json=complaint_values(),
                           headers={**bearer(tok["wangli"]), "Idempotency-Key": "x" * 201})
    assert_problem(response, 400, "bad_request")
    assert count(rt) == 0


def test_every_bad_field_is_listed_and_nothing_is_written(client, tok, rt):
    response = client.post("/api/v1/complaints", headers=bearer(tok["wangli"]), json={
        "mobile": 13812345678, "channel": "fax", "cause": {"code": "coverage"}, "text": "  ",
        "media": "yes", "colour": "red"})
    body = assert_problem(response, 422, "validation_error")
    assert set(body["errors"]) == {"mobile", "channel", "cause", "text", "media", "colour"}
    assert body["errors"]["colour"] == "unknown field"
    assert body["errors"]["mobile"] == "must be a string"
    assert count(rt) == 0 and count(rt, events) == 0


@pytest.mark.parametrize("data, content_type, status, code", [
    ("{not json", "application/json", 400, "bad_request"),
    ("[1, 2]", "application/json", 400, "bad_request"),
    ('{"complainant_count": NaN}', "application/json", 400, "bad_request"),
    ("[" * 100000, "application/json", 400, "bad_request"),
    (b"\xff\xfe\x00", "application/json", 400, "bad_request"),
    ("mobile=13812345678", "application/x-www-form-urlencoded", 415, "unsupported_media_type"),
    ('{"text": "' + "长" * 100000 + '"}', "application/json", 413, "too_large"),
])
def test_unreadable_bodies_get_a_clear_4xx_and_nothing_is_written(client, tok, rt, data,
                                                                  content_type, status, code):
    response = client.post("/api/v1/complaints", data=data, content_type=content_type,
                           headers=bearer(tok["wangli"]))
    assert_problem(response, status, code)
    assert count(rt) == 0


@pytest.mark.parametrize("headers", [
    {}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic d2FuZ2xpOng="},
    {"Authorization": "Bearer "}])
def test_requests_without_a_valid_token_get_401_with_a_challenge(client, headers):
    response = client.get("/api/v1/complaints", headers=headers)
    assert_problem(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_revoked_token_stops_working_at_once(client, tok, rt):
    assert client.get("/api/v1/process", headers=bearer(tok["wangli"])).status_code == 200
    with rt.uow() as uow:
        token_id = tokens.resolve(uow.conn, tok["wangli"])[0]
        tokens.revoke(uow.conn, token_id, now=utcnow())
        uow.commit()
    assert_problem(client.get("/api/v1/process", headers=bearer(tok["wangli"])), 401,
                   "unauthorized")


def test_using_a_token_records_when_it_was_last_used(client, tok, rt):
    client.get("/api/v1/process", headers=bearer(tok["lina"]))
    with rt.uow(write=False) as uow:
        rows = {r.username: r for r in tokens.list_tokens(uow.conn)}
    assert rows["lina"].last_used_at is not None and rows["chenjg"].last_used_at is None


def test_an_auditor_may_not_file_complaints(client, tok, rt):
    assert_problem(client.post("/api/v1/complaints", json=complaint_values(),
                               headers=bearer(tok["liufang"])), 403, "forbidden")
    assert count(rt) == 0


def test_a_complaint_shows_the_actions_allowed_for_the_tokens_user(client, tok):
    cid = file(client, tok["wangli"]).get_json()["id"]
    as_desk = client.get(f"/api/v1/complaints/{cid}", headers=bearer(tok["chenjg"]))
    assert as_desk.headers["ETag"] == '"1"'
    assert "escalate" in as_desk.get_json()["allowed_actions"]
    as_auditor = client.get(f"/api/v1/complaints/{cid}", headers=bearer(tok["liufang"]))
    assert as_auditor.get_json()["allowed_actions"] == []
    # An auditor does not work the complaint: the number only masked (PIPL), the desk sees it.
    assert as_auditor.get_json()["facts"]["mobile"] is None
    assert as_auditor.get_json()["facts"]["mobile_masked"] == "138****5678"
    assert as_desk.get_json()["facts"]["mobile"] == "13812345678"


def test_a_complaint_of_another_department_is_not_found(client, tok):
    cid = file(client, tok["wangli"]).get_json()["id"]
    assert_problem(client.get(f"/api/v1/complaints/{cid}", headers=bearer(tok["lina"])), 404,
                   "not_found")
    assert_problem(client.get(f"/api/v1/complaints/{cid}/history", headers=bearer(tok["lina"])),
                   404, "not_found")
    for path in ("/api/v1/complaints/999", "/api/v1/complaints/0",
                 "/api/v1/complaints/99999999999999999999", "/api/v1/complaints/abc"):
        assert_problem(client.get(path, headers=bearer(tok["wangli"])), 404, "not_found")


def _fire(client, token, cid, action, body=None, **headers):
    return client.post(f"/api/v1/complaints/{cid}/actions/{action}", json=body,
                       headers={**bearer(token), **headers})


def test_an_action_with_a_current_if_match_changes_the_complaint_and_its_etag(client, tok):
    cid = file(client, tok["wangli"]).get_json()["id"]
    response = _fire(client, tok["wangli"], cid, "assign", {"department": "network"},
                     **{"If-Match": '"1"'})
    assert response.status_code == 200, response.get_json()
    assert response.headers["ETag"] == '"2"' and response.get_json()["state"] == "assigned"
    accepted = _fire(client, tok["zhangwei"], cid, "accept", **{"If-Match": "2"})  # bare, no body
    assert accepted.status_code == 200 and accepted.get_json()["state"] == "handling"


def test_a_stale_if_match_is_a_412_with_the_current_version(client, tok, rt):
    cid = file(client, tok["wangli"]).get_json()["id"]
    _fire(client, tok["wangli"], cid, "contact", {"comment": "已致电客户"})
    response = _fire(client, tok["wangli"], cid, "contact", {"comment": "再次致电"},
                     **{"If-Match": '"1"'})
    body = assert_problem(response, 412, "precondition_failed")
    assert body["current_version"] == 2 and response.headers["ETag"] == '"2"'
    assert count(rt, events) == 2


def test_a_lost_race_without_if_match_is_a_409_conflict(rt, tok):
    app = make_app(rt)
    with app.test_request_context("/api/v1/complaints/1/actions/contact", method="POST"):
        assert "If-Match" not in request.headers
        response = from_domain(Conflict(1, 3, 4))
    assert response.status_code == 409
    assert json.loads(response.get_data())["type"].endswith("#problem-conflict")


def test_an_action_the_state_does_not_allow_is_a_409_listing_the_allowed_ones(client, tok):
    cid = file(client, tok["wangli"]).get_json()["id"]
    body = assert_problem(_fire(client, tok["wangli"], cid, "close",
                                {"satisfaction": "satisfied"}), 409, "action_not_allowed")
    assert body["allowed"] == ["assign", "contact", "reply", "attach"] and body["state"] == "received"


def test_an_action_the_role_may_not_fire_is_a_403(client, tok):
    cid = file(client, tok["wangli"]).get_json()["id"]
    assert_problem(_fire(client, tok["liufang"], cid, "contact", {"comment": "稽核"}), 403,
                   "forbidden")


def test_action_fields_are_checked_and_every_bad_one_listed(client, tok, rt):
    cid = file(client, tok["wangli"]).get_json()["id"]
    body = assert_problem(_fire(client, tok["wangli"], cid, "assign",
                                {"department": "moon", "reason": "x", "comment": 5}),
                          422, "validation_error")
    assert set(body["errors"]) == {"department", "reason", "comment"}
    # Closing a complaint still in `received` is refused for its state first (as on the
    # pages), whatever its fields.
    assert_problem(_fire(client, tok["chenjg"], cid, "close", {"satisfaction": {}}), 409,
                   "action_not_allowed")
    assert_problem(_fire(client, tok["wangli"], cid, "contact", {}), 422, "validation_error")
    assert_problem(_fire(client, tok["wangli"], cid, "fly", {}), 404, "not_found")
    assert_problem(_fire(client, tok["wangli"], cid, "contact", {"comment": "x"},
                         **{"If-Match": "yesterday"}), 400, "bad_request")
    assert count(rt, events) == 1


def test_history_lists_every_event_oldest_first(client, tok):
    cid = file(client, tok["wangli"]).get_json()["id"]
    _fire(client, tok["wangli"], cid, "contact", {"comment": "已致电客户"})
    body = client.get(f"/api/v1/complaints/{cid}/history", headers=bearer(tok["wangli"])).get_json()
    assert [e["action"] for e in body["items"]] == ["intake", "contact"]
    assert body["items"][1]["comment"] == "已致电客户" and body["items"][1]["at"].endswith("Z")


def test_the_list_filters_and_pages_in_a_stable_order_with_a_next_link(client, tok):
    ids = [file(client, tok["wangli"], mobile=f"1391234567{i}").get_json()["id"]
           for i in range(5)]
    _fire(client, tok["wangli"], ids[0], "assign", {"department": "marketing"})
    file(client, tok["wangli"], mobile="13700000000", media=True)
    h = bearer(tok["chenjg"])
    seen, url = [], "/api/v1/complaints?per_page=2&severity=normal"
    while url:
        page = client.get(url, headers=h).get_json()
        seen += [c["id"] for c in page["items"]]
        url = page["links"]["next"]
    assert seen == ids
    assert [c["id"] for c in client.get("/api/v1/complaints?state=assigned", headers=h)
            .get_json()["items"]] == [ids[0]]
    assert [c["id"] for c in client.get("/api/v1/complaints?department=marketing", headers=h)
            .get_json()["items"]] == [ids[0]]
    assert len(client.get("/api/v1/complaints?severity=major", headers=h).get_json()["items"]) == 1
    assert client.get("/api/v1/complaints?overdue=true", headers=h).get_json()["items"] == []
    future = (utcnow() + timedelta(days=1)).isoformat()
    assert client.get("/api/v1/complaints", query_string={"updated_since": future},
                      headers=h).get_json()["items"] == []
    assert len(client.get("/api/v1/complaints", query_string={"updated_since": "2020-01-01T00:00:00Z"},
                          headers=h).get_json()["items"]) == 6
    assert client.get("/api/v1/complaints", headers=bearer(tok["lina"])).get_json()["items"][0][
        "id"] == ids[0]                     # marketing sees only what reached marketing


def test_bad_list_parameters_are_all_listed(client, tok):
    response = client.get("/api/v1/complaints?state=lost&overdue=maybe&per_page=0&cursor=x"
                          "&updated_since=2026-11-30T09:00:00&colour=red", headers=bearer(tok["wangli"]))
    body = assert_problem(response, 422, "validation_error")
    assert set(body["errors"]) == {"state", "overdue", "per_page", "cursor", "updated_since",
                                   "colour"}


def test_the_process_definition_and_diagram_are_served(client, tok):
    h = bearer(tok["lina"])
    definition = client.get("/api/v1/process", headers=h).get_json()
    assert definition["initial"] == "received"
    assert {t["action"] for t in definition["transitions"]} >= {"assign", "reply", "escalate"}
    svg = client.get("/api/v1/process/diagram", headers=h)
    assert svg.mimetype == "image/svg+xml" and svg.get_data(as_text=True).startswith("<svg")
    mermaid = client.get("/api/v1/process/diagram?format=mermaid", headers=h)
    assert mermaid.get_data(as_text=True).startswith("stateDiagram-v2")
    assert_problem(client.get("/api/v1/process/diagram?format=png", headers=h), 422,
                   "validation_error")


def test_unknown_paths_and_methods_answer_problem_json(client, tok):
    assert_problem(client.get("/api/v1/nothing", headers=bearer(tok["wangli"])), 404, "not_found")
    response = client.delete("/api/v1/complaints", headers=bearer(tok["wangli"]))
    assert_problem(response, 405, "method_not_allowed")
    assert "POST" in response.headers["Allow"]


def test_a_token_over_its_rate_limit_gets_429_with_retry_after(rt, tok):
    client = make_app(rt, API_RATE_LIMIT="2/60").test_client()
    h = bearer(tok["wangli"])
    assert [client.get("/api/v1/process", headers=h).status_code for _ in range(2)] == [200, 200]
    response = client.get("/api/v1/process", headers=h)
    body = assert_problem(response, 429, "rate_limited")
    assert int(response.headers["Retry-After"]) >= 1 and body["retry_after"] >= 1
    assert client.get("/api/v1/process", headers=bearer(tok["lina"])).status_code == 200


def test_a_bearer_post_works_while_csrf_protection_guards_the_pages(rt, tok):
    app = make_app(rt)
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    signin = client.post("/login", data={"username": "wangli", "password": "x" * 10})
    assert signin.status_code == 400                        # pages still need a CSRF token
    file(client, tok["wangli"])


def test_the_reference_page_is_rendered_from_the_openapi_document(client):
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.1")
    page = client.get("/api/v1/docs").get_data(as_text=True)
    assert "<script" not in page and "http" not in page.replace("http://www.w3.org", "")
    for path in document["paths"]:
        assert f"/api/v1{path}" in page
    assert 'id="problem-precondition_failed"' in page


@pytest.mark.parametrize("script_name", ["", "/desk"])
def test_links_are_the_urls_flask_builds_also_when_mounted_under_a_prefix(rt, tok, script_name):
    app = make_app(rt)
    client = app.test_client()
    env = "http://localhost" + script_name      # base_url: SCRIPT_NAME is its path
    created = client.post("/api/v1/complaints", json=complaint_values(),
                          headers=bearer(tok["wangli"]), base_url=env)
    cid = created.get_json()["id"]
    body = client.get(f"/api/v1/complaints/{cid}", headers=bearer(tok["wangli"]),
                      base_url=env).get_json()
    listed = client.get("/api/v1/complaints", headers=bearer(tok["wangli"]),
                        base_url=env).get_json()["items"]
    with app.test_request_context(base_url=env):
        from flask import url_for
        expected = url_for("api.complaint", complaint_id=cid)
        history = url_for("api.history", complaint_id=cid)
    assert expected.startswith(script_name + "/api/v1/")
    assert body["links"] == {"self": expected, "history": history}
    assert [i["links"]["self"] for i in listed if i["id"] == cid] == [expected]
    assert created.headers["Location"] == expected


def test_answers_are_compact_utf8_json_in_the_order_the_api_builds_them(client, tok):
    response = file(client, tok["wangli"])
    text = response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    assert "已受理" in text and "\\u" not in text          # UTF-8, not \u escapes
    assert list(json.loads(text))[:3] == ["id", "number", "state"]
    assert json.loads(text) == response.get_json()
