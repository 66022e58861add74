"""The intake rules of workflow.domain: fields, major reasons, routing. No database."""
from __future__ import annotations

import pytest

from states.fields import INTAKE_FIELDS, MAX_NAME
from states.policy import load_policy
from workflow.domain.errors import ValidationError
from workflow.domain.intake import major_reasons, request_hash, route, validate

POLICY = load_policy()
GOOD = {"mobile": " 13812345678 ", "channel": "hotline", "cause": "coverage",
        "text": " 小区信号差 "}


def test_a_minimal_complaint_is_cleaned_and_gets_every_default():
    clean = validate(GOOD)
    assert set(clean) == set(INTAKE_FIELDS)
    assert (clean["mobile"], clean["text"], clean["source"]) == ("13812345678", "小区信号差", "direct")
    assert (clean["complainant_count"], clean["media"], clean["customer_name"]) == (1, False, "")


def test_every_bad_field_is_listed_at_once_with_its_code():
    bad = {"mobile": "12345", "channel": "fax", "cause": "coverage", "text": "  ",
           "customer_name": "张" * (MAX_NAME + 1), "complainant_count": True,
           "media": "yes", "colour": "red"}
    with pytest.raises(ValidationError) as err:
        validate(bad)
    assert {k: v.code for k, v in err.value.errors.items()} == {
        "mobile": "mobile_format", "channel": "unknown_choice", "text": "required",
        "customer_name": "too_long", "complainant_count": "whole_number", "media": "boolean",
        "colour": "unknown_field"}


def test_the_same_request_hashes_the_same_and_a_different_one_differently():
    assert request_hash(validate(GOOD)) == request_hash(validate(dict(GOOD, text="小区信号差")))
    assert request_hash(validate(GOOD)) != request_hash(validate(dict(GOOD, cause="roaming")))


def test_a_joint_media_complaint_repeated_often_enough_is_major_for_every_reason():
    clean = validate(dict(GOOD, media=True, complainant_count=POLICY.joint_complainants))
    assert major_reasons(POLICY, clean, POLICY.repeat_count) == ["media", "repeated", "joint"]
    assert major_reasons(POLICY, validate(GOOD), 0) == []


def test_a_normal_complaint_goes_to_its_cause_department_and_a_major_one_to_the_csc():
    normal = route(POLICY, validate(GOOD), [])
    assert (normal.routed_department, normal.department, normal.escalation_level) == (
        "network", "network", 0)
    major = route(POLICY, validate(GOOD), ["media"])
    assert (major.routed_department, major.department, major.escalation_level) == (
        "network", "customer_service", 1)


def test_an_escalated_complaint_goes_to_the_csc_without_being_major():
    escalated = route(POLICY, validate(dict(GOOD, source="gd_cab")), [])
    assert (escalated.department, escalated.escalation_level) == ("customer_service", 0)
