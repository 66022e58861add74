"""The hot-issue page and `GET /api/v1/reports/hot`: who may see and escalate, a seeded
cluster shown with a link whose list has exactly its rows, the desk's button escalating
it, and the same figures from the API."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.apisupport import make_users_and_tokens
from tests.web.conftest import USERS, file, page, post, sign_in
from workflow.store.schema import complaints, utcnow

#: On both databases: the hot-issue clusters are counted in SQL.
pytestmark = pytest.mark.both_databases

SEE = {"desk", "audit", "root"}


@pytest.fixture
def cluster(rt):
    """Three customers about coverage in 南山区 within the last hours, one in 福田区."""
    at = utcnow() - timedelta(hours=3)
    ids = [file(rt, now=at + timedelta(minutes=n), mobile=f"1380000000{n}", district="nanshan",
                location="桃源村三期").id for n in range(3)]
    file(rt, now=at, mobile="13800000009", district="futian")
    return ids


def links(body: str, kind: str) -> list[str]:
    return [u.replace("&amp;", "&") for u in
            re.findall(r'href="(/reports/hot/complaints\?[^"]*kind=' + kind + r'[^"]*)"', body)]


def test_the_hot_issues_are_for_the_desk_the_auditor_and_the_administrator(app):
    for username in sorted(USERS):
        client = app.test_client()
        sign_in(client, username)
        expected = 200 if username in SEE else 403
        assert client.get("/reports/hot").status_code == expected, username
        assert client.get("/reports/hot/complaints?kind=cause&cause=coverage").status_code == expected
        assert client.get("/reports/hot/complaints?kind=nothing").status_code == (
            404 if username in SEE else 403)


def test_a_seeded_cluster_shows_with_the_list_behind_it_and_the_desk_escalates_it(rt, client, cluster):
    sign_in(client, "audit")
    body = page(client.get("/reports/hot"))
    assert 'data-kind="district" data-cause="coverage" data-place="nanshan"' in body
    assert "南山区" in body and "3位客户" in body
    assert "escalate-cluster" not in body                  # the auditor only looks
    [url] = links(body, "district")
    listed = page(client.get(url))
    assert sorted(int(i) for i in re.findall(r'<tr data-id="(\d+)"', listed)) == cluster
    assert 'data-total="3"' in listed
    assert post(client, "/reports/hot/escalate", {"kind": "district", "cause": "coverage",
                                                  "place": "nanshan"}).status_code == 403
    client.post("/logout", data={})
    sign_in(client, "desk")
    body = page(client.get("/reports/hot"))
    assert "升级为重大投诉（3张）" in body
    form = re.search(r'<form method="post" action="/reports/hot/escalate".*?</form>', body, re.S).group(0)
    fields = dict(re.findall(r'name="(\w+)" value="([^"]*)"', form))
    done = client.post("/reports/hot/escalate", data=fields, follow_redirects=True)
    assert "已按群体投诉升级为重大投诉：3张工单" in page(done)
    with rt.engine.connect() as conn:
        rows = conn.execute(select(complaints.c.escalation_level, complaints.c.major_reasons)
                            .where(complaints.c.id.in_(cluster))).all()
    assert all(level == 1 and "joint" in reasons for level, reasons in rows)
    assert "已于" in page(done) and "escalate-cluster" not in page(done)


def test_the_api_gives_the_same_figures_with_the_complaints_behind_each(rt, app, cluster):
    keys = make_users_and_tokens(rt)
    client = app.test_client()

    def get(url, who):
        return client.get(url, headers={"Authorization": f"Bearer {keys[who]}"})
    assert get("/api/v1/reports/hot", "zhangwei").status_code == 403
    assert get("/api/v1/reports/hot?from=2026-13-01", "liufang").status_code == 422
    body = get("/api/v1/reports/hot", "liufang").get_json()
    by_district = [c for c in body["clusters"] if c["kind"] == "district"]
    assert [(c["cause"], c["place"], c["place_zh"], c["complaints"], c["customers"])
            for c in by_district] == [("coverage", "nanshan", "南山区", 3, 3)]
    by_location = [c for c in body["clusters"] if c["kind"] == "location"]
    assert [(c["place"], c["customers"]) for c in by_location] == [("桃源村三期", 3)]
    behind = get(by_district[0]["complaints_url"], "liufang").get_json()
    assert behind == {"count": 3, "ids": cluster}
    assert [r["cause"] for r in body["rising"]] == ["coverage"]
    assert body["rising"][0]["count"] == 4 and body["rising"][0]["previous"] == 0
