"""The business calendar as the database holds it: administrator-loaded days and years."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from states.calendar import BusinessCalendar
from workflow.store.schema import calendar_days, calendar_years


def calendar_from(conn) -> BusinessCalendar:
    """The business calendar as the database holds it (inside the caller's transaction)."""
    days = {date.fromisoformat(r.day): r.workday for r in conn.execute(select(calendar_days))}
    years = conn.execute(select(calendar_years.c.year)).scalars().all()
    return BusinessCalendar(days, years)
