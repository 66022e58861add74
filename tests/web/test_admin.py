"""Administration: users and roles, departments, liaisons, the policy view, the status."""
from __future__ import annotations

from sqlalchemy import select

from tests.web.conftest import file, page, post, sign_in, token
from workflow.store.schema import departments, liaisons, users


def test_the_admin_creates_a_user_who_can_then_sign_in(app, client):
    sign_in(client, "root")
    response = post(client, "/admin/users", {"username": "huang", "display_name": "黄工",
                                             "role": "handler", "department": "it_centre",
                                             "password": "long-enough-1"})
    assert response.status_code == 302
    other = app.test_client()
    response = other.post("/login", data={"username": "huang", "password": "long-enough-1",
                                          "csrf_token": token(other)})
    assert response.status_code == 302


def test_bad_user_fields_are_marked(client):
    sign_in(client, "root")
    response = post(client, "/admin/users", {"username": "op", "role": "handler",
                                             "department": "network", "password": "short"})
    body = page(response)
    assert response.status_code == 422
    assert 'data-field="username">已存在' in body and 'data-field="password">至少 8 个字符' in body


def test_the_admin_changes_a_role_and_the_next_request_uses_it(rt, app, client):
    other = sign_in(app.test_client(), "net")
    assert other.get("/complaints/new").status_code == 403
    sign_in(client, "root")
    post(client, "/admin/users/net", {"display_name": "张伟", "role": "operator",
                                      "department": "customer_service", "active": "on"})
    assert other.get("/complaints/new").status_code == 200
    with rt.engine.connect() as conn:
        assert conn.execute(select(users.c.role).where(users.c.username == "net")).scalar() == "operator"


def test_the_admin_cannot_lock_themself_out(client):
    sign_in(client, "root")
    post(client, "/admin/users/root", {"role": "operator", "department": "customer_service",
                                       "active": "on"})
    assert client.get("/admin/users").status_code == 200


def test_a_deactivated_department_is_no_longer_offered_for_assignment(rt, client):
    cid = file(rt).id
    sign_in(client, "root")
    assert post(client, "/admin/departments", {"code": "logistics", "name_zh": "后勤服务中心",
                                               "name_en": "Logistics"}).status_code == 302
    with rt.engine.connect() as conn:
        assert not conn.execute(select(departments.c.active)
                                .where(departments.c.code == "logistics")).scalar()
    sign_in(client, "op")
    form = page(client.get(f"/complaints/{cid}")).split('id="act-assign"')[1].split("</form>")[0]
    assert 'value="network"' in form and 'value="logistics"' not in form


def test_liaisons_are_added_changed_checked_and_removed(rt, client):
    sign_in(client, "desk")
    assert post(client, "/admin/liaisons", {"authority": "gd_cab", "name": "周科长",
                                            "phone": "020-83201234", "email": "zhou@example.cn"}
                ).status_code == 302
    body = page(client.get("/admin/liaisons"))
    assert "周科长" in body and "020-83201234" in body
    with rt.engine.connect() as conn:
        lid = conn.execute(select(liaisons.c.id)).scalar()
    response = post(client, f"/admin/liaisons/{lid}", {"authority": "gd_cab", "name": "周科长",
                                                       "phone": "电话", "email": "no-at"})
    assert response.status_code == 422
    assert 'data-field="phone"' in page(response) and 'data-field="email"' in page(response)
    body = page(client.get("/admin/liaisons"))
    assert f'href="/admin/liaisons/{lid}/delete"' in body       # a link to ask first
    confirm = page(client.get(f"/admin/liaisons/{lid}/delete"))
    assert "确定要删除" in confirm and "周科长" in confirm and "<script" not in confirm
    with rt.engine.connect() as conn:
        assert conn.execute(select(liaisons.c.id)).first() is not None   # asking deletes nothing
    assert post(client, f"/admin/liaisons/{lid}/delete").status_code == 302
    with rt.engine.connect() as conn:
        assert conn.execute(select(liaisons.c.id)).first() is None
    assert client.get(f"/admin/liaisons/{lid}/delete").status_code == 404


def test_the_policy_page_shows_the_version_routing_and_deadlines(rt, client):
    sign_in(client, "audit")
    body = page(client.get("/admin/policy"))
    assert f"第 {rt.policy.number} 版" in body and "当前启用" in body
    assert "资费争议" in body and "48小时" in body and "75%" in body and "48h" not in body


def test_the_status_page_warns_when_no_timer_worker_reports(client):
    sign_in(client, "root")
    assert "没有定时任务进程在运行" in page(client.get("/admin/status"))
