"""Domain errors rendered by their codes (web/messages.py, the catalogue's "error" and
"field" ids): the Chinese reads as Chinese, and the pages show it where English used to leak."""
from __future__ import annotations

import re

import pytest

from states.fields import MAX_NAME
from tests.web.conftest import actor, file, page, post, sign_in
from web import messages
from workflow import services
from workflow.domain import errors
from workflow.domain.errors import FieldError

SAMPLE = {"max": 100, "min": 1, "field": "channel", "value": "某值", "choices": "a, b",
          "expected": "a string", "level": 2, "total": "7 days", "kind": "complaint",
          "key": 5, "actor": "net", "role": "handler", "action": "close", "number": "TS1",
          "state": "handling", "allowed": ["contact"], "allowed_text": "contact",
          "complaint_id": 5, "current": 4, "fields": "comment: required",
          "claimed": "pdf", "found": "png"}
#: ASCII letters a Chinese message may carry: the examples it gives, and the names of
#: file formats (PDF, PNG, Word ...; workflow.domain.evidence), which are proper names.
EXAMPLES = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ|TS1|PDF|PNG|\b[0-9]+ KB\b")


@pytest.mark.parametrize("code", sorted(errors.FIELD_CODES))
def test_a_field_error_fills_its_parameters_in_both_languages_and_has_no_english_in_chinese(code):
    error = FieldError(code, **SAMPLE)
    text = messages.field_text(error, "zh")
    assert "%(" not in text and not re.search(r"[A-Za-z]", EXAMPLES.sub("", text)), text
    assert "%(" not in messages.field_text(error, "en")


@pytest.mark.parametrize("error", [
    errors.NotFound("complaint", 5), errors.Forbidden("net", "handler", "close", "TS1"),
    errors.IntakeForbidden("net", "handler"), errors.ActionNotAllowed("close", "handling", []),
    errors.Conflict(5, 3, 4), errors.IdempotencyMismatch("k"),
    errors.ValidationError({"comment": FieldError("required")})])
def test_a_domain_error_in_chinese_names_actions_and_states_in_chinese(error):
    text = messages.text(error, "zh")
    assert not re.search(r"[A-Za-z]", EXAMPLES.sub("", text)), text
    assert "%(" not in messages.text(error, "en")


def test_actions_states_and_durations_are_named_as_the_policy_names_them():
    assert messages.text(errors.ActionNotAllowed("close", "handling", []), "zh") == (
        "投诉当前为“处理中”，不能执行“结案”")
    assert [messages.duration_zh(d) for d in ("7 days", "48h", "5 workdays", "90 minutes")] == [
        "7天", "48小时", "5个工作日", "90分钟"]


def test_a_customer_name_too_long_is_marked_as_too_long_not_as_required(rt, client):
    sign_in(client, "op")
    response = post(client, "/complaints/new", {
        "channel": "hotline", "source": "direct", "mobile": "13912345678", "cause": "tariff",
        "complainant_count": "1", "text": "套餐资费被无故上调。", "customer_name": "李" * (MAX_NAME + 1)})
    assert response.status_code == 422
    assert f'data-field="customer_name">最多 {MAX_NAME} 个字' in page(response)


def test_escalating_at_the_highest_level_says_so_in_chinese(rt, client, now):
    desk = actor(rt, "desk")
    cid = file(rt, now=now).id
    for level in range(rt.policy.max_escalation_level):
        services.act(rt, cid, "escalate", desk, now=now, reason=f"第{level + 1}次升级")
    sign_in(client, "desk")
    response = post(client, f"/complaints/{cid}/escalate", {"reason": "再次升级"})
    body = page(response)
    assert response.status_code == 422
    assert "已处于最高升级级别" in body and "highest escalation level" not in body
