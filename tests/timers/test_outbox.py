"""The outbox sender: the log by default, SMTP to a local server the test starts, retries."""
from __future__ import annotations

import socket
from datetime import timedelta
from email import message_from_bytes
from email.header import decode_header, make_header

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from tests.conftest import OPERATOR, complaint_values
from timers import notify
from workflow import services
from workflow.store import outbox as queue
from workflow.store.complaints import load
from workflow.store.schema import outbox


class Inbox:
    """An aiosmtpd handler keeping every message it receives."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content)))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server():
    """A real SMTP server on 127.0.0.1 (an ephemeral port) collecting mail."""
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield controller, inbox
    controller.stop()


def _queue_one(rt, now) -> int:
    cid = services.intake(rt, OPERATOR, complaint_values(), now=now).complaint.id
    with rt.uow() as uow:
        queue.write(uow, [queue.message(load(uow, cid), "deadline_warning",
                                        "【即将超时】投诉 答复客户期限", "请尽快处理。", now=now)])
        uow.commit()
    return cid


def _row(rt):
    with rt.engine.connect() as conn:
        return conn.execute(select(outbox)).one()


def test_smtp_delivers_each_notification_to_its_departments_and_marks_it_sent(
        rt, now, smtp_server):
    controller, inbox = smtp_server
    cid = _queue_one(rt, now)
    sender = notify.make_sender(
        f"smtp://127.0.0.1:{controller.port}?from=complaints@sz.example&domain=sz.example")
    assert notify.deliver(rt, sender, now=lambda: now) == 1
    [(rcpt, message)] = inbox.messages
    assert rcpt == ["network@sz.example", "customer_service@sz.example"]
    assert str(make_header(decode_header(message["Subject"]))) == "【即将超时】投诉 答复客户期限"
    assert message["X-Complaint-Id"] == str(cid)
    row = _row(rt)
    assert row.sent_at == now and row.attempts == 1
    assert notify.deliver(rt, sender, now=lambda: now + timedelta(hours=1)) == 0
    assert len(inbox.messages) == 1


def test_a_failed_delivery_is_retried_with_backoff_until_the_server_answers(rt, now, smtp_server):
    controller, inbox = smtp_server
    _queue_one(rt, now)
    down = notify.make_sender(f"smtp://127.0.0.1:{_free_port()}")     # nobody listens
    assert notify.deliver(rt, down, now=lambda: now) == 0
    first = _row(rt)
    assert first.attempts == 1 and first.sent_at is None and first.last_error
    assert first.next_attempt_at == now + timedelta(seconds=30)
    assert notify.deliver(rt, down, now=lambda: now + timedelta(seconds=29)) == 0
    assert _row(rt).attempts == 1                                     # not due yet
    notify.deliver(rt, down, now=lambda: now + timedelta(seconds=30))
    assert _row(rt).next_attempt_at == now + timedelta(seconds=90)    # 30 s, then 60 s
    up = notify.make_sender(f"smtp://127.0.0.1:{controller.port}")
    assert notify.deliver(rt, up, now=lambda: now + timedelta(seconds=90)) == 1
    assert _row(rt).attempts == 3 and _row(rt).sent_at is not None
    assert len(inbox.messages) == 1


def test_the_default_sender_logs_the_notification(rt, now, caplog):
    _queue_one(rt, now)
    caplog.set_level("INFO", logger="timers.notify")
    assert notify.deliver(rt, notify.make_sender(None), now=lambda: now) == 1
    assert "【即将超时】投诉 答复客户期限" in caplog.text and _row(rt).sent_at == now
