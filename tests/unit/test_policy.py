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


@pytest.mark.parametrize("text,key,code,what", [
    (edited('reply = "48h"', 'reply = "48 hrs later"'), "deadlines.normal.reply", "bad_value",
     '应为正的时长，如 "48h" 或 "2wd"；实际为 "48 hrs later"'),
    (edited('reply = "48h"\n', ''), "deadlines.normal.reply", "missing", "缺少此项"),
    (edited('reply = "48h"', 'reply = "48h"\nlunch = "1h"'), "deadlines.normal.lunch", "unknown_key",
     "未知的时限（可用：assign、"),
    (edited('tariff = "marketing"', 'tariff = "sales"'), "routing.tariff", "not_allowed",
     '应为负责部门的代码（可用：customer_service、'),
    (edited('delivery = "logistics"\n', ''), "routing.delivery", "missing", "缺少此项"),
    (edited('[routing]', '[routing]\nweather = "network"'), "routing.weather", "unknown_key",
     "未知的投诉原因"),
    (edited('max_pauses = 2', 'max_pauses = 2\nmax_pause = 3'), "general.max_pause", "unknown_key",
     "未知的键（可用：warning_fraction、repeat_window、max_pauses、max_pause_total）"),
    (edited('media = true', 'media = true\nmedai = true'), "major.medai", "unknown_key", "未知的键"),
    (edited('warning_fraction = 0.75', 'warning_fraction = 1.5'), "general.warning_fraction",
     "out_of_range", "应为 0 与 1 之间的小数（不含 0 和 1），如 0.75；实际为 1.5"),
    (edited('warning_fraction = 0.75', 'warning_fraction = "75%"'), "general.warning_fraction",
     "wrong_type", '实际为 "75%"'),
    (edited('repeat_window = "30 days"', 'repeat_window = "30 workdays"'), "general.repeat_window",
     "bad_value", "应为按自然时间计的时长（不可按工作日）"),
    (edited('joint_complainants = 3', 'joint_complainants = 1'), "major.joint_complainants",
     "out_of_range", "应为不小于 2 的整数，如 3；实际为 1"),
    (edited('on_breach = ["reply"]', 'on_breach = ["lunch"]'), "escalation.on_breach",
     "not_allowed", '实际为 "lunch"'),
    (edited('[deadlines.normal]', '[deadlines.urgent]\nreply = "1h"\n\n[deadlines.normal]'),
     "deadlines.urgent", "unknown_key", "未知的处理类别（可用：normal、major、escalated）"),
    (DEFAULT + '\n[extras]\nx = 1\n', "extras", "unknown_key", "未知的节（可用：general、"),
])
def test_a_bad_policy_file_is_refused_naming_the_key_and_what_is_wrong(tmp_path, text, key, code,
                                                                       what):
    with pytest.raises(PolicyError) as err:
        load_policy(policy_file(tmp_path, text))
    matching = [p for p in err.value.problems if p.path == key]
    assert matching, err.value.problems
    assert matching[0].startswith(key + "：") and matching[0].code == code
    assert what in matching[0]
    assert key in str(err.value) and str(err.value).startswith("规范文件 ")


def test_every_problem_in_a_policy_file_is_reported_at_once(tmp_path):
    text = edited('tariff = "marketing"', 'tariff = "sales"')
    text = text.replace('assign = "2h"', 'assign = "soon"', 1)
    with pytest.raises(PolicyError) as err:
        load_policy(policy_file(tmp_path, text))
    assert {p.path for p in err.value.problems} == {"routing.tariff", "deadlines.normal.assign"}
    assert {p.split("：")[0] for p in err.value.problems} == {"routing.tariff",
                                                             "deadlines.normal.assign"}


def test_a_file_that_is_not_toml_is_refused_with_the_parser_message(tmp_path):
    with pytest.raises(PolicyError, match="不是有效的 TOML") as err:
        load_policy(policy_file(tmp_path, "[general\nwarning_fraction = 0.75"))
    assert "line 1" in str(err.value)


def test_a_missing_file_is_refused_with_its_path(tmp_path):
    with pytest.raises(PolicyError, match="无法读取文件") as err:
        load_policy(tmp_path / "nowhere.toml")
    assert "nowhere.toml" in str(err.value)


def test_the_policy_version_changes_with_the_content_and_only_with_it(tmp_path):
    shipped = load_policy()
    same = load_policy(policy_file(tmp_path, "# a comment\n" + DEFAULT, "same.toml"))
    changed = load_policy(policy_file(tmp_path, edited('reply = "48h"', 'reply = "36h"'), "b.toml"))
    assert same.version == shipped.version
    assert changed.version != shipped.version
    assert len(shipped.version) == 12
