"""The policy file: loaded whole or refused with every bad key named; versioned by content."""
from __future__ import annotations

from importlib import resources

import pytest

from states.catalogue import CAUSES
from states.policy import PolicyError, load_policy

DEFAULT = resources.files("states").joinpath("default_policy.toml").read_text("utf-8")


def policy_file(tmp_path, text, name="policy.toml"):
    path = tmp_path / name
    path.write_text(text, "utf-8")
    return path


def edited(old, new):
    assert old in DEFAULT, old
    return DEFAULT.replace(old, new, 1)


def test_the_shipped_policy_holds_the_domain_defaults():
    policy = load_policy()
    assert policy.deadline("normal", "reply").seconds == 48 * 3600
    assert policy.deadline("major", "first_contact").seconds == 4 * 3600
    assert policy.deadline("escalated", "regulator").seconds == 30 * 86400
    assert policy.deadline("escalated", "outer_limit") is None
    assert policy.warning_fraction == 0.75
    assert policy.repeat_window.seconds == 30 * 86400
    assert policy.joint_complainants == 3 and policy.repeat_count == 2
    assert policy.major_flags == {"media", "leadership", "serious_deficiency"}
    assert set(policy.routing) == set(CAUSES)
    assert policy.department_for("tariff") == "marketing"
    assert policy.department_for("billing_error") == "it_centre"


@pytest.mark.parametrize("text,key,what", [
    (edited('reply = "48h"', 'reply = "48 hrs later"'), "deadlines.normal.reply", "unknown unit"),
    (edited('reply = "48h"\n', ''), "deadlines.normal.reply", "missing"),
    (edited('reply = "48h"', 'reply = "48h"\nlunch = "1h"'), "deadlines.normal.lunch", "unknown clock"),
    (edited('tariff = "marketing"', 'tariff = "sales"'), "routing.tariff", "unknown department 'sales'"),
    (edited('delivery = "logistics"\n', ''), "routing.delivery", "missing"),
    (edited('[routing]', '[routing]\nweather = "network"'), "routing.weather", "unknown cause"),
    (edited('max_pauses = 2', 'max_pauses = 2\nmax_pause = 3'), "general.max_pause", "unknown key"),
    (edited('media = true', 'media = true\nmedai = true'), "major.medai", "unknown key"),
    (edited('warning_fraction = 0.75', 'warning_fraction = 1.5'), "general.warning_fraction",
     "between 0 and 1"),
    (edited('warning_fraction = 0.75', 'warning_fraction = "75%"'), "general.warning_fraction",
     "expected float"),
    (edited('repeat_window = "30 days"', 'repeat_window = "30 workdays"'), "general.repeat_window",
     "clock time"),
    (edited('joint_complainants = 3', 'joint_complainants = 1'), "major.joint_complainants",
     "at least 2"),
    (edited('on_breach = ["reply"]', 'on_breach = ["lunch"]'), "escalation.on_breach",
     "unknown clock 'lunch'"),
    (edited('[deadlines.normal]', '[deadlines.urgent]\nreply = "1h"\n\n[deadlines.normal]'),
     "deadlines.urgent", "unknown track"),
    (DEFAULT + '\n[extras]\nx = 1\n', "extras", "unknown section"),
])
def test_a_bad_policy_file_is_refused_naming_the_key_and_what_is_wrong(tmp_path, text, key, what):
    with pytest.raises(PolicyError) as err:
        load_policy(policy_file(tmp_path, text))
    matching = [p for p in err.value.problems if p.startswith(key + ":")]
    assert matching, err.value.problems
    assert what in matching[0]
    assert key in str(err.value)


def test_every_problem_in_a_policy_file_is_reported_at_once(tmp_path):
    text = edited('tariff = "marketing"', 'tariff = "sales"')
    text = text.replace('assign = "2h"', 'assign = "soon"', 1)
    with pytest.raises(PolicyError) as err:
        load_policy(policy_file(tmp_path, text))
    assert {p.split(":")[0] for p in err.value.problems} == {"routing.tariff",
                                                            "deadlines.normal.assign"}


def test_a_file_that_is_not_toml_is_refused_with_the_parser_message(tmp_path):
    with pytest.raises(PolicyError, match="not valid TOML") as err:
        load_policy(policy_file(tmp_path, "[general\nwarning_fraction = 0.75"))
    assert "line 1" in str(err.value)


def test_a_missing_file_is_refused_with_its_path(tmp_path):
    with pytest.raises(PolicyError, match="cannot read the file") as err:
        load_policy(tmp_path / "nowhere.toml")
    assert "nowhere.toml" in str(err.value)


def test_the_policy_version_changes_with_the_content_and_only_with_it(tmp_path):
    shipped = load_policy()
    same = load_policy(policy_file(tmp_path, "# a comment\n" + DEFAULT, "same.toml"))
    changed = load_policy(policy_file(tmp_path, edited('reply = "48h"', 'reply = "36h"'), "b.toml"))
    assert same.version == shipped.version
    assert changed.version != shipped.version
    assert len(shipped.version) == 12
