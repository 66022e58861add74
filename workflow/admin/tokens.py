"""API tokens: bearer tokens bound to a user, stored only as a SHA-256 hash, revocable.

`create` returns the plain token once; nothing can show it again. `resolve` turns a
presented token into the token's id and the user's `Actor` (the same role and
department rules as the web pages), or None for an unknown, revoked or inactive one.
"""
from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import datetime, timedelta

from sqlalchemy import bindparam, insert, or_, select, update

from states.process import Role
from workflow.domain.errors import FieldError, NotFound, ValidationError
from workflow.domain.model import Actor
from workflow.store.fastsql import Prepared
from workflow.store.schema import api_tokens, users

log = logging.getLogger(__name__)
PREFIX = "cpt_"
#: `last_used_at` is written at most this often per token, to keep reads read-only.
TOUCH_EVERY = timedelta(minutes=5)


def digest(token: str) -> str:
    """The stored form of a token: its SHA-256 hex digest."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create(conn, username: str, name: str, *, now: datetime) -> tuple[int, str]:
    """Create a token for an active user; return (id, plain token), shown this once."""
    errors = {}
    if not name or not name.strip() or len(name) > 100:
        errors["name"] = FieldError("length_between", min=1, max=100)
    user = conn.execute(select(users.c.id).where(users.c.username == username,
                                                 users.c.active)).first()
    if user is None:
        errors["username"] = FieldError("no_active_user", value=username)
    if errors:
        raise ValidationError(errors)
    plain = PREFIX + secrets.token_urlsafe(32)
    token_id = conn.execute(insert(api_tokens).values(
        user_id=user.id, name=name.strip(), token_hash=digest(plain), created_at=now,
    )).inserted_primary_key[0]
    log.info("api token %s (%s) created for %s", token_id, name, username)
    return token_id, plain


def revoke(conn, token_id: int, *, now: datetime) -> None:
    """Revoke a token; it stops working at once. Revoking twice is harmless."""
    found = conn.execute(update(api_tokens).where(
        api_tokens.c.id == token_id, api_tokens.c.revoked_at.is_(None)).values(
        revoked_at=now)).rowcount
    if not found and conn.execute(select(api_tokens.c.id).where(
            api_tokens.c.id == token_id)).first() is None:
        raise NotFound("api token", token_id)
    log.info("api token %s revoked", token_id)


def list_tokens(conn) -> list:
    """Every token with its user, newest first (never the hash)."""
    return conn.execute(
        select(api_tokens.c.id, api_tokens.c.name, users.c.username, api_tokens.c.created_at,
               api_tokens.c.revoked_at, api_tokens.c.last_used_at)
        .join(users, users.c.id == api_tokens.c.user_id)
        .order_by(api_tokens.c.id.desc())).all()


# Every API request runs this: one statement, compiled once (see workflow.store.fastsql).
_RESOLVE = Prepared(
    select(api_tokens.c.id, api_tokens.c.last_used_at, users.c.username, users.c.role,
           users.c.department, users.c.display_name, users.c.lead)
    .join(users, users.c.id == api_tokens.c.user_id)
    .where(api_tokens.c.token_hash == bindparam("token_hash"), api_tokens.c.revoked_at.is_(None),
           users.c.active))


def resolve(conn, token: str) -> tuple[int, Actor, datetime | None] | None:
    """(token id, actor, last used) for a live token of an active user, else None.

    One read statement: `conn` need not be in a transaction (see `Runtime.reader`).
    """
    if not token or len(token) > 200:
        return None
    row = _RESOLVE.first(conn, {"token_hash": digest(token)})
    if row is None:
        return None
    actor = Actor(row["username"], Role(row["role"]), row["department"], row["display_name"],
                  row["lead"])
    return row["id"], actor, row["last_used_at"]


def touch(conn, token_id: int, *, now: datetime) -> bool:
    """Record that a token was used, unless that was recorded less than TOUCH_EVERY ago."""
    return conn.execute(update(api_tokens).where(
        api_tokens.c.id == token_id,
        or_(api_tokens.c.last_used_at.is_(None),
            api_tokens.c.last_used_at < now - TOUCH_EVERY)).values(last_used_at=now)).rowcount == 1
