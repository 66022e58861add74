"""The API's hot-path reads: one unit of work per action, token reads outside any
transaction, and PostgreSQL pool connections pinged only after sitting idle."""
from __future__ import annotations

from contextlib import contextmanager

import pytest
from sqlalchemy import event, text

from tests.apisupport import bearer, make_app, make_users_and_tokens
from tests.conftest import NETWORK, OPERATOR, complaint_values
from workflow import services
from workflow.admin import tokens
from workflow.services.actions import allowed_actions
from workflow.store import db, queries
from workflow.store.schema import utcnow


def _in_transaction(conn) -> bool:
    driver = conn.connection.driver_connection
    if conn.dialect.name == "sqlite":
        return driver.in_transaction
    return driver.info.transaction_status != driver.info.transaction_status.IDLE


def test_act_and_read_answers_what_a_later_read_sees_from_one_transaction(rt, now):
    cid = services.intake(rt, OPERATOR, complaint_values(), now=now).complaint.id
    services.act(rt, cid, "assign", OPERATOR, now=now, department="network")
    services.act(rt, cid, "accept", NETWORK, now=now)
    acted = services.act_and_read(rt, cid, "contact", NETWORK, now=now, comment="已回访")
    with rt.uow(write=False) as uow:
        stored = queries.deadlines_of(uow, cid)
        complaint = queries.get_complaint(uow, cid, NETWORK).complaint
        allowed = allowed_actions(uow, complaint, NETWORK)
    assert acted.complaint.version == complaint.version and acted.complaint.state == complaint.state
    assert acted.deadlines == [dict(row._mapping) for row in stored]
    assert {"first_contact", "progress_contact"} <= {d["kind"] for d in acted.deadlines}
    assert acted.allowed == allowed and "reply" in acted.allowed


def test_a_token_is_resolved_by_one_read_outside_any_transaction(rt):
    plain = make_users_and_tokens(rt)["zhangwei"]
    with rt.reader() as conn:
        token_id, actor, _ = tokens.resolve(conn, plain)
        assert not _in_transaction(conn)
        assert tokens.resolve(conn, plain + "x") is None
    assert (actor.username, actor.department) == ("zhangwei", "network")
    with rt.uow() as uow:
        tokens.revoke(uow.conn, token_id, now=utcnow())
        uow.commit()
    with rt.reader() as conn:
        assert tokens.resolve(conn, plain) is None


@pytest.mark.postgres
def test_an_idle_postgresql_connection_that_died_is_replaced_at_checkout(pg_database_url,
                                                                        monkeypatch):
    engine = db.make_engine(pg_database_url)
    victim = engine.connect()
    pid = victim.execute(text("SELECT pg_backend_pid()")).scalar()
    victim.commit()
    with engine.connect() as killer:
        killer.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        killer.commit()
    victim.close()              # back in the pool, dead
    monkeypatch.setattr(db, "IDLE_PING_SECONDS", 0.0)
    try:
        for _ in range(2):      # each pooled connection is checked out once more
            with engine.connect() as conn:
                assert conn.execute(text("SELECT pg_backend_pid()")).scalar() != pid
    finally:
        engine.dispose()


@contextmanager
def pool_events(rt, name, handler):
    """Listen to a pool event of the runtime's engine for the duration of the block."""
    event.listen(rt.engine, name, handler)
    try:
        yield
    finally:
        event.remove(rt.engine, name, handler)


def api_with_a_complaint(rt):
    """(test client, wangli's token, id of a complaint she filed through the API)."""
    token = make_users_and_tokens(rt)["wangli"]
    client = make_app(rt).test_client()
    cid = client.post("/api/v1/complaints", json=complaint_values(),
                      headers=bearer(token)).get_json()["id"]
    return client, token, cid


def test_an_api_action_checks_out_one_connection(rt, now):
    client, token, cid = api_with_a_complaint(rt)
    checkouts = []
    with pool_events(rt, "checkout", lambda dbapi, record, proxy: checkouts.append(record)):
        response = client.post(f"/api/v1/complaints/{cid}/actions/contact",
                               json={"comment": "已回访"}, headers=bearer(token))
        ping = client.get("/api/v1/ping")
    assert response.status_code == 200 and response.get_json()["version"] == 2
    assert ping.status_code == 200
    assert len(checkouts) == 1          # token read and action share one; ping takes none


def test_a_unit_of_work_opened_inside_another_gets_a_connection_of_its_own(rt, now):
    with rt.bound():
        with rt.uow() as outer:
            with rt.uow(write=False) as inner:
                assert inner.conn is not outer.conn
                inner.conn.execute(text("SELECT 1"))
            outer.commit()
        with rt.uow(write=False) as again, rt.reader() as conn:
            assert conn is not again.conn          # busy: the reader gets its own
    with rt.bound():
        with rt.reader() as first:
            pass
        with rt.uow(write=False) as after:
            assert after.conn is first              # free again: the same one


def test_a_request_that_only_read_returns_its_connection_without_a_rollback(rt, now):
    # On PostgreSQL a ROLLBACK makes psycopg forget its prepared statements; a request
    # that read the token and then answered 4xx must not leave a transaction for the
    # pool to roll back.
    client, token, cid = api_with_a_complaint(rt)
    open_at_reset = []

    def on_reset(dbapi, record, state):
        open_at_reset.append(dbapi.in_transaction if rt.engine.dialect.name == "sqlite"
                             else dbapi.info.transaction_status != dbapi.info.transaction_status.IDLE)
    with pool_events(rt, "reset", on_reset):
        bad = client.post(f"/api/v1/complaints/{cid}/actions/contact", json={"comment": ""},
                          headers=bearer(token))
        good = client.post(f"/api/v1/complaints/{cid}/actions/contact",
                           json={"comment": "已回访"}, headers=bearer(token))
    assert bad.status_code == 422 and good.status_code == 200
    assert open_at_reset == [False, False]
