"""The access rules are defined once (workflow.domain.access): the Python checks and the
SQL filters of the queue and the API list (workflow.store.queries) must pick the same
complaints (who sees; whose turn it is, always within who may act), for every role and
department, on every combination of a complaint's three department columns."""
from __future__ import annotations

import itertools

from sqlalchemy import select

from states.process import Role
from workflow.domain import access
from workflow.domain.model import Actor, Complaint
from workflow.store import queries
from workflow.store.schema import complaints as t

DEPARTMENTS = ("customer_service", "network", "marketing", "logistics")


def _seed(rt, now) -> None:
    rows = []
    for origin, current, routed in itertools.product(DEPARTMENTS, repeat=3):
        rows.append(dict(state="handling", version=1, mobile="13812345678", channel="hotline",
                         source="direct", cause="coverage", text="小区信号差",
                         routed_department=routed, department=current,
                         originating_department=origin, policy_version=rt.policy.number,
                         created_by="operator", created_at=now, updated_at=now,
                         major_reasons=[]))
    with rt.uow() as uow:
        uow.conn.execute(t.insert(), rows)
        uow.commit()


def test_python_checks_and_sql_filters_agree_for_every_role_department_and_complaint(rt, now):
    _seed(rt, now)
    with rt.uow(write=False) as uow:
        loaded = [Complaint.from_row(r) for r in uow.conn.execute(select(t)).mappings()]
        assert len(loaded) == len(DEPARTMENTS) ** 3
        for role, department in itertools.product(Role, DEPARTMENTS):
            actor = Actor("someone", role, department)
            seen_sql = set(uow.conn.execute(
                select(t.c.id).where(queries.visible_clause(actor))).scalars())
            turn_sql = set(uow.conn.execute(
                select(t.c.id).where(queries.turn_clause(actor))).scalars())
            assert seen_sql == {c.id for c in loaded if access.may_see(actor, c)}, actor
            assert turn_sql == {c.id for c in loaded if access.is_my_turn(actor, c)}, actor
            assert turn_sql <= {c.id for c in loaded if access.may_act(actor, c)}, actor
            counts = queries.counts_by_state(uow, actor)
            assert counts.get("handling", 0) == len(seen_sql), actor
