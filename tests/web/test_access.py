"""Every page for every role: who gets the page, who gets 403, who gets 404."""
from __future__ import annotations

import pytest

from tests.web.conftest import USERS, actor, file, page, post, sign_in
from workflow import services
from workflow.store.schema import utcnow

#: page -> roles that get it (others get 403)
PAGES = {
    "/": set(USERS),
    "/complaints/new": {"op", "desk"},
    "/admin/users": {"root"},
    "/admin/departments": {"root"},
    "/admin/status": {"root"},
    "/admin/liaisons": {"root", "desk"},
    "/admin/policy": {"root", "desk", "audit"},
}


@pytest.mark.parametrize("username", sorted(USERS))
def test_each_role_gets_exactly_its_pages_and_403_for_the_others(client, username):
    sign_in(client, username)
    for url, allowed in PAGES.items():
        status = client.get(url).status_code
        assert status == (200 if username in allowed else 403), (url, status)


def test_every_page_sends_a_visitor_who_is_not_signed_in_to_the_sign_in_page(client):
    for url in [*PAGES, "/complaints/1"]:
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_complaint_page_is_404_for_a_department_that_may_not_see_it(rt, client):
    cid = file(rt).id                                  # routed to network
    sign_in(client, "mkt")
    response = client.get(f"/complaints/{cid}")
    assert response.status_code == 404
    assert "找不到" in page(response)
    assert post(client, f"/complaints/{cid}/contact", {"comment": "x", "version": 1}
                ).status_code == 404
    assert client.get("/complaints/999999").status_code == 404


@pytest.mark.parametrize("username,sees", [("op", True), ("net", True), ("desk", True),
                                           ("audit", True), ("root", True), ("mkt", False)])
def test_who_sees_a_network_complaint(rt, client, username, sees):
    cid = file(rt).id
    sign_in(client, username)
    assert client.get(f"/complaints/{cid}").status_code == (200 if sees else 404)


def test_the_auditor_sees_a_complaint_without_any_action_and_gets_403_when_posting(rt, client):
    cid = file(rt).id
    sign_in(client, "audit")
    body = page(client.get(f"/complaints/{cid}"))
    assert 'id="act-' not in body and "只有查看权限" in body
    response = post(client, f"/complaints/{cid}/assign", {"department": "network", "version": 1})
    assert response.status_code == 403


def test_the_former_department_sees_a_transferred_complaint_read_only(rt, client):
    c = file(rt)
    now = utcnow()
    services.act(rt, c.id, "assign", actor(rt, "op"), now=now, department="network")
    services.act(rt, c.id, "accept", actor(rt, "net"), now=now)
    services.act(rt, c.id, "transfer", actor(rt, "net"), now=now, department="marketing",
                      reason="属于资费问题")
    sign_in(client, "net")
    body = page(client.get(f"/complaints/{c.id}"))
    assert "只有查看权限" in body and 'id="act-' not in body
    response = post(client, f"/complaints/{c.id}/contact", {"comment": "已联系", "version": 4})
    assert response.status_code == 403


def test_a_handler_is_offered_only_the_actions_of_its_role_and_the_state(rt, client):
    c = file(rt)
    services.act(rt, c.id, "assign", actor(rt, "op"), now=utcnow(), department="network")
    sign_in(client, "net")
    body = page(client.get(f"/complaints/{c.id}"))
    assert 'id="act-accept"' in body and 'id="act-transfer"' in body
    assert 'id="act-assign"' not in body and 'id="act-close"' not in body
    assert post(client, f"/complaints/{c.id}/assign", {"department": "marketing", "version": 2}
                ).status_code == 403


def test_an_unknown_action_is_404(rt, client):
    cid = file(rt).id
    sign_in(client, "desk")
    assert post(client, f"/complaints/{cid}/explode", {"version": 1}).status_code == 404
