"""Where a complaint comes from: the optional district (区) and free-text location, at
intake through the service, the JSON API and the form, and on the complaint page."""
from __future__ import annotations

import re

import pytest

from states.catalogue import DISTRICTS
from states.policy import PolicyError, load_policy, parse_policy_text
from tests.apisupport import bearer, make_app, make_users_and_tokens
from tests.conftest import OPERATOR, complaint_values, make_runtime
from tests.web.conftest import page, post, sign_in
from workflow import services
from workflow.domain.errors import ValidationError


def test_the_shipped_policy_offers_the_ten_shenzhen_districts():
    policy = load_policy()
    assert policy.districts == tuple(DISTRICTS) and len(DISTRICTS) == 10
    assert DISTRICTS["nanshan"][0] == "南山区"


def test_a_policy_naming_an_unknown_district_is_refused():
    text = load_policy().text.replace('"dapeng"]', '"dapeng", "haidian"]')
    with pytest.raises(PolicyError, match="haidian"):
        parse_policy_text(text)


def test_district_and_location_are_stored_and_both_stay_optional(rt, now):
    c = services.intake(rt, OPERATOR, complaint_values(
        district="nanshan", location="科技园南区高新南一道 3 栋"), now=now).complaint
    assert (c.district, c.location) == ("nanshan", "科技园南区高新南一道 3 栋")
    plain = services.intake(rt, OPERATOR, complaint_values(mobile="13912340000"), now=now)
    assert (plain.complaint.district, plain.complaint.location) == ("", "")


def test_an_unknown_district_is_refused(rt, now):
    with pytest.raises(ValidationError) as caught:
        services.intake(rt, OPERATOR, complaint_values(district="haidian"), now=now)
    assert set(caught.value.errors) == {"district"}


def test_a_district_the_policy_does_not_offer_is_refused(sqlite_url, now):
    text = re.sub(r"districts = \[[^]]*\]", 'districts = ["futian"]', load_policy().text)
    rt = make_runtime(sqlite_url, parse_policy_text(text, "futian-only"))
    assert rt.policy.districts == ("futian",)
    with pytest.raises(ValidationError) as caught:
        services.intake(rt, OPERATOR, complaint_values(district="nanshan"), now=now)
    assert set(caught.value.errors) == {"district"}
    assert services.intake(rt, OPERATOR, complaint_values(district="futian"),
                           now=now).complaint.district == "futian"
    rt.engine.dispose()


def test_the_api_takes_and_returns_district_and_location(rt):
    tok = make_users_and_tokens(rt)
    client = make_app(rt).test_client()
    response = client.post("/api/v1/complaints", headers=bearer(tok["wangli"]), json=complaint_values(
        district="baoan", location="西乡街道 碧海花园"))
    assert response.status_code == 201, response.get_json()
    facts = response.get_json()["facts"]
    assert (facts["district"], facts["location"]) == ("baoan", "西乡街道 碧海花园")
    listed = client.get("/api/v1/complaints", headers=bearer(tok["wangli"])).get_json()
    assert listed["items"][0]["district"] == "baoan"
    bad = client.post("/api/v1/complaints", headers=bearer(tok["wangli"]),
                      json=complaint_values(district="haidian"))
    assert bad.status_code == 422 and "district" in str(bad.get_json())


def test_the_form_offers_the_districts_and_the_page_shows_where(rt, client):
    sign_in(client, "op")
    form = page(client.get("/complaints/new"))
    assert '<option value="longhua">龙华区</option>' in form and 'name="location"' in form
    response = post(client, "/complaints/new", dict(
        channel="hotline", source="direct", mobile="13912345678", customer_name="李女士",
        cause="coverage", complainant_count="1", text="家里没有信号。", district="longgang",
        location="布吉街道大芬村 8 栋", key="d1"))
    assert response.status_code == 302
    body = page(client.get(response.headers["Location"]))
    assert "龙岗区" in body and "布吉街道大芬村 8 栋" in body
