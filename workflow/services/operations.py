"""What an administrator does to keep the service running: send a notification again, and
load a year of the working-day calendar (法定节假日与调休)."""
from __future__ import annotations

from datetime import date, datetime

from workflow.admin import calendar as calendar_admin
from workflow.store import outbox


def send_again(rt, notification_id: int, *, now: datetime) -> bool:
    """Make an unsent notification due now; False when there is no such unsent row."""
    with rt.uow() as uow:
        done = outbox.send_again(uow.conn, notification_id, now)
        uow.commit()
    return done


def load_calendar_year(rt, days: dict[date, bool], *, loaded_by: str,
                       now: datetime) -> calendar_admin.LoadResult:
    """Load one year's holidays and 调休 working days and recompute the deadlines that
    counted on fallback data for it."""
    with rt.uow() as uow:
        result = calendar_admin.load_year(uow, days, loaded_by=loaded_by, now=now)
        uow.commit()
    return result


def preview_calendar_year(rt, days: dict[date, bool], *, now: datetime):
    """The clocks the new days would move (changes nothing)."""
    with rt.uow(write=False) as uow:
        return calendar_admin.preview_year(uow, days, now=now)
