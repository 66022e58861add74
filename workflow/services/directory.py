"""The organisation's directory as use cases: users and their sessions and sign-in
locks, departments, and the authorities' liaisons (越级投诉联络人); each one transaction,
called by the administration pages and the CLI alike (the rules: `workflow.admin`)."""
from __future__ import annotations

from datetime import datetime

from workflow.admin import directory, liaisons, signin


def add_user(rt, username: str, display_name: str, role: str, department: str,
             password: str, *, now: datetime) -> None:
    """Create a user (ValidationError names the fields refused)."""
    with rt.uow() as uow:
        directory.create_user(uow.conn, username, display_name, role, department, password,
                              now=now)
        uow.commit()


def change_user(rt, username: str, **values) -> None:
    """Change a user's name, role, department, active flag, password or lead flag."""
    with rt.uow() as uow:
        directory.update_user(uow.conn, username, **values)
        uow.commit()


def unlock_user(rt, username: str, *, by: str, now: datetime) -> None:
    """Let a locked account sign in again at once."""
    with rt.uow() as uow:
        signin.unlock(uow.conn, username, by=by, now=now)
        uow.commit()


def end_sessions(rt, username: str) -> None:
    """End every session of the user, on every device."""
    with rt.uow() as uow:
        directory.end_sessions(uow.conn, username)
        uow.commit()


def save_department(rt, code: str, *, name_zh: str, name_en: str, active: bool) -> None:
    """Create or change a department."""
    with rt.uow() as uow:
        directory.save_department(uow.conn, code, name_zh=name_zh, name_en=name_en,
                                  active=active)
        uow.commit()


def save_liaison(rt, values: dict, *, now: datetime, liaison_id: int | None = None) -> int:
    """Add a liaison, or change one (`liaison_id`); return its id."""
    with rt.uow() as uow:
        saved = liaisons.save_liaison(uow.conn, values, now=now, liaison_id=liaison_id)
        uow.commit()
    return saved


def delete_liaison(rt, liaison_id: int) -> None:
    """Remove a liaison from the list."""
    with rt.uow() as uow:
        liaisons.delete_liaison(uow.conn, liaison_id)
        uow.commit()
