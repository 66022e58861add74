"""Notifications inside the app, on each database: a warning or escalation the timer
worker fires reaches the handler of record's inbox (or, when nobody holds the complaint,
the department's users'), once, in the same transaction as its outbox row; the page
header counts the unread; the inbox lists newest first and links to the complaint;
marking read is per user; the same entries through the API."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.apisupport import bearer
from tests.timers.helpers import FakeClock, sweep_at
from tests.timers.helpers import worker_on as start_worker
from tests.web.conftest import actor, file, page, post, sign_in
from workflow import services
from workflow.admin import tokens
from workflow.admin.directory import create_user
from workflow.store.schema import inbox, outbox, utcnow

#: On both databases: the timer worker's notifications are written on each database.
pytestmark = pytest.mark.both_databases

COUNT = re.compile(r'id="unread-count"[^>]*>(\d+)<')


def _entries(rt, username) -> list:
    with rt.engine.connect() as conn:
        return conn.execute(select(inbox).where(inbox.c.username == username)
                            .order_by(inbox.c.id)).all()


def _second_network_handler(rt):
    with rt.uow() as uow:
        create_user(uow.conn, "net2", "黄涛", "handler", "network", None, now=utcnow())
        uow.commit()


def _assigned(rt, now) -> int:
    cid = file(rt, now=now).id
    services.act(rt, cid, "assign", actor(rt, "op"), now=now, department="network")
    return cid


def _header_count(client) -> int:
    found = COUNT.search(page(client.get("/")))
    return int(found.group(1)) if found else 0


def test_a_timer_warning_reaches_the_handlers_inbox_once_with_the_count_in_the_header(
        rt, client, now):
    _second_network_handler(rt)
    cid = _assigned(rt, now)
    services.act(rt, cid, "accept", actor(rt, "net"), now=now)
    worker = start_worker(rt, FakeClock(now))
    try:
        sweep_at(worker, now + timedelta(hours=18, minutes=1))     # 75 % of first contact
        sweep_at(worker, now + timedelta(hours=18, minutes=2))     # nothing new
    finally:
        worker.close()
    with rt.engine.connect() as conn:
        warnings = conn.execute(select(func.count()).select_from(outbox)
                                .where(outbox.c.kind == "deadline_warning")).scalar()
    assert warnings == 1
    entries = _entries(rt, "net")
    assert [(e.kind, e.complaint_id, e.read_at) for e in entries] == [
        ("deadline_warning", cid, None)]
    assert "即将超时" in entries[0].subject
    assert _entries(rt, "net2") == [] and _entries(rt, "op") == []

    sign_in(client, "net")
    assert _header_count(client) == 1
    body = page(client.get("/inbox"))
    assert f'href="/complaints/{cid}"' in body and 'class="entry unread"' in body
    opened = post(client, f"/inbox/{entries[0].id}/read", {"open": "1"})
    assert opened.status_code == 302 and opened.headers["Location"].endswith(f"/complaints/{cid}")
    assert _header_count(client) == 0 and _entries(rt, "net")[0].read_at is not None


def test_with_nobody_holding_it_the_departments_users_each_get_it_and_read_it_for_themselves(
        rt, client, now):
    _second_network_handler(rt)
    _assigned(rt, now)
    worker = start_worker(rt, FakeClock(now))
    try:
        sweep_at(worker, now + timedelta(hours=18, minutes=1))     # first-contact warning
        sweep_at(worker, now + timedelta(hours=48, minutes=1))     # reply missed: escalated
    finally:
        worker.close()
    for username in ("net", "net2"):      # the warnings while network had it, nobody holding it
        kinds = [e.kind for e in _entries(rt, username)]
        assert kinds.count("deadline_warning") >= 1 and "escalation" not in kinds
    # The escalation moved it to the customer service centre with no handler: its
    # operators and desk are told; administrators, auditors and other departments are not.
    for username in ("op", "desk"):
        assert [e.kind for e in _entries(rt, username)] == ["escalation"]
    assert _entries(rt, "root") == [] and _entries(rt, "audit") == [] and _entries(rt, "mkt") == []

    sign_in(client, "net")
    before = len(_entries(rt, "net"))
    assert _header_count(client) == before
    body = page(client.get("/inbox"))
    ids = [int(i) for i in re.findall(r'<li class="entry unread" data-id="(\d+)"', body)]
    assert ids == sorted(ids, reverse=True) and len(ids) == before     # newest first
    post(client, "/inbox/read-all")
    assert _header_count(client) == 0
    assert all(e.read_at is None for e in _entries(rt, "net2"))           # still theirs to read
    client.post("/logout", data={})


def test_the_api_lists_the_users_notifications_and_marks_them_read(rt, app, now):
    _second_network_handler(rt)
    cid = _assigned(rt, now)
    worker = start_worker(rt, FakeClock(now))
    try:
        sweep_at(worker, now + timedelta(hours=18, minutes=1))
    finally:
        worker.close()
    with rt.uow() as uow:
        net = tokens.create(uow.conn, "net", "tests", now=utcnow())[1]
        net2 = tokens.create(uow.conn, "net2", "tests", now=utcnow())[1]
        uow.commit()
    api = app.test_client()
    listed = api.get("/api/v1/notifications", headers=bearer(net)).get_json()
    assert listed["unread"] == len(listed["items"]) >= 1
    first = listed["items"][0]
    assert first["complaint_id"] == cid and first["read"] is False
    assert first["complaint_number"].startswith("TS") and first["kind"] == "deadline_warning"
    other = api.post(f"/api/v1/notifications/{first['id']}/read", headers=bearer(net2))
    assert other.status_code == 404                       # another user's entry
    marked = api.post(f"/api/v1/notifications/{first['id']}/read", headers=bearer(net))
    assert marked.get_json() == {"marked": 1, "unread": listed["unread"] - 1}
    unread = api.get("/api/v1/notifications?unread=true", headers=bearer(net)).get_json()
    assert first["id"] not in [i["id"] for i in unread["items"]]
    assert api.post("/api/v1/notifications/read", headers=bearer(net2)).get_json()["unread"] == 0
    assert api.get("/api/v1/notifications?unread=maybe", headers=bearer(net)).status_code == 422
