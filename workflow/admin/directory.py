"""Departments and users: the organisation the process routes between."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, select, update
from werkzeug.security import generate_password_hash

from states.catalogue import DEPARTMENTS
from states.process import Role
from workflow.domain.actions import HOLDERS
from workflow.domain.errors import FieldError, NotFound, ValidationError
from workflow.domain.model import Actor
from workflow.store.schema import departments, users


def ensure_departments(conn) -> int:
    """Insert the catalogue's departments that are missing; return how many were added."""
    have = set(conn.execute(select(departments.c.code)).scalars())
    rows = [dict(code=code, name_zh=zh, name_en=en, active=True)
            for code, (zh, en) in DEPARTMENTS.items() if code not in have]
    if rows:
        conn.execute(insert(departments), rows)
    return len(rows)


def _account_errors(conn, role: str, department: str, password: str | None) -> dict:
    """What is wrong with a user's role, department and new password (empty when nothing)."""
    errors = {}
    if role not in Role.__members__ or role == Role.system.value:
        roles = ", ".join(r.value for r in Role if r is not Role.system)
        errors["role"] = FieldError("one_of", choices=roles)
    if conn.execute(select(departments.c.code).where(departments.c.code == department)).first() is None:
        errors["department"] = FieldError("unknown_department", value=department)
    if password is not None and len(password) < 8:
        errors["password"] = FieldError("password_too_short", min=8)
    return errors


def create_user(conn, username: str, display_name: str, role: str, department: str,
                password: str | None, *, now: datetime) -> int:
    """Create a user; raise ValidationError listing every bad field."""
    errors = {}
    if not username or len(username) > 60 or not username.replace("_", "").replace(".", "").isalnum():
        errors["username"] = FieldError("username_format")
    elif conn.execute(select(users.c.id).where(users.c.username == username)).first():
        errors["username"] = FieldError("already_exists", value=username)
    errors.update(_account_errors(conn, role, department, password))
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
    return Actor(row.username, Role(row.role), row.department, row.display_name, row.lead)


def session_user(conn, username: str) -> tuple[Actor, int] | None:
    """An active user's Actor and session generation (None when unknown or inactive):
    what a page session is checked against on each request."""
    row = conn.execute(select(users).where(users.c.username == username, users.c.active)).first()
    if row is None:
        return None
    return Actor(row.username, Role(row.role), row.department, row.display_name, row.lead), \
        row.session_generation


def end_sessions(conn, username: str) -> None:
    """End every page session of the user (sign-out, "sign out everywhere")."""
    conn.execute(update(users).where(users.c.username == username)
                 .values(session_generation=users.c.session_generation + 1))


def active_departments(conn) -> list:
    """The active departments (code, name_zh, name_en), in catalogue order."""
    order = {code: i for i, code in enumerate(DEPARTMENTS)}
    rows = conn.execute(select(departments).where(departments.c.active)).all()
    return sorted(rows, key=lambda r: (order.get(r.code, len(order)), r.code))


def display_names(conn, usernames) -> dict[str, str]:
    """username -> display name for the given users (unknown names are left out)."""
    if not usernames:
        return {}
    rows = conn.execute(select(users.c.username, users.c.display_name)
                        .where(users.c.username.in_(list(usernames))))
    return {r.username: r.display_name for r in rows}


def holders_in(conn, department: str) -> list:
    """The active users of a department who may hold a complaint as its handler of record
    (username, display_name), by username: whom a reassignment may name."""
    return conn.execute(select(users.c.username, users.c.display_name)
                        .where(users.c.department == department, users.c.active,
                               users.c.role.in_(HOLDERS))
                        .order_by(users.c.username)).all()


def set_lead(conn, username: str, lead: bool) -> None:
    """Make a user their department's lead (负责人) or not; NotFound for an unknown user."""
    if conn.execute(update(users).where(users.c.username == username)
                    .values(lead=lead)).rowcount == 0:
        raise NotFound("user", username)


def list_users(conn) -> list:
    """Every user, by department then username."""
    return conn.execute(select(users).order_by(users.c.department, users.c.username)).all()


def update_user(conn, username: str, *, display_name: str, role: str, department: str,
                active: bool, password: str | None = None, lead: bool | None = None) -> None:
    """Change a user's name, role, department, active flag and (optionally) password and
    lead flag (the department's 负责人; None leaves it)."""
    errors = {}
    if conn.execute(select(users.c.id).where(users.c.username == username)).first() is None:
        raise NotFound("user", username)
    errors.update(_account_errors(conn, role, department, password))
    if len(display_name or "") > 100:
        errors["display_name"] = FieldError("too_long", max=100)
    if errors:
        raise ValidationError(errors)
    values = dict(display_name=display_name or username, role=role, department=department,
                  active=active)
    if lead is not None:
        values["lead"] = lead
    if password:
        values["password_hash"] = generate_password_hash(password)
    if password or not active:     # a new password or deactivation ends every session
        values["session_generation"] = users.c.session_generation + 1
    conn.execute(update(users).where(users.c.username == username).values(**values))


def list_departments(conn) -> list:
    """Every department, active or not, in catalogue order."""
    order = {code: i for i, code in enumerate(DEPARTMENTS)}
    rows = conn.execute(select(departments)).all()
    return sorted(rows, key=lambda r: (order.get(r.code, len(order)), r.code))


def save_department(conn, code: str, *, name_zh: str, name_en: str, active: bool) -> None:
    """Create or change a department (its code never changes once created)."""
    errors = {}
    if not code or len(code) > 40 or not code.replace("_", "").isalnum() or not code.islower():
        errors["code"] = FieldError("code_format")
    if not name_zh.strip() or len(name_zh) > 100:
        errors["name_zh"] = FieldError("name_required", max=100)
    if not name_en.strip() or len(name_en) > 100:
        errors["name_en"] = FieldError("name_required", max=100)
    if errors:
        raise ValidationError(errors)
    values = dict(name_zh=name_zh.strip(), name_en=name_en.strip(), active=active)
    if conn.execute(update(departments).where(departments.c.code == code)
                    .values(**values)).rowcount == 0:
        conn.execute(insert(departments).values(code=code, **values))
