"""bench/floor_app.py: its floor endpoints do a contact's writes, readable by the service.

`bench/api_floor.py` compares the service's action with these endpoints and alternates
them on the same complaints, so they must write what a contact writes (new version, one
history event, the first-contact clock stopped, the progress clock restarted) and leave
rows the service reads and acts on afterwards.
"""
from __future__ import annotations

import pytest
from sqlalchemy import select

from bench.floor_app import make_app
from tests.apisupport import bearer, make_users_and_tokens
from tests.apisupport import make_app as make_api_app
from tests.conftest import complaint_values
from workflow import services
from workflow.admin.directory import actor_for
from workflow.store import queries
from workflow.store.schema import clock_events, utcnow


@pytest.fixture
def setup(rt):
    tokens = make_users_and_tokens(rt)
    with rt.uow() as uow:
        actor = actor_for(uow.conn, "wangli")
    cid = services.intake(rt, actor, complaint_values(), now=utcnow()).complaint.id
    return make_app(make_api_app(rt)).test_client(), bearer(tokens["wangli"]), cid


def _state(rt, cid):
    with rt.uow(write=False) as uow:
        complaint = queries.load(uow, cid)
        clocks = {row.kind: (row.status, row.started_at) for row in queries.deadlines_of(uow, cid)}
        history = [row.action for row in queries.history_of(uow, cid)]
        history += [f"{row.event} {row.kind}" for row in uow.conn.execute(
            select(clock_events).where(clock_events.c.complaint_id == cid)
            .order_by(clock_events.c.id))]
    return complaint.version, clocks, history


@pytest.mark.parametrize("variant", ["statements", "fewest"])
def test_a_floor_writes_what_a_contact_writes(rt, setup, variant):
    client, auth, cid = setup
    version, clocks, history = _state(rt, cid)
    assert clocks["first_contact"][0] == clocks["progress_contact"][0] == "active"

    answer = client.post(f"/bench/floor/{variant}/{cid}", json={"comment": "回访"}, headers=auth)
    assert answer.status_code == 200, answer.data

    after_version, after_clocks, after_history = _state(rt, cid)
    assert after_version == version + 1
    # One more action, and the two clock-history entries a contact writes.
    actions = [h for h in history if " " not in h]
    assert after_history[:len(actions) + 1] == [*actions, "contact"]
    assert after_history[len(actions) + 1:] == [*history[len(actions):],
                                                "met first_contact", "started progress_contact"]
    assert after_clocks["first_contact"][0] == "stopped"
    assert after_clocks["progress_contact"][0] == "active"
    assert after_clocks["progress_contact"][1] > clocks["progress_contact"][1]
    # The service reads what the floor wrote and acts on it.
    shown = client.get(f"/api/v1/complaints/{cid}", headers=auth)
    assert shown.status_code == 200 and shown.json["version"] == after_version
    acted = client.post(f"/api/v1/complaints/{cid}/actions/contact", json={"comment": "再次回访"},
                        headers=auth)
    assert acted.status_code == 200 and acted.json["version"] == after_version + 1


@pytest.mark.parametrize("variant", ["statements", "fewest"])
def test_a_floor_checks_the_token_and_the_complaint(setup, variant):
    client, auth, cid = setup
    assert client.post(f"/bench/floor/{variant}/{cid}", json={},
                       headers=bearer("cpt_unknown")).status_code == 401
    assert client.post(f"/bench/floor/{variant}/{cid + 1000}", json={},
                       headers=auth).status_code == 404
