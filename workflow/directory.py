"""Departments and users: the organisation the process routes between."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, select
from werkzeug.security import check_password_hash, generate_password_hash

from states.catalogue import DEPARTMENTS
from states.process import Role
from workflow.errors import NotFound, ValidationError
from workflow.model import Actor
from workflow.schema import departments, users


def ensure_departments(conn) -> int:
    """Insert the catalogue's departments that are missing; return how many were added."""
    have = set(conn.execute(select(departments.c.code)).scalars())
    rows = [dict(code=code, name_zh=zh, name_en=en, active=True)
            for code, (zh, en) in DEPARTMENTS.items() if code not in have]
    if rows:
        conn.execute(insert(departments), rows)
    return len(rows)


def create_user(conn, username: str, display_name: str, role: str, department: str,
                password: str | None, *, now: datetime) -> int:
    """Create a user; raise ValidationError listing every bad field."""
    errors = {}
    if not username or len(username) > 60 or not username.replace("_", "").replace(".", "").isalnum():
        errors["username"] = "1-60 letters, digits, '.' or '_'"
    elif conn.execute(select(users.c.id).where(users.c.username == username)).first():
        errors["username"] = f"{username!r} already exists"
    if role not in Role.__members__ or role == Role.system.value:
        errors["role"] = f"one of {', '.join(r.value for r in Role if r is not Role.system)}"
    if conn.execute(select(departments.c.code).where(departments.c.code == department)).first() is None:
        errors["department"] = f"unknown department {department!r}"
    if password is not None and len(password) < 8:
        errors["password"] = "at least 8 characters"
    if errors:
        raise ValidationError(errors)
    return conn.execute(insert(users).values(
        username=username, display_name=display_name or username, role=role,
        department=department, created_at=now, active=True,
        password_hash=generate_password_hash(password) if password else None,
    )).inserted_primary_key[0]


def actor_for(conn, username: str) -> Actor:
    """The Actor for an active user, or NotFound."""
    row = conn.execute(select(users).where(users.c.username == username, users.c.active)).first()
    if row is None:
        raise NotFound("user", username)
    return Actor(row.username, Role(row.role), row.department, row.display_name)


def check_password(conn, username: str, password: str) -> Actor | None:
    """The Actor if the username and password match an active user, else None."""
    row = conn.execute(select(users).where(users.c.username == username, users.c.active)).first()
    if row is None or not row.password_hash or not check_password_hash(row.password_hash, password):
        return None
    return Actor(row.username, Role(row.role), row.department, row.display_name)
