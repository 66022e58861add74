"""The policy file's schema: every key has its Chinese message, and a wrong type, a missing
key, an unknown key and a value out of range are each named with the key and a code."""
from __future__ import annotations

import copy
import pickle
import re
import tomllib
from fnmatch import fnmatchcase
from importlib import resources

import pytest

from states import policy_schema
from states.policy import PolicyError, parse_policy, parse_policy_text

DEFAULT = resources.files("states").joinpath("default_policy.toml").read_text("utf-8")
DATA = tomllib.loads(DEFAULT)
#: Every key a policy file may hold, as a dotted path.
LEAVES = sorted(f"{parent}.{key}".lstrip(".") for parent, keys in policy_schema._KNOWN.items()
                for key in keys if f"{parent}.{key}".lstrip(".") not in policy_schema._KNOWN)
CJK = re.compile(r"[\u4e00-\u9fff]")


def problems_of(change) -> list:
    """The problems of the shipped policy's data after `change(data)`."""
    data = copy.deepcopy(DATA)
    change(data)
    with pytest.raises(PolicyError) as err:
        parse_policy(data)
    return err.value.problems


def put(path: str, value):
    def change(data):
        *parents, key = path.split(".")
        for name in parents:
            data = data.setdefault(name, {})
        data[key] = value
    return change


def drop(path: str):
    def change(data):
        *parents, key = path.split(".")
        for name in parents:
            data = data[name]
        del data[key]
    return change


def expected(path: str) -> str:
    return next(t for p, t in policy_schema.EXPECTED.items() if fnmatchcase(path, p))


def test_every_key_of_the_file_is_known_to_the_schema():
    assert len(LEAVES) == 4 + 5 + 2 + 2 + 3 * 7 + 19 + 1
    assert "deadlines.escalated.regulator" in LEAVES and "routing.delivery" in LEAVES


def test_every_key_has_its_own_message_in_chinese_with_full_width_punctuation():
    for path in LEAVES:
        text = expected(path)
        assert text != policy_schema.EXPECTED["*"] and CJK.search(text), path
        # TOML examples keep their quotes and brackets; the Chinese text around them does not
        # use half-width punctuation.
        prose = re.sub(r'"[^"]*"|\[[^\]]*\]', "", text)
        assert not re.search(r"[,;:()]", prose), (path, prose)


@pytest.mark.parametrize("path", LEAVES)
def test_a_value_of_the_wrong_type_is_refused_with_the_key_s_message(path):
    (problem,) = problems_of(put(path, {"表": 1}))
    assert problem.path == path
    assert problem.code in ("wrong_type", "not_allowed")      # a choice says which are allowed
    assert problem == f"{path}：{expected(path)}；实际为 {{'表': 1}}"


@pytest.mark.parametrize("path", ["general.warning_fraction", "general.repeat_window",
                                  "major.joint_complainants", "major.repeat_count",
                                  "deadlines.major.reply", "deadlines.escalated.assign",
                                  "routing.coverage"])
def test_a_required_key_left_out_is_named_as_missing(path):
    (problem,) = problems_of(drop(path))
    assert (problem.path, problem.code) == (path, "missing")
    assert problem == f"{path}：缺少此项，{expected(path)}"


@pytest.mark.parametrize("path", ["general.max_pauses", "general.max_pause_total", "major.media",
                                  "escalation.on_breach", "escalation.max_level",
                                  "attachments.max_size", "attachments.kinds",
                                  "intake.districts", "deadlines.normal.outer_limit"])
def test_an_optional_key_left_out_takes_its_default(path):
    data = copy.deepcopy(DATA)
    drop(path)(data)
    assert parse_policy(data).deadline("normal", "reply").seconds == 48 * 3600


@pytest.mark.parametrize("path,noun", [
    ("reports", "未知的节（可用：general、major、escalation、attachments、deadlines、routing、intake）"),
    ("general.warning", "未知的键（可用：warning_fraction、"),
    ("attachments.max_files", "未知的键（可用：max_size、kinds）"),
    ("intake.district", "未知的键（可用：districts）"),
    ("deadlines.vip", "未知的处理类别（可用：normal、major、escalated）"),
    ("deadlines.major.callback", "未知的时限（可用：assign、first_contact、reply、"),
    ("routing.weather", "未知的投诉原因（可用：media、legal、"),
])
def test_an_unknown_key_is_named_with_the_keys_known_there(path, noun):
    (problem,) = problems_of(put(path, "x"))
    assert (problem.path, problem.code) == (path, "unknown_key")
    assert problem.startswith(f"{path}：{noun}")


@pytest.mark.parametrize("path,value,code", [
    ("general.warning_fraction", 0, "out_of_range"),
    ("general.warning_fraction", 1.0, "out_of_range"),
    ("general.warning_fraction", -0.25, "out_of_range"),
    ("general.warning_fraction", float("nan"), "out_of_range"),
    ("general.max_pauses", -1, "out_of_range"),
    ("major.joint_complainants", 1, "out_of_range"),
    ("major.repeat_count", 0, "out_of_range"),
    ("escalation.max_level", -1, "out_of_range"),
    ("attachments.max_size", "0 MB", "out_of_range"),
    ("attachments.max_size", "lots", "bad_value"),
    ("attachments.kinds", [], "out_of_range"),
    ("attachments.kinds", ["video"], "not_allowed"),
    ("intake.districts", ["haidian"], "not_allowed"),
    ("escalation.on_breach", ["lunch"], "not_allowed"),
    ("deadlines.normal.reply", "0h", "bad_value"),
    ("deadlines.normal.reply", "1.5 workdays", "bad_value"),
    ("general.max_pause_total", "2 workdays", "bad_value"),
    ("routing.coverage", "sales", "not_allowed"),
])
def test_a_value_out_of_range_is_refused_saying_what_is_allowed(path, value, code):
    (problem,) = problems_of(put(path, value))
    assert (problem.path, problem.code) == (path, code)
    assert problem.startswith(f"{path}：{expected(path)}；实际为 ")


def test_booleans_are_not_numbers_and_numbers_not_booleans():
    assert problems_of(put("general.max_pauses", True))[0].code == "wrong_type"
    assert problems_of(put("major.media", 1))[0].code == "wrong_type"
    assert problems_of(put("general.warning_fraction", "0.75"))[0].code == "wrong_type"
    whole = copy.deepcopy(DATA)
    put("escalation.max_level", 3)(whole)
    assert parse_policy(whole).max_escalation_level == 3


def test_a_section_that_is_not_a_table_is_named():
    (problem,) = problems_of(put("escalation", ["reply"]))
    assert (problem.path, problem.code) == ("escalation", "wrong_type")
    assert problem.startswith("escalation：应为一个表")


def test_a_file_nested_too_deeply_is_refused_not_crashed():
    for text in ("x = " + "[" * 5000 + "]" * 5000, "x = " + "{a = " * 5000 + "1" + "}" * 5000,
                 DEFAULT.replace('on_breach = ["reply"]', "on_breach = " + "[" * 400 + "]" * 400)):
        with pytest.raises(PolicyError) as err:
            parse_policy_text(text, "deep.toml")
        assert err.value.problems and len(str(err.value)) < 2000


def test_a_problem_is_its_text_and_keeps_its_path_and_code_when_copied():
    (problem,) = problems_of(put("major.repeat_count", 0))
    again = pickle.loads(pickle.dumps(problem))
    assert again == problem == copy.deepcopy(problem) == str(problem)
    assert (again.path, again.code) == ("major.repeat_count", "out_of_range")
