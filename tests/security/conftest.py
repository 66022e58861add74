"""Fixtures for the security tests: the page users of tests/web, each with an API token
too, on each database; and a snapshot of everything an action or intake may write."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.web.conftest import FAST_HASH, USERS
from web import create_app
from workflow.admin import tokens
from workflow.admin.directory import create_user
from workflow.store.schema import complaints, deadlines, events, outbox, users, utcnow

#: A key long enough for production (the app refuses shorter ones outside demo mode).
SECRET = "s" * 40


@pytest.fixture
def tokens_of(rt):
    """username -> API token, for one user per role (tests/web's USERS)."""
    out = {}
    with rt.uow() as uow:
        for username, (role, dept) in USERS.items():
            create_user(uow.conn, username, f"{username}-名", role, dept, None, now=utcnow())
            out[username] = tokens.create(uow.conn, username, "tests", now=utcnow())[1]
        uow.conn.execute(users.update().values(password_hash=FAST_HASH))
        uow.commit()
    return out


@pytest.fixture
def app(rt, tokens_of):
    """The application on the test database (pages and API), one user per role."""
    return create_app({"TESTING": True, "SECRET_KEY": SECRET, "API_RATE_LIMIT": "0"},
                      runtime=rt)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def api(tokens_of):
    """username -> the Authorization header of its token."""
    return {name: {"Authorization": f"Bearer {tok}"} for name, tok in tokens_of.items()}


def snapshot(rt) -> dict:
    """Every row an intake or an action may write (the access and sign-in logs aside)."""
    with rt.uow(write=False) as uow:
        return {t.name: [tuple(r) for r in uow.conn.execute(select(t).order_by(t.c.id))]
                for t in (complaints, events, deadlines, outbox, users)}
