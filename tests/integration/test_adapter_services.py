"""The use cases the pages, the API and the CLI share, on each database: marking a
user's notifications read, and recording each view of a customer's full number."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.conftest import complaint_values
from workflow import services
from workflow.domain.errors import NotFound
from workflow.services import directory, notifications, read, viewing
from workflow.store.schema import inbox, personal_data_views, utcnow

USERS = {"op": ("operator", "customer_service"), "net": ("handler", "network"),
         "audit": ("auditor", "market_operations")}


@pytest.fixture
def people(rt):
    for username, (role, department) in USERS.items():
        directory.add_user(rt, username, f"{username}-名", role, department, "测试密码-2026",
                           now=utcnow())
    with rt.uow(write=False) as uow:
        return {name: read.actor_for(uow, name) for name in USERS}


def _notes(rt, username: str, count: int) -> list[int]:
    with rt.uow() as uow:
        ids = [uow.conn.execute(inbox.insert().values(
            username=username, complaint_id=None, kind="warning", subject=f"答复时限预警 {i}",
            created_at=utcnow())).inserted_primary_key[0] for i in range(count)]
        uow.commit()
    return ids


def test_another_users_notification_does_not_exist_for_them_and_stays_unread(rt, people):
    mine, theirs = _notes(rt, "op", 2), _notes(rt, "net", 1)
    with pytest.raises(NotFound):
        notifications.mark_read(rt, "op", now=utcnow(), entry_id=theirs[0])
    done = notifications.mark_read(rt, "op", now=utcnow(), entry_id=mine[0])
    assert (done.marked, done.unread, done.entry.id) == (1, 1, mine[0])
    assert notifications.mark_read(rt, "op", now=utcnow(), entry_id=mine[0]).marked == 0
    assert notifications.mark_read(rt, "op", now=utcnow()).marked == 1
    with rt.uow(write=False) as uow:
        assert (read.unread_count(uow, "op"), read.unread_count(uow, "net")) == (0, 1)


def test_a_full_number_is_shown_and_recorded_only_to_a_role_that_works_the_complaint(
        rt, people):
    complaint = services.intake(rt, people["op"], complaint_values(), now=utcnow()).complaint
    assert viewing.full_number_shown(rt, people["op"], complaint, "page", now=utcnow())
    assert not viewing.full_number_shown(rt, people["audit"], complaint, "api", now=utcnow())
    with rt.engine.connect() as conn:
        rows = conn.execute(select(personal_data_views.c.username, personal_data_views.c.channel,
                                   func.count()).group_by(personal_data_views.c.username,
                                                          personal_data_views.c.channel)).all()
    assert [tuple(r) for r in rows] == [("op", "page", 1)]
