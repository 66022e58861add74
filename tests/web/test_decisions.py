"""The service alone decides 404 / 403 / 409 / 422: over the whole role × state × action
table, with valid fields and with a field over its limit, the page and the API give the
same answer, the one the domain decides, and a refused request writes nothing."""
from __future__ import annotations

import pytest

from states.fields import MAX_TEXT
from states.process import ACTIONS, State
from tests.web.conftest import USERS, actor, file, sign_in, token
from workflow import services
from workflow.admin import tokens
from workflow.domain import errors
from workflow.domain.actions import decide
from workflow.store.complaints import load
from workflow.store.schema import utcnow

#: On both databases: a refused request must leave both write paths' rows unchanged.
pytestmark = pytest.mark.both_databases

#: How to bring a new complaint (network, filed by the operator) into each state.
PATH = [("assign", "op", {"department": "network"}), ("accept", "net", {}),
        ("reply", "net", {"comment": "已答复客户"}), ("close", "op", {"satisfaction": "satisfied"}),
        ("reopen", "op", {"reason": "客户仍不满意"})]
STEPS = {State.received: 0, State.assigned: 1, State.handling: 2, State.replied: 3,
         State.closed: 4, State.reopened: 5}
#: Fields that are valid for every action where it may happen at all.
FIELDS = {"assign": {"department": "network"}, "transfer": {"department": "marketing",
                                                            "reason": "属营销问题"},
          "contact": {"comment": "已电话联系客户"}, "reply": {"comment": "已答复客户"},
          "close": {"satisfaction": "satisfied"}, "reopen": {"reason": "客户仍不满意"},
          "escalate": {"reason": "客户投诉到媒体"}, "pause": {"reason": "等待客户提供账单"}}
STATUS = {errors.NotFound: 404, errors.Forbidden: 403, errors.ActionNotAllowed: 409,
          errors.ValidationError: 422, errors.Conflict: 409}


def in_state(rt, state, now):
    """A new complaint in `state`; return its id."""
    cid = file(rt, now=now).id
    for action, username, fields in PATH[:STEPS[state]]:
        services.act(rt, cid, action, actor(rt, username), now=now, **fields)
    return cid


def bad(action) -> dict:
    """The action's valid fields with a comment over the limit."""
    return {**FIELDS.get(action, {}), "comment": "超" * (MAX_TEXT + 1)}


def expected(rt, cid, action, username, now, fields) -> int:
    """What the domain decides for this request, as an HTTP status (200: it happens)."""
    with rt.uow(write=False) as uow:
        complaint = load(uow, cid)
        try:
            decide(uow.process, uow.policy, complaint, action, actor(rt, username), now=now,
                   values=fields)
        except errors.DomainError as exc:
            return STATUS[type(exc)]
    return 200


def version(rt, cid) -> int:
    with rt.uow(write=False) as uow:
        return load(uow, cid).version


@pytest.mark.parametrize("variant", ["valid", "too_long"])
@pytest.mark.parametrize("state", list(STEPS), ids=lambda s: s.value)
def test_page_and_api_answer_every_role_and_action_alike_and_as_the_domain_decides(
        rt, app, state, variant):
    now = utcnow()
    clients, bearer = {}, {}
    with rt.uow() as uow:
        for username in USERS:
            bearer[username] = {"Authorization": "Bearer " + tokens.create(
                uow.conn, username, "tests", now=now)[1]}
        uow.commit()
    for username in USERS:
        clients[username] = sign_in(app.test_client(), username)
        clients[username].csrf = token(clients[username])
    seen = set()
    page_cid = api_cid = None
    for username in USERS:
        for action in ACTIONS:
            fields = FIELDS.get(action, {}) if variant == "valid" else bad(action)
            if page_cid is None:    # a refused request leaves them as they were: reused
                page_cid, api_cid = in_state(rt, state, now), in_state(rt, state, now)
            want = expected(rt, page_cid, action, username, now, fields)
            before = version(rt, page_cid)
            page = clients[username].post(f"/complaints/{page_cid}/{action}", data={
                **fields, "version": str(before), "csrf_token": clients[username].csrf})
            api = app.test_client().post(f"/api/v1/complaints/{api_cid}/actions/{action}",
                                         json=fields, headers=bearer[username])
            page_status = 200 if page.status_code == 302 else page.status_code
            case = (username, state.value, action)
            assert (page_status, api.status_code) == (want, want), case
            if want != 200:
                assert version(rt, page_cid) == before and version(rt, api_cid) == before, case
            else:
                page_cid = api_cid = None
            seen.add(want)
    # Valid fields: every answer but 422; a comment too long: 422 wherever the action may go.
    assert seen >= ({200, 403, 404, 409} if variant == "valid" else {403, 404, 409, 422})


def test_a_handler_closing_a_complaint_in_handling_is_forbidden_on_both_entry_points(rt, app):
    now = utcnow()
    cid = in_state(rt, State.handling, now)
    with rt.uow() as uow:
        plain = tokens.create(uow.conn, "net", "tests", now=now)[1]
        uow.commit()
    client = sign_in(app.test_client(), "net")
    page = client.post(f"/complaints/{cid}/close", data={
        "satisfaction": "satisfied", "version": str(version(rt, cid)), "csrf_token": token(client)})
    api = app.test_client().post(f"/api/v1/complaints/{cid}/actions/close",
                                 json={"satisfaction": "satisfied"},
                                 headers={"Authorization": f"Bearer {plain}"})
    assert (page.status_code, api.status_code) == (403, 403)
