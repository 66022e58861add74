"""Every answer of the API has exactly the shape of its response model (web.api.models),
which is also what the OpenAPI document says: a key added to a representation and not
to the model, or the other way round, fails here."""
from __future__ import annotations

import pytest
from pydantic import ValidationError

from tests.apisupport import bearer, make_app, make_users_and_tokens
from tests.conftest import complaint_values
from web.api import models


@pytest.fixture
def api(rt):
    tok = make_users_and_tokens(rt)
    client = make_app(rt).test_client()
    return client, tok


def test_every_answer_matches_its_response_model_field_for_field(api):
    client, tok = api
    op, handler = bearer(tok["wangli"]), bearer(tok["zhangwei"])
    filed = client.post("/api/v1/complaints", json=complaint_values(), headers=op).get_json()
    models.ComplaintDetail.model_validate(filed)
    cid = filed["id"]
    client.post(f"/api/v1/complaints/{cid}/actions/assign", json={"department": "network"},
                headers=op)
    client.post(f"/api/v1/complaints/{cid}/actions/accept", json={}, headers=handler)
    acted = client.post(f"/api/v1/complaints/{cid}/actions/pause",
                        json={"reason": "等待客户提供账单"}, headers=handler)
    assert acted.status_code == 200
    detail = models.ComplaintDetail.model_validate(acted.get_json())
    assert detail.paused and {d.kind for d in detail.deadlines} >= {"reply", "first_contact"}
    page = client.get("/api/v1/complaints?per_page=1", headers=op).get_json()
    assert models.ComplaintPage.model_validate(page).items
    history = client.get(f"/api/v1/complaints/{cid}/history", headers=op).get_json()
    assert [e.action for e in models.History.model_validate(history).items] == [
        "intake", "assign", "accept", "pause"]
    clocks = models.Clocks.model_validate(
        client.get(f"/api/v1/complaints/{cid}/clocks", headers=op).get_json())
    events = {(r.kind, e.event) for r in clocks.runs for e in r.entries}
    assert {("assign", "met"), ("reply", "paused"), ("reply", "started")} <= events
    refused = client.post(f"/api/v1/complaints/{cid}/actions/close",
                          json={"satisfaction": "satisfied"}, headers=op)
    assert models.Problem.model_validate(refused.get_json()).allowed is not None
    invalid = client.post("/api/v1/complaints", json={"mobile": 1, "colour": "red"}, headers=op)
    assert set(models.Problem.model_validate(invalid.get_json()).errors) >= {"mobile", "colour"}
    models.Ping.model_validate(client.get("/api/v1/ping").get_json())
    models.ProcessDefinition.model_validate(client.get("/api/v1/process", headers=op).get_json())


def test_a_key_the_model_does_not_know_is_refused():
    with pytest.raises(ValidationError):
        models.Ping.model_validate({"status": "ok", "uptime": 3})
    with pytest.raises(ValidationError):
        models.ACTION_MODELS["transfer"].model_validate({"department": "network"})


def test_request_models_follow_the_field_specs():
    schema = models.component_schemas()
    assert schema["TransferFields"]["required"] == ["department", "reason"]
    assert schema["ContactFields"]["required"] == ["comment"]
    assert schema["ComplaintCreate"]["required"] == ["mobile", "channel", "cause", "text"]
    assert schema["ComplaintCreate"]["additionalProperties"] is False
