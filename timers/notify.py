"""The outbox sender: delivers queued notifications, retrying with backoff.

A pass takes a lease on a few pending rows (pushing their `next_attempt_at` forward,
with `FOR UPDATE SKIP LOCKED` on PostgreSQL) and commits, sends them outside any
transaction, then marks each sent or schedules its retry. A sender that dies
mid-send leaves the lease to expire and the row is sent again: delivery is at least
once. The default sender writes to the log; `smtp://host:port?from=…&domain=…`
(COMPLAINTS_SMTP_URL) sends mail to `<department>@<domain>`.
"""
from __future__ import annotations

import logging
import smtplib
from collections.abc import Callable
from datetime import datetime, timedelta
from email.message import EmailMessage
from urllib.parse import parse_qs, unquote, urlsplit

from sqlalchemy import bindparam, select, update

from workflow import metrics
from workflow.store.schema import outbox as t
from workflow.store.schema import utcnow

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)
MAX_ATTEMPTS = 10
_UPDATE = update(t).where(t.c.id == bindparam("_id"))


def backoff(attempts: int) -> timedelta:
    """Wait before retry number `attempts`: 30 s, 1 min, 2 min, … at most 1 h."""
    return timedelta(seconds=min(30 * 2 ** (attempts - 1), 3600))


class LogSender:
    """Writes each notification to the log (the default)."""

    def send(self, row) -> None:
        """Log the notification."""
        log.info("notification %s to %s: %s", row.id, ",".join(row.recipients), row.subject)


def redacted(url: str) -> str:
    """The URL with any password replaced by ***, for errors and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rpartition("@")
    user = netloc[0].partition(":")[0]
    return parts._replace(netloc=f"{user}:***@{netloc[2]}").geturl()


class SmtpSender:
    """Sends each notification as one mail to `<department>@<domain>` for every recipient."""

    def __init__(self, url: str, timeout: float = 10.0):
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps"):
            raise ValueError("SMTP URL must start with smtp:// or smtps://, got "
                             f"{redacted(url)!r}")
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 25
        self.tls = parts.scheme == "smtps"
        self.user = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.sender = query.get("from", "complaints@localhost")
        self.domain = query.get("domain", "localhost")
        self.timeout = timeout

    def send(self, row) -> None:
        """Deliver one notification; raises on any SMTP or network error."""
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = ", ".join(f"{code}@{self.domain}" for code in row.recipients)
        message["Subject"] = row.subject
        message["X-Complaint-Id"] = str(row.complaint_id or "")
        message.set_content(row.body)
        if getattr(row, "attachment", None):
            message.add_attachment(row.attachment, maintype="application",
                                   subtype="vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                                   filename=row.attachment_name or "attachment.xlsx")
        smtp_class = smtplib.SMTP_SSL if self.tls else smtplib.SMTP
        with smtp_class(self.host, self.port, timeout=self.timeout) as smtp:
            if self.user:
                smtp.login(self.user, self.password or "")
            smtp.send_message(message)


def make_sender(url: str | None):
    """The SMTP sender for `url`, or the log sender when no URL is configured."""
    return SmtpSender(url) if url else LogSender()


def deliver(rt, sender, *, now: Callable[[], datetime] = utcnow, batch: int = 100) -> int:
    """Send everything due in the outbox, batch after batch; return how many were sent."""
    total = 0
    while True:
        claimed, sent = _deliver_batch(rt, sender, now, batch)
        total += sent
        if claimed < batch:
            return total


_PEEK = (select(t.c.next_attempt_at).where(t.c.sent_at.is_(None), t.c.next_attempt_at.is_not(None))
         .order_by(t.c.next_attempt_at).limit(1))


def _deliver_batch(rt, sender, now, batch) -> tuple[int, int]:
    start = now()
    with rt.engine.connect() as conn:        # nothing due: no write transaction at all
        first = conn.execute(_PEEK).scalar()
    if first is None or first > start:
        return 0, 0
    query = (select(t).where(t.c.sent_at.is_(None), t.c.next_attempt_at <= start)
             .order_by(t.c.next_attempt_at).limit(batch))
    if rt.engine.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    with rt.uow() as uow:
        rows = uow.conn.execute(query).all()
        if rows:
            uow.conn.execute(_UPDATE, [{"_id": row.id, "next_attempt_at": start + LEASE}
                                       for row in rows])
        uow.commit()
    sent, results = 0, []
    for row in rows:
        try:
            sender.send(row)
            results.append({"_id": row.id, "attempts": row.attempts + 1, "sent_at": now(),
                            "next_attempt_at": None, "last_error": None})
            sent += 1
            metrics.OUTBOX_SENT.inc()
        except Exception as exc:  # any failure of the channel: retry later
            metrics.OUTBOX_FAILURES.inc()
            attempts = row.attempts + 1
            retry = now() + backoff(attempts) if attempts < MAX_ATTEMPTS else None
            log.warning("notification %s failed (attempt %s): %s", row.id, attempts, exc)
            results.append({"_id": row.id, "attempts": attempts, "sent_at": None,
                            "next_attempt_at": retry, "last_error": str(exc)[:1000]})
    if results:
        with rt.uow() as uow:
            uow.conn.execute(_UPDATE, results)
            uow.commit()
    return len(rows), sent
