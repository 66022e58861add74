"""Prepared hot-path statements write and read exactly what SQLAlchemy would, on both databases."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import bindparam, insert, select
from sqlalchemy.exc import IntegrityError

from tests.conftest import OPERATOR, complaint_values
from workflow import services
from workflow.store.fastsql import Prepared
from workflow.store.schema import complaints, events

LOAD = Prepared(select(complaints).where(complaints.c.id == bindparam("id")))
INSERT_EVENT = Prepared(insert(events))


def test_a_prepared_read_returns_the_values_sqlalchemy_returns(rt, now):
    cid = services.intake(rt, OPERATOR, complaint_values(media=True), now=now).complaint.id
    with rt.uow(write=False) as uow:
        fast = LOAD.first(uow.conn, {"id": cid})
        slow = dict(uow.conn.execute(select(complaints).where(complaints.c.id == cid))
                    .mappings().one())
        missing = LOAD.first(uow.conn, {"id": cid + 1000})
    assert fast == slow and missing is None
    assert fast["created_at"] == now and fast["created_at"].tzinfo is not None
    assert fast["media"] is True and fast["major_reasons"] == ["media"]


def test_a_prepared_write_converts_values_by_column_type_and_raises_sqlalchemy_errors(rt, now):
    cid = services.intake(rt, OPERATOR, complaint_values(), now=now).complaint.id
    later = now + timedelta(hours=1)
    with rt.uow() as uow:
        assert INSERT_EVENT.execute(uow.conn, dict(
            complaint_id=cid, at=later, actor="x", actor_role="operator", action="contact",
            from_state="received", to_state="received", comment="", data={"k": [1, "二"]})) == 1
        uow.commit()
    with rt.engine.connect() as conn:
        row = conn.execute(select(events).order_by(events.c.id.desc())).first()
    assert row.at == later and row.data == {"k": [1, "二"]}
    with rt.uow() as uow, pytest.raises(IntegrityError):
        INSERT_EVENT.execute(uow.conn, dict(complaint_id=cid, at=later, actor=None,
                                            actor_role="operator", action="contact",
                                            to_state="received", comment="", data={}))
