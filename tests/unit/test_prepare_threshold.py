"""COMPLAINTS_DB_PREPARE_THRESHOLD: psycopg's prepare_threshold from the environment
(none behind PgBouncer before 1.21 in transaction mode; tests/ops/test_pgbouncer.py)."""
from __future__ import annotations

import pytest

from workflow.settings import Settings


@pytest.mark.parametrize("raw, options", [
    ("", {}), ("none", {"prepare_threshold": None}), ("OFF", {"prepare_threshold": None}),
    ("0", {"prepare_threshold": 0}), ("12", {"prepare_threshold": 12})])
def test_the_setting_reaches_the_engine_options(raw, options):
    settings = Settings.from_env({"COMPLAINTS_DB_PREPARE_THRESHOLD": raw})
    assert settings.engine_options() == {"connect_timeout": 5.0, **options}
    assert settings.problems(web=False) == []


@pytest.mark.parametrize("raw", ["-1", "five", "1.5"])
def test_a_bad_value_is_named_and_ignored(raw):
    settings = Settings.from_env({"COMPLAINTS_DB_PREPARE_THRESHOLD": raw})
    (problem,) = settings.problems(web=False)
    assert "COMPLAINTS_DB_PREPARE_THRESHOLD" in problem and repr(raw) in problem
    assert settings.engine_options() == {"connect_timeout": 5.0}

