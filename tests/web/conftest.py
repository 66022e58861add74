"""Fixtures for the page tests: an app on each database, users for every role, sign-in."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import update
from werkzeug.security import generate_password_hash

from tests.conftest import complaint_values
from tests.demo_site import build
from web import create_app
from workflow import services
from workflow.admin import demo
from workflow.admin.directory import actor_for, create_user
from workflow.store.schema import users, utcnow

PASSWORD = "test-pass-2026"
#: username -> (role, department)
USERS = {
    "op": ("operator", "customer_service"),
    "net": ("handler", "network"),
    "mkt": ("handler", "marketing"),
    "desk": ("major_desk", "customer_service"),
    "audit": ("auditor", "market_operations"),
    "root": ("admin", "customer_service"),
}
#: A cheap hash for the tests (the product hashes with werkzeug's default, scrypt).
FAST_HASH = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def app(rt):
    """The application on the test database, with one user per role."""
    with rt.uow() as uow:
        for username, (role, dept) in USERS.items():
            create_user(uow.conn, username, f"{username}-名", role, dept, None, now=utcnow())
        uow.conn.execute(update(users).values(password_hash=FAST_HASH))
        uow.commit()
    return create_app({"TESTING": True, "SECRET_KEY": "test-secret"}, runtime=rt)


@pytest.fixture
def client(app):
    """A test client that is not signed in."""
    return app.test_client()


def token(client) -> str:
    """A CSRF token of the client's session (taken from a rendered form)."""
    return TOKEN.search(client.get("/login").get_data(as_text=True)).group(1)


def sign_in(client, username: str):
    """Sign the client in as one of USERS."""
    response = client.post("/login", data={"username": username, "password": PASSWORD,
                                            "csrf_token": token(client)})
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def post(client, url: str, data: dict | None = None, **kwargs):
    """POST a form with a valid CSRF token."""
    return client.post(url, data={**(data or {}), "csrf_token": token(client)}, **kwargs)


def actor(rt, username):
    """The workflow actor of a test user."""
    with rt.uow(write=False) as uow:
        return actor_for(uow.conn, username)


def file(rt, now=None, **overrides):
    """File a complaint as the operator through the real service; return the complaint."""
    return services.intake(rt, actor(rt, "op"), complaint_values(**overrides),
                           now=now or utcnow()).complaint


def page(response) -> str:
    """The response body as text."""
    return response.get_data(as_text=True)


@pytest.fixture(scope="session")
def site(tmp_path_factory, demo_cache):
    """The app on the swept demo data (tests/demo_site.py), with one signed-in client per
    demo user; built once per session, shared by the crawls that only read."""
    rt = build(tmp_path_factory.mktemp("crawl") / "complaints.db", cache=demo_cache)
    app = create_app({"TESTING": True, "SECRET_KEY": "crawl"}, runtime=rt)
    clients = {}
    for username, *_ in demo.DEMO_USERS:
        client = app.test_client()
        token = re.search(r'name="csrf_token" value="([^"]+)"',
                          client.get("/login").get_data(as_text=True)).group(1)
        assert client.post("/login", data={"username": username, "password": demo.DEMO_PASSWORD,
                                           "csrf_token": token}).status_code == 302
        clients[username] = client
    yield rt, app, clients
    rt.engine.dispose()




def demo_ids(body: str) -> list[int]:
    """The complaint ids of a queue page, in order."""
    return [int(i) for i in re.findall(r'<tr class="row-[a-z]+" data-id="(\d+)"', body)]
