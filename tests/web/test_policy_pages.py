"""The administrator's policy page (load, preview, activate, migrate), the complaint
page's clock timelines and `GET /api/v1/complaints/{id}/clocks`."""
from __future__ import annotations

import io
from datetime import timedelta

from tests.apisupport import bearer, make_users_and_tokens
from tests.web.conftest import actor, file, page, post, sign_in
from workflow import services
from workflow.store.schema import utcnow


def _in_handling(rt, at):
    c = file(rt, now=at)
    services.act(rt, c.id, "assign", actor(rt, "op"), now=at, department="network")
    services.act(rt, c.id, "accept", actor(rt, "net"), now=at)
    return c.id


def test_a_bad_policy_file_is_refused_with_every_problem_and_nothing_stored(rt, client):
    sign_in(client, "root")
    text = rt.policy.text.replace('reply = "48h"', 'reply = "later"').replace(
        "max_pauses = 2", "max_pauses = \"two\"")
    answer = post(client, "/admin/policy", {"text": text, "note": "坏文件"})
    assert answer.status_code == 422
    body = page(answer)
    assert "规范文件有误，未保存" in body
    assert "deadlines.normal.reply" in body and "general.max_pauses" in body
    assert "deadlines.normal.reply：应为正的时长" in body
    assert "general.max_pauses：应为不小于 0 的整数" in body
    assert "第 2 版" not in page(client.get("/admin/policy"))


def test_a_policy_file_nested_too_deeply_is_refused_with_a_message_not_an_error_page(rt, client):
    sign_in(client, "root")
    answer = post(client, "/admin/policy", {"text": "x = " + "[" * 5000 + "]" * 5000})
    assert answer.status_code == 422 and "嵌套层数过多" in page(answer)


def test_an_administrator_loads_previews_and_activates_a_version_with_migration(rt, client):
    now = utcnow()
    cid = _in_handling(rt, now - timedelta(hours=1))
    sign_in(client, "root")
    text = rt.policy.text.replace('reply = "48h"', 'reply = "12h"', 1)
    upload = {"file": (io.BytesIO(text.encode()), "policy-2027.toml"), "note": "答复提速"}
    answer = post(client, "/admin/policy", upload, content_type="multipart/form-data")
    assert answer.status_code == 302 and answer.location.endswith("/admin/policy/2/preview")
    preview = page(client.get("/admin/policy/2/preview"))
    assert "deadlines.normal.reply" in preview and "12h" in preview
    number = rt.policy_version(1).number
    assert number == 1 and rt.policy.number == 1            # stored, not active yet
    assert f'href="/complaints/{cid}"' in preview
    assert "−1天12小时" in preview or "-1天12小时" in preview

    answer = post(client, "/admin/policy/2/activate", {"migrate": "all"})
    assert answer.status_code == 302
    rt.refresh_policy()
    assert rt.policy.number == 2
    shown = page(client.get(f"/complaints/{cid}"))
    assert "调整：迁移至规范第 2 版（root）" in shown
    assert "规范第 2 版" in shown
    listing = page(client.get("/admin/policy"))
    assert "答复提速" in listing and "当前启用" in listing


def test_other_roles_may_read_the_policy_but_not_change_it(rt, client):
    sign_in(client, "audit")
    assert client.get("/admin/policy").status_code == 200
    assert "载入新版本" not in page(client.get("/admin/policy"))
    assert post(client, "/admin/policy", {"text": rt.policy.text}).status_code == 403
    assert post(client, "/admin/policy/1/activate", {}).status_code == 403
    assert client.get("/admin/policy/1/preview").status_code == 403


def test_the_complaint_page_and_the_api_tell_each_clocks_life(rt, client):
    start = utcnow() - timedelta(hours=6)
    cid = _in_handling(rt, start)
    services.act(rt, cid, "pause", actor(rt, "net"), now=start + timedelta(hours=1),
                 comment="等客户", reason="客户出差")
    services.act(rt, cid, "resume", actor(rt, "net"), now=start + timedelta(hours=3),
                 comment="客户回来了")
    sign_in(client, "net")
    body = page(client.get(f"/complaints/{cid}"))
    assert "时限说明" in body
    assert "答复时限 48小时（规范第 1 版，普通投诉）" in body
    assert "暂停（等待客户）" in body
    due = (start + timedelta(hours=50)).astimezone(__import__("zoneinfo").ZoneInfo("Asia/Shanghai"))
    assert f"恢复计时，暂停 2小时，顺延至 {due:%m-%d %H:%M}" in body
    assert "按时完成" in body                      # the assign clock, stopped by accept

    tokens = make_users_and_tokens(rt)
    answer = client.get(f"/api/v1/complaints/{cid}/clocks", headers=bearer(tokens["wangli"]))
    assert answer.status_code == 200
    runs = {(r["kind"], r["run"]): r for r in answer.json["runs"]}
    reply = runs[("reply", 1)]
    assert reply["outcome"] is None
    assert [e["event"] for e in reply["entries"]] == ["started", "paused", "resumed"]
    assert reply["entries"][2]["seconds"] == 7200
    resumed = (start + timedelta(hours=3)).astimezone(due.tzinfo)
    assert reply["entries"][2]["text_zh"].startswith(f"{resumed:%m-%d %H:%M} 恢复计时")
    assert runs[("assign", 1)]["outcome"] == "met"
    assert client.get(f"/api/v1/complaints/{cid + 99}/clocks",
                      headers=bearer(tokens["wangli"])).status_code == 404
