"""The escalated-complaint liaisons (越级投诉接口人): who to call at each authority.

The customer service centre keeps this list current (policy, article 3.3).
"""
from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import delete, insert, select, update

from states.catalogue import AUTHORITIES
from workflow.domain.errors import FieldError, NotFound, ValidationError
from workflow.store.schema import liaisons as t

PHONE = re.compile(r"^[0-9+\-() ]{5,30}$")


def list_liaisons(conn) -> list:
    """Every liaison, by authority (catalogue order) then name."""
    order = {code: i for i, code in enumerate(AUTHORITIES)}
    rows = conn.execute(select(t).order_by(t.c.name, t.c.id)).all()
    return sorted(rows, key=lambda r: order.get(r.authority, len(order)))


def _clean(values: dict) -> dict:
    errors, clean = {}, {}
    for key in ("authority", "name", "phone", "email", "note"):
        clean[key] = str(values.get(key) or "").strip()
    if clean["authority"] not in AUTHORITIES:
        errors["authority"] = FieldError("unknown_choice", field="authority", value=clean["authority"])
    if not clean["name"] or len(clean["name"]) > 100:
        errors["name"] = FieldError("name_required", max=100)
    if not PHONE.match(clean["phone"]):
        errors["phone"] = FieldError("phone_format")
    if clean["email"] and ("@" not in clean["email"] or len(clean["email"]) > 200):
        errors["email"] = FieldError("email_format")
    if len(clean["note"]) > 200:
        errors["note"] = FieldError("too_long", max=200)
    if errors:
        raise ValidationError(errors)
    return clean


def save_liaison(conn, values: dict, *, now: datetime, liaison_id: int | None = None) -> int:
    """Add a liaison, or change the one with `liaison_id`; return its id."""
    clean = _clean(values)
    if liaison_id is None:
        return conn.execute(insert(t).values(**clean, updated_at=now)).inserted_primary_key[0]
    if conn.execute(update(t).where(t.c.id == liaison_id)
                    .values(**clean, updated_at=now)).rowcount == 0:
        raise NotFound("liaison", liaison_id)
    return liaison_id


def delete_liaison(conn, liaison_id: int) -> None:
    """Remove a liaison."""
    if conn.execute(delete(t).where(t.c.id == liaison_id)).rowcount == 0:
        raise NotFound("liaison", liaison_id)
