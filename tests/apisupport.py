"""Helpers for the JSON API tests: users with tokens, an app, and a live loopback server."""
from __future__ import annotations

import threading

from werkzeug.serving import WSGIRequestHandler, make_server

from web import create_app
from workflow.admin import tokens
from workflow.admin.directory import create_user
from workflow.store.schema import utcnow

#: username -> (display name, role, department)
USERS = {
    "wangli": ("王丽", "operator", "customer_service"),
    "zhangwei": ("张伟", "handler", "network"),
    "lina": ("李娜", "handler", "marketing"),
    "chenjg": ("陈建国", "major_desk", "customer_service"),
    "liufang": ("刘芳", "auditor", "market_operations"),
    "zhaoyan": ("赵燕", "operator", "logistics"),
}


def make_users_and_tokens(rt) -> dict[str, str]:
    """Create the USERS and one API token each; return username -> plain token."""
    out = {}
    with rt.uow() as uow:
        for username, (name, role, department) in USERS.items():
            create_user(uow.conn, username, name, role, department, None, now=utcnow())
            out[username] = tokens.create(uow.conn, username, "tests", now=utcnow())[1]
        uow.commit()
    return out


def make_app(rt, **config):
    """The application around `rt`, with a rate limit high enough not to get in the way."""
    return create_app({"TESTING": True, "SECRET_KEY": "test", "API_RATE_LIMIT": "100000/1",
                       **config}, runtime=rt)


def bearer(token: str) -> dict[str, str]:
    """The Authorization header for a token."""
    return {"Authorization": f"Bearer {token}"}


class QuietHandler(WSGIRequestHandler):
    """Werkzeug's handler without a log line per request."""

    def log_request(self, *args, **kwargs):
        pass


class LiveServer:
    """The app served by Werkzeug on 127.0.0.1, an ephemeral port, in a thread."""

    def __init__(self, app):
        self.server = make_server("127.0.0.1", 0, app, threaded=True,
                                  request_handler=QuietHandler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "LiveServer":
        self.thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)
