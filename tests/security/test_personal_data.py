"""PIPL: the full mobile number only for the roles that work the complaint, each view of
it recorded, and the log readable and filterable by auditors."""
from __future__ import annotations

from sqlalchemy import func, select

from tests.web.conftest import file, page, sign_in
from workflow.store.schema import personal_data_views

FULL, MASKED = "13812345678", "138****5678"


def _views(rt) -> list:
    with rt.uow(write=False) as uow:
        return uow.conn.execute(select(personal_data_views.c.username,
                                       personal_data_views.c.complaint_id,
                                       personal_data_views.c.channel)
                                .order_by(personal_data_views.c.id)).all()


def test_the_full_number_goes_only_to_roles_that_work_the_complaint(rt, app, api):
    cid = file(rt).id            # routed to network, filed by customer service
    for username, full in (("op", True), ("net", True), ("desk", True), ("audit", False),
                           ("root", False), ("mkt", None)):
        client = sign_in(app.test_client(), username)
        shown = client.get(f"/complaints/{cid}")
        answer = client.get(f"/api/v1/complaints/{cid}", headers=api[username])
        if full is None:                                    # may not even see it
            assert shown.status_code == 404 and answer.status_code == 404
            continue
        assert (FULL in page(shown)) is full
        assert full or MASKED in page(shown)
        facts = answer.get_json()["facts"]
        assert facts["mobile"] == (FULL if full else None)
        assert facts["mobile_masked"] == MASKED
    assert _views(rt) == [(u, cid, ch) for u in ("op", "net", "desk") for ch in ("page", "api")]


def test_lists_and_action_answers_never_carry_the_full_number(rt, client, api):
    cid = file(rt).id
    listed = client.get("/api/v1/complaints", headers=api["desk"]).get_json()
    assert FULL not in str(listed)
    acted = client.post(f"/api/v1/complaints/{cid}/actions/contact", json={"comment": "已联系"},
                        headers=api["op"])
    assert acted.status_code == 200 and acted.get_json()["facts"]["mobile"] is None
    assert _views(rt) == []


def test_auditors_read_and_filter_the_access_log(rt, app):
    first, second = file(rt).id, file(rt, mobile="13900000000").id
    sign_in(app.test_client(), "op").get(f"/complaints/{first}")
    sign_in(app.test_client(), "net").get(f"/complaints/{first}")
    sign_in(app.test_client(), "desk").get(f"/complaints/{second}")
    auditor = sign_in(app.test_client(), "audit")
    everything = auditor.get("/admin/access-log")
    assert everything.status_code == 200
    assert page(everything).count("<tr><td>") == 3
    by_user = page(auditor.get("/admin/access-log?username=net"))
    assert by_user.count("<tr><td>") == 1 and "net" in by_user
    by_complaint = page(auditor.get(f"/admin/access-log?complaint={second}"))
    assert by_complaint.count("<tr><td>") == 1 and "desk" in by_complaint
    assert page(auditor.get("/admin/access-log?since=2000-01-01&until=2000-01-02")).count(
        "<tr><td>") == 0
    bad = auditor.get("/admin/access-log?complaint=１&since=yesterday")
    assert bad.status_code == 422 and 'data-field="complaint"' in page(bad)
    assert 'data-field="since"' in page(bad)
    handler = sign_in(app.test_client(), "net")
    assert handler.get("/admin/access-log").status_code == 403
    with rt.uow(write=False) as uow:       # reading the log is not itself a view
        assert uow.conn.execute(select(func.count()).select_from(personal_data_views)).scalar() == 3
