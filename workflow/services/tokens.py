"""API tokens as use cases: issue, revoke, and the bearer check every API request makes
(the rules and the hash: `workflow.admin.tokens`)."""
from __future__ import annotations

from datetime import datetime

from workflow.admin import tokens
from workflow.domain.model import Actor

TOUCH_EVERY = tokens.TOUCH_EVERY


def issue(rt, username: str, name: str, *, now: datetime) -> tuple[int, str]:
    """Create a token for the user; return its id and the token itself (shown once)."""
    with rt.uow() as uow:
        made = tokens.create(uow.conn, username, name, now=now)
        uow.commit()
    return made


def revoke(rt, token_id: int, *, now: datetime) -> None:
    """Revoke a token: it stops working at once."""
    with rt.uow() as uow:
        tokens.revoke(uow.conn, token_id, now=now)
        uow.commit()


def resolve(rt, token: str) -> tuple[int, Actor, datetime | None] | None:
    """(token id, actor, last used) of a live token, else None: one statement outside a
    transaction, on the request's connection (every API request runs this)."""
    with rt.reader() as conn:
        return tokens.resolve(conn, token)


def used(rt, token_id: int, last_used: datetime | None, *, now: datetime) -> None:
    """Record that a token was used, at most once per TOUCH_EVERY (no write otherwise)."""
    if last_used is not None and now - last_used < TOUCH_EVERY:
        return
    with rt.uow() as uow:
        tokens.touch(uow.conn, token_id, now=now)
        uow.commit()
