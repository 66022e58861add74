"""Sign-in, sign-out, session cookies, CSRF and the language switch."""
from __future__ import annotations

from tests.web.conftest import PASSWORD, file, page, post, sign_in, token
from workflow.admin.directory import update_user


def test_a_user_signs_in_with_the_right_password_and_lands_on_the_queue(client):
    response = sign_in(client, "op").get("/")
    assert response.status_code == 200 and "工作队列" in page(response)


def test_a_wrong_password_is_refused_without_saying_which_part_was_wrong(client):
    response = client.post("/login", data={"username": "op", "password": "nope-nope",
                                           "csrf_token": token(client)})
    assert response.status_code == 401 and "用户名或密码错误" in page(response)
    assert client.get("/").status_code == 302


def test_the_session_cookie_is_httponly_and_samesite(client):
    response = client.post("/login", data={"username": "op", "password": PASSWORD,
                                           "csrf_token": token(client)})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_signing_out_ends_the_session(client):
    sign_in(client, "op")
    assert post(client, "/logout").status_code == 302
    assert client.get("/").status_code == 302


def test_a_sign_in_form_posted_without_its_csrf_token_is_rejected(client):
    response = client.post("/login", data={"username": "op", "password": PASSWORD})
    assert response.status_code == 400 and "安全令牌" in page(response)


def test_an_action_form_posted_without_its_csrf_token_is_rejected_and_changes_nothing(rt, client):
    cid = file(rt).id
    sign_in(client, "op")
    response = client.post(f"/complaints/{cid}/assign", data={"department": "network",
                                                             "version": 1})
    assert response.status_code == 400
    assert "已受理" in page(client.get(f"/complaints/{cid}"))       # still received


def test_an_intake_and_an_admin_form_without_a_token_are_rejected(client):
    sign_in(client, "op")
    assert client.post("/complaints/new", data={"mobile": "13812345678"}).status_code == 400
    sign_in(client, "root")
    assert client.post("/admin/users", data={"username": "x"}).status_code == 400


def test_a_deactivated_user_is_signed_out_on_the_next_request(rt, client):
    sign_in(client, "net")
    with rt.uow() as uow:
        update_user(uow.conn, "net", display_name="net", role="handler",
                    department="network", active=False)
        uow.commit()
    assert client.get("/").status_code == 302


def test_sign_in_never_redirects_to_another_site(client):
    response = client.post("/login?next=https://evil.example/", data={
        "username": "op", "password": PASSWORD, "csrf_token": token(client)})
    assert response.headers["Location"] == "/dashboard"


def test_the_interface_is_chinese_by_default_and_english_after_the_switch(client):
    sign_in(client, "op")
    assert "工作队列" in page(client.get("/"))
    post(client, "/lang/en", {"back": "/"})
    body = page(client.get("/"))
    assert "Work queue" in body and "工作队列" not in body
    post(client, "/lang/zh", {"back": "/"})
    assert "工作队列" in page(client.get("/"))
