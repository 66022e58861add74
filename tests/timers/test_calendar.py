"""Working-day deadlines on the statutory calendar, the fallback, and loading a year."""
from __future__ import annotations

from datetime import date, datetime

import pytest
from click.testing import CliRunner

from complaints.cli import main
from states.calendar import SHANGHAI
from states.policy import load_policy, parse_policy
from tests.conftest import OPERATOR, complaint_values, make_runtime
from tests.timers.helpers import FakeClock, clock, history, sweep_at
from workflow import services
from workflow.admin.calendar import read_calendar_file

NOTICE_2027 = """# 国务院办公厅关于2027年部分节假日安排的通知(示例)
holidays = ["2027-01-01", "2027-02-05..2027-02-11", "2027-10-01..2027-10-07"]
workdays = ["2027-02-20", "2027-10-09"]
"""


def _shanghai(*args) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


@pytest.fixture
def workday_rt(database_url):
    """A runtime whose reply clock counts working days."""
    raw = dict(load_policy().raw)
    raw["deadlines"] = {**raw["deadlines"], "normal": {**raw["deadlines"]["normal"],
                                                      "reply": "5 workdays",
                                                      "first_contact": "1 workday"}}
    runtime = make_runtime(database_url, parse_policy(raw))
    yield runtime
    runtime.engine.dispose()


def test_a_working_day_deadline_skips_the_national_day_holiday_and_counts_the_adjusted_saturday(
        workday_rt, worker_on):
    start = _shanghai(2026, 9, 30, 18, 0)
    cid = services.intake(workday_rt, OPERATOR, complaint_values(), now=start).complaint.id
    reply = clock(workday_rt, cid, "reply")
    # Oct 1-7 are holidays and Sat Oct 10 is a 调休 working day: 8, 9, 10, 12, 13.
    assert reply.due_at == _shanghai(2026, 10, 13, 18, 0) and reply.confirmed
    worker = worker_on(workday_rt, FakeClock(start))
    services.act(workday_rt, cid, "assign", OPERATOR, now=start, department="network")
    sweep_at(worker, _shanghai(2026, 10, 13, 17, 59))
    assert history(workday_rt, cid, "escalate") == []
    sweep_at(worker, _shanghai(2026, 10, 13, 18, 0))
    assert len(history(workday_rt, cid, "escalate")) == 1


def test_one_working_day_after_friday_falls_on_the_adjusted_working_sunday(workday_rt):
    start = _shanghai(2026, 9, 18, 10, 0)                  # Friday; Sun Sep 20 is worked
    cid = services.intake(workday_rt, OPERATOR, complaint_values(), now=start).complaint.id
    due = clock(workday_rt, cid, "first_contact").due_at.astimezone(SHANGHAI)
    assert due == _shanghai(2026, 9, 20, 10, 0) and due.strftime("%a") == "Sun"


def test_a_year_without_data_falls_back_and_loading_it_recomputes_those_deadlines(
        workday_rt, database_url, tmp_path, monkeypatch, caplog):
    start = _shanghai(2026, 12, 28, 10, 0)                 # Monday
    cid = services.intake(workday_rt, OPERATOR, complaint_values(), now=start).complaint.id
    before = clock(workday_rt, cid, "reply")
    assert before.confirmed is False and "no holiday data for 2027" in caplog.text
    assert before.due_at == _shanghai(2027, 1, 4, 10, 0)   # Jan 1 counted as a working day

    notice = tmp_path / "2027.toml"
    notice.write_text(NOTICE_2027, encoding="utf-8")
    monkeypatch.setenv("COMPLAINTS_DATABASE_URL", database_url)
    runner = CliRunner()
    status = runner.invoke(main, ["calendar", "status"])
    assert "2027: 无数据 NO DATA" in status.output and "1 live deadlines" in status.output
    loaded = runner.invoke(main, ["calendar", "load", str(notice), "--by", "admin"])
    assert loaded.exit_code == 0, loaded.output
    assert "2027: 15 holidays, 2 调休 working days" in loaded.output
    assert "1 deadlines recomputed" in loaded.output

    after = clock(workday_rt, cid, "reply")
    assert after.confirmed is True and after.due_at == _shanghai(2027, 1, 5, 10, 0)
    assert after.next_at == after.warn_at < after.due_at
    assert clock(workday_rt, cid, "first_contact").confirmed    # untouched: 2026 only
    status = runner.invoke(main, ["calendar", "status"])
    assert "2027: 已加载 loaded by an administrator (admin" in status.output
    assert "0 live deadlines computed on fallback data" in status.output
    workday_rt.reload_calendar()
    assert workday_rt.calendar.is_workday(date(2027, 10, 9)) == (True, True)


def test_a_calendar_file_may_be_csv_with_chinese_flags(tmp_path):
    path = tmp_path / "2027.csv"
    path.write_text("day,workday,note\n2027-01-01,休,元旦\n2027-02-20,班,春节调休\n",
                    encoding="utf-8")
    assert read_calendar_file(path) == {date(2027, 1, 1): False, date(2027, 2, 20): True}


def test_a_calendar_file_spanning_two_years_is_refused_and_nothing_is_loaded(
        database_url, tmp_path, monkeypatch):
    path = tmp_path / "bad.toml"
    path.write_text('holidays = ["2027-01-01", "2028-01-01"]\n', encoding="utf-8")
    monkeypatch.setenv("COMPLAINTS_DATABASE_URL", database_url)
    result = CliRunner().invoke(main, ["calendar", "load", str(path)])
    assert result.exit_code == 1 and "exactly one year" in result.output
    assert "2027: 无数据" in CliRunner().invoke(main, ["calendar", "status"]).output
