"""The monthly scorecard mail: last month's two scorecards, as XLSX, queued once in the
outbox for market operations on (or after) the month's first working day."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from states.calendar import SHANGHAI
from workflow.services.reports.export import xlsx_bytes
from workflow.services.reports.figures import scorecard_sheet
from workflow.store import reports as store
from workflow.store.schema import complaints, outbox
from workflow.text import SOURCE, Text

MONTHLY_KIND = "monthly_scorecard"
RECIPIENT = "market_operations"


def first_workday(calendar, year: int, month: int) -> date:
    """The first working day of a month by the business calendar (调休 included)."""
    day = date(year, month, 1)
    while not calendar.is_workday(day)[0]:
        day += timedelta(days=1)
    return day


def monthly_key(period: store.Period) -> str:
    return f"{MONTHLY_KIND}:{period.first:%Y-%m}"


def mail_text(period: store.Period, texts: tuple[Text, ...]) -> tuple[str, str]:
    """The mail's subject (in the first language) and body (a paragraph per language)."""
    def subject(text: Text) -> str:
        return text("mail", "%(year)s年%(month)s月投诉处理部门考核表", year=period.first.year,
                    month=f"{period.first.month:02d}")

    body = "\n".join(text("mail", "%(subject)s（%(period)s），附件为处理部门与首问部门两张考核表。",
                          subject=subject(text), period=period.label()) for text in texts)
    return subject(texts[0]), body


def queue_monthly_report(rt, now: datetime, texts: tuple[Text, ...] = (SOURCE,)) -> bool:
    """On (or, after a stop, later in the month than) the month's first working day, queue
    the previous month's scorecard (XLSX attached) to market operations in the outbox —
    once: the row's `dedupe_key` is unique, so a second worker's insert does nothing.
    Return whether this call queued it. `texts`: the mail's languages (`workflow.text`),
    Chinese first; the attachment is in Chinese."""
    today = now.astimezone(SHANGHAI).date()
    if today < first_workday(rt.calendar, today.year, today.month):
        return False
    period = store.Period.month(today.year, today.month).previous_month()
    key = monthly_key(period)
    with rt.engine.connect() as conn:
        if conn.execute(select(outbox.c.id).where(outbox.c.dedupe_key == key)).first():
            return False
        # Nothing to score before the first complaint: no mail about a month before it.
        if conn.execute(select(complaints.c.id).where(complaints.c.created_at < period.end)
                        .limit(1)).first() is None:
            return False
        handling = scorecard_sheet(conn, period, at_now=now)
        originating = scorecard_sheet(conn, period, by="originating", at_now=now)
    attachment = xlsx_bytes(handling, originating)
    subject, body = mail_text(period, texts)
    row = dict(complaint_id=None, kind=MONTHLY_KIND, recipients=[RECIPIENT], subject=subject,
               body=body, created_at=now, attempts=0, next_attempt_at=now, dedupe_key=key,
               attachment_name=f"scorecard-{period.first:%Y-%m}.xlsx", attachment=attachment)
    insert = (postgresql.insert if rt.engine.dialect.name == "postgresql" else sqlite.insert)
    with rt.uow() as uow:
        done = uow.conn.execute(insert(outbox).values(**row)
                                .on_conflict_do_nothing(index_elements=["dedupe_key"]))
        uow.commit()
    return done.rowcount == 1
