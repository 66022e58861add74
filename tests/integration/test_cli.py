"""The `complaints` command, run as an administrator would, on a SQLite file."""
from __future__ import annotations

import json
import subprocess
import sys
from importlib import resources

import pytest
from alembic.script import ScriptDirectory
from click.testing import CliRunner
from sqlalchemy import create_engine, func, select

from complaints.cli import main
from workflow.store.migrate import alembic_config
from workflow.store.schema import complaints, events


def run(db_path, *args, policy=None, check=True):
    """Invoke the command in-process (as click would from the shell) with its environment."""
    env = {"COMPLAINTS_DATABASE_URL": f"sqlite:///{db_path}",
           "COMPLAINTS_POLICY": str(policy) if policy else None}
    result = CliRunner().invoke(main, list(args), env=env)
    if check:
        assert result.exit_code == 0, (result.output, result.exception)
    return result


def rows(db_path):
    engine = create_engine(f"sqlite:///{db_path}")
    with engine.connect() as conn:
        found = conn.execute(select(complaints.c.id, complaints.c.state, complaints.c.text,
                                    complaints.c.escalation_level).order_by(complaints.c.id)).all()
    engine.dispose()
    return found


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    """A database upgraded and loaded with 40 demo complaints by the command line."""
    path = tmp_path_factory.mktemp("cli") / "complaints.db"
    out = run(path, "db", "upgrade").stdout
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert f"database at revision {head}; 9 departments added" in out
    out = run(path, "demo", "--count", "40", "--seed", "7").stdout
    assert "40 demo complaints" in out and "demo-pass-2026" in out
    return path


def test_demo_data_is_reproducible_from_the_seed(demo_db, tmp_path):
    other = tmp_path / "again.db"
    run(other, "db", "upgrade")
    run(other, "demo", "--count", "40", "--seed", "7")
    assert rows(other) == rows(demo_db)
    assert len({r.state for r in rows(demo_db)}) >= 4


def test_demo_if_empty_loads_nothing_into_a_database_with_complaints(demo_db):
    out = run(demo_db, "demo", "--if-empty").stdout
    assert "not loaded" in out and len(rows(demo_db)) == 40


def test_show_prints_the_complaint_its_clocks_history_and_allowed_actions(demo_db):
    cid = next(r.id for r in rows(demo_db) if r.state == "handling")
    out = run(demo_db, "show", str(cid)).stdout
    assert "[handling]" in out and "clocks:" in out and "history:" in out
    assert "intake" in out and "allowed now for major_desk:" in out
    shown = json.loads(run(demo_db, "show", str(cid), "--json").stdout)
    assert shown["id"] == cid and shown["state"] == "handling"
    assert shown["history"][0]["action"] == "intake"
    assert shown["version"] == len(shown["history"])


def test_act_fires_an_action_and_reports_the_new_state(demo_db):
    row = next(r for r in rows(demo_db) if r.state == "replied")
    out = run(demo_db, "act", str(row.id), "close", "--as", "operator",
              "--satisfaction", "satisfied").stdout
    assert "close -> closed" in out
    assert next(r for r in rows(demo_db) if r.id == row.id).state == "closed"


def test_act_refused_by_the_state_exits_non_zero_with_a_clear_message(demo_db):
    row = next(r for r in rows(demo_db) if r.state == "received")
    result = run(demo_db, "act", str(row.id), "close", "--as", "operator",
                 "--satisfaction", "satisfied", check=False)
    assert result.exit_code != 0
    assert "action 'close' is not allowed in state 'received'" in result.stderr
    assert next(r for r in rows(demo_db) if r.id == row.id).state == "received"


def test_act_on_an_unknown_complaint_or_as_an_unknown_user_exits_non_zero(demo_db):
    result = run(demo_db, "act", "99999", "contact", "--as", "operator", "--comment", "x",
                 check=False)
    assert result.exit_code != 0 and "unknown complaint: 99999" in result.stderr
    result = run(demo_db, "act", "1", "contact", "--as", "nobody", "--comment", "x", check=False)
    assert result.exit_code != 0 and "unknown user: 'nobody'" in result.stderr


def test_a_bad_policy_file_stops_every_command_naming_the_key_and_writes_nothing(tmp_path):
    text = resources.files("states").joinpath("default_policy.toml").read_text("utf-8")
    bad = tmp_path / "bad.toml"
    bad.write_text(text.replace('tariff = "marketing"', 'tariff = "sales"'), "utf-8")
    db_path = tmp_path / "never.db"
    result = run(db_path, "db", "upgrade", policy=bad, check=False)
    assert result.exit_code != 0
    assert 'routing.tariff：应为负责部门的代码' in result.stderr and '实际为 "sales"' in result.stderr
    assert not db_path.exists()
    shell = subprocess.run([sys.executable, "-m", "complaints", "check-policy", str(bad)],
                           capture_output=True, text=True, timeout=60)
    assert shell.returncode == 1 and "routing.tariff" in shell.stderr
    assert "is valid" in run(db_path, "check-policy").stdout
    assert not db_path.exists()


def test_act_with_a_stale_version_is_a_conflict_and_writes_nothing(demo_db):
    row = next(r for r in rows(demo_db) if r.state == "handling")
    engine = create_engine(f"sqlite:///{demo_db}")
    with engine.connect() as conn:
        before = conn.execute(select(func.count()).select_from(events)).scalar()
    result = run(demo_db, "act", str(row.id), "contact", "--as", "major_desk", "--comment",
                 "已联系", "--version", "1", check=False)
    assert result.exit_code != 0 and "changed by someone else" in result.stderr
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(events)).scalar() == before
    engine.dispose()
