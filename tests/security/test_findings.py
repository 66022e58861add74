"""Each finding of the attack on the demo server, reproduced: refused now, on SQLite and
PostgreSQL, with nothing written; and data stored before the check still displays."""
from __future__ import annotations

import subprocess
import sys

import pytest
from sqlalchemy import insert, select

from tests.conftest import complaint_values
from tests.security.conftest import snapshot
from tests.web.conftest import PASSWORD, actor, file, page, post, sign_in, token
from web import create_app
from workflow import services
from workflow.store.schema import events, utcnow

SURROGATE, NUL = "\ud83d", "\x00"


def _surrogate_json(body: dict) -> bytes:
    """A JSON body as an attacker sends it: json.dumps writes a lone surrogate as \\ud83d."""
    import json
    return json.dumps(body).encode()


def _post_json(client, url, body, headers):
    return client.post(url, data=_surrogate_json(body), headers={
        **headers, "Content-Type": "application/json"})


# --- 1. a lone surrogate in an action's reason broke the complaint for good -----------

@pytest.mark.parametrize("action, body, setup", [
    ("pause", {"comment": "c", "reason": SURROGATE}, ("assign", "accept")),
    ("escalate", {"comment": "c", "reason": SURROGATE}, ()),
    ("transfer", {"comment": "c", "department": "marketing", "reason": SURROGATE},
     ("assign",)),
    ("reopen", {"comment": "c", "reason": SURROGATE}, ("reply",)),
])
def test_a_lone_surrogate_in_a_reason_is_refused_and_the_complaint_still_shows(
        rt, client, api, action, body, setup):
    cid = file(rt).id
    for step in setup:
        fields = {"assign": {"department": "network"}, "reply": {"comment": "已答复"}}.get(step, {})
        who = "net" if step == "accept" else "desk"
        services.act(rt, cid, step, actor(rt, who), now=utcnow(), **fields)
    before = snapshot(rt)
    who = "net" if action in ("pause", "transfer") else "desk"
    response = _post_json(client, f"/api/v1/complaints/{cid}/actions/{action}", body, api[who])
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["errors"] == {
        "reason": "must not contain NUL, control characters or unpaired surrogates"}
    assert snapshot(rt) == before
    assert client.get(f"/api/v1/complaints/{cid}/history", headers=api["desk"]).status_code == 200
    assert client.get(f"/api/v1/complaints/{cid}", headers=api["desk"]).status_code == 200


def _poison(rt, cid):
    """An event row as the old code stored it: a lone surrogate and a NUL in its data."""
    with rt.uow() as uow:
        uow.conn.execute(insert(events).values(
            complaint_id=cid, at=utcnow(), actor="desk", actor_role="major_desk",
            action="pause", from_state="handling", to_state="handling", comment="旧数据",
            data={"reason": "等待客户" + SURROGATE, "note": "x" + NUL}))
        uow.commit()


def test_a_complaint_whose_history_already_holds_a_lone_surrogate_still_displays(
        rt, client, api):
    cid = file(rt).id
    _poison(rt, cid)
    with rt.uow(write=False) as uow:      # the row really holds it
        data = uow.conn.execute(select(events.c.data).where(events.c.action == "pause")).scalar()
    assert SURROGATE in data["reason"]
    history = client.get(f"/api/v1/complaints/{cid}/history", headers=api["desk"])
    assert history.status_code == 200
    assert history.get_json()["items"][-1]["data"]["reason"] == "等待客户\ufffd"
    assert client.get(f"/api/v1/complaints/{cid}", headers=api["desk"]).status_code == 200
    sign_in(client, "desk")
    shown = client.get(f"/complaints/{cid}")
    assert shown.status_code == 200 and "旧数据" in page(shown)


# --- 2. other 500s: surrogates and NUL anywhere, newlines in redirects -----------------

@pytest.mark.parametrize("field, bad", [("text", SURROGATE), ("customer_name", SURROGATE),
                                        ("text", NUL), ("customer_name", "a" + NUL)])
def test_api_intake_refuses_a_surrogate_or_nul_naming_the_field(rt, client, api, field, bad):
    before = snapshot(rt)
    response = _post_json(client, "/api/v1/complaints",
                          complaint_values(**{field: "投诉" + bad}), api["op"])
    assert response.status_code == 422
    assert list(response.get_json()["errors"]) == [field]
    assert snapshot(rt) == before


@pytest.mark.parametrize("bad", [SURROGATE, NUL, "\x1b[31m", "\x85"])
def test_api_and_page_comments_refuse_unsafe_characters(rt, client, api, bad):
    cid = file(rt).id
    before = snapshot(rt)
    response = _post_json(client, f"/api/v1/complaints/{cid}/actions/contact",
                          {"comment": "已联系" + bad}, api["op"])
    assert response.status_code == 422 and list(response.get_json()["errors"]) == ["comment"]
    sign_in(client, "op")
    if bad == SURROGATE:   # a form cannot carry one: its (invalid) UTF-8 never decodes to it
        form = f"csrf_token={token(client)}&version=1&comment=%E5%B7%B2%ED%A0%BD"
        shown = client.post(f"/complaints/{cid}/contact", data=form,
                            content_type="application/x-www-form-urlencoded")
        assert shown.status_code == 302
        history = client.get(f"/api/v1/complaints/{cid}/history", headers=api["op"]).get_json()
        assert history["items"][-1]["comment"].startswith("已")
        assert SURROGATE not in history["items"][-1]["comment"]
        return
    shown = post(client, f"/complaints/{cid}/contact", {"comment": "已联系" + bad, "version": 1})
    assert shown.status_code == 422
    body = page(shown)
    assert 'data-field="comment"' in body and "不允许的字符" in body
    assert snapshot(rt) == before


def test_the_page_intake_refuses_nul_and_gives_the_form_back_marked(rt, client):
    sign_in(client, "op")
    before = snapshot(rt)
    response = post(client, "/complaints/new", {**complaint_values(text="信号差\x00"),
                                                "complainant_count": "1"})
    assert response.status_code == 422
    body = page(response)
    assert 'data-field="text"' in body and "不允许的字符" in body and 'name="mobile"' in body
    assert snapshot(rt) == before


def test_page_intake_with_percent_00_in_the_form_body_is_refused(rt, client):
    sign_in(client, "op")
    before = snapshot(rt)
    form = "&".join([f"csrf_token={token(client)}", "mobile=13812345678", "channel=hotline",
                     "cause=coverage", "text=%E4%BF%A1%00%E5%8F%B7"])
    response = client.post("/complaints/new", data=form,
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 422 and snapshot(rt) == before


def test_a_nul_in_the_queue_search_is_a_422_naming_the_field(rt, client):
    sign_in(client, "op")
    response = client.get("/?q=%00")
    assert response.status_code == 422
    assert 'data-field="q"' in page(response)


def test_a_nul_in_the_sign_in_user_name_is_refused_without_a_500(rt, client):
    response = client.post("/login", data={"username": "op\x00", "password": "x",
                                            "csrf_token": token(client)})
    assert response.status_code == 422
    assert 'data-field="username"' in page(response) and "不允许的字符" in page(response)


@pytest.mark.parametrize("target", ["/\nSet-Cookie: x=1", "/\r\nX: y", "//evil.example",
                                    "/\\evil.example", "https://evil.example/"])
def test_a_newline_or_another_site_in_next_goes_to_the_dashboard(rt, client, target):
    response = client.post("/login", query_string={"next": target}, data={
        "username": "op", "password": PASSWORD, "csrf_token": token(client)})
    assert response.status_code == 302 and response.headers["Location"] == "/dashboard"


def test_a_newline_in_the_language_switchs_back_goes_to_the_dashboard(rt, client):
    response = post(client, "/lang/en", {"back": "/\nLocation: https://evil.example/"})
    assert response.status_code == 302 and response.headers["Location"] == "/dashboard"
    ok = post(client, "/lang/zh", {"back": "/complaints/new?x=1"})
    assert ok.headers["Location"] == "/complaints/new?x=1"


def test_an_idempotency_key_with_a_control_character_is_a_422_naming_the_header(rt, client, api):
    before = snapshot(rt)
    response = client.post("/api/v1/complaints", json=complaint_values(),
                           headers={**api["op"], "Idempotency-Key": "key\x7f1"})
    assert response.status_code == 422
    assert list(response.get_json()["errors"]) == ["Idempotency-Key"]
    assert snapshot(rt) == before


def test_a_nul_in_a_json_key_or_nested_value_is_refused(rt, client, api):
    response = client.post("/api/v1/complaints", json={**complaint_values(), "x\x00": 1},
                           headers=api["op"])
    assert response.status_code == 422 and list(response.get_json()["errors"]) == ["x\ufffd"]


def test_right_to_left_marks_emoji_and_combining_marks_are_accepted_and_shown(rt, client, api):
    text = "信号\u202e差😀e\u0301\n第二行\t完"
    made = client.post("/api/v1/complaints", json=complaint_values(text=text), headers=api["op"])
    assert made.status_code == 201 and made.get_json()["facts"]["text"] == text
    sign_in(client, "op")
    assert client.get(f"/complaints/{made.get_json()['id']}").status_code == 200


# --- 6. the secret key -----------------------------------------------------------------

def test_a_short_secret_key_is_refused_outside_demo_mode(rt, monkeypatch):
    monkeypatch.delenv("COMPLAINTS_DEMO", raising=False)
    monkeypatch.setenv("COMPLAINTS_SECRET_KEY", "x")
    with pytest.raises(RuntimeError, match="too short: at least 32 bytes"):
        create_app(runtime=rt)
    monkeypatch.setenv("COMPLAINTS_SECRET_KEY", "k" * 31)
    with pytest.raises(RuntimeError, match="COMPLAINTS_SECRET_KEY"):
        create_app(runtime=rt)
    monkeypatch.setenv("COMPLAINTS_SECRET_KEY", "k" * 32)
    assert create_app(runtime=rt).config["SECRET_KEY"] == "k" * 32
    monkeypatch.setenv("COMPLAINTS_SECRET_KEY", "x")
    monkeypatch.setenv("COMPLAINTS_DEMO", "1")
    assert create_app(runtime=rt)          # demo mode takes what it is given


def test_serve_refuses_a_short_secret_key_with_a_clear_error(sqlite_url):
    env = {"PATH": "/usr/bin:/bin", "COMPLAINTS_DATABASE_URL": sqlite_url,
           "COMPLAINTS_SECRET_KEY": "short"}
    result = subprocess.run([sys.executable, "-m", "complaints", "serve", "--port", "0",
                             "--no-worker"], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0 and "too short" in result.stderr


# --- 7. version, path ids, SMTP URL, search --------------------------------------------

def test_a_non_numeric_form_version_is_a_400_and_nothing_is_applied(rt, client):
    cid = file(rt).id
    sign_in(client, "op")
    before = snapshot(rt)
    for version in ("abc", "1.0", "１", "-1", "99999999999"):
        response = post(client, f"/complaints/{cid}/assign",
                        {"department": "network", "version": version})
        assert response.status_code == 400, version
    assert snapshot(rt) == before
    assert post(client, f"/complaints/{cid}/assign",
                {"department": "network", "version": "1"}).status_code == 302


def test_full_width_digits_in_a_path_id_are_not_found(rt, client, api):
    cid = file(rt).id
    assert cid == 1
    sign_in(client, "op")
    assert client.get("/complaints/１").status_code == 404
    assert client.get("/complaints/1").status_code == 200
    assert client.get("/api/v1/complaints/１", headers=api["op"]).status_code == 404
    assert client.get("/api/v1/complaints/١", headers=api["op"]).status_code == 404
    assert client.get("/api/v1/complaints/1", headers=api["op"]).status_code == 200


def test_an_smtp_url_with_a_bad_scheme_does_not_echo_its_password():
    from timers.notify import SmtpSender
    with pytest.raises(ValueError) as caught:
        SmtpSender("smtpx://mailer:Pa55-w0rd@mail.sz.example:25?from=a@sz.example")
    assert "Pa55-w0rd" not in str(caught.value) and "mailer:***@" in str(caught.value)


def test_the_worker_with_a_bad_smtp_url_does_not_print_its_password(sqlite_url):
    env = {"PATH": "/usr/bin:/bin", "COMPLAINTS_DATABASE_URL": sqlite_url,
           "COMPLAINTS_SMTP_URL": "smtpx://mailer:Pa55-w0rd@mail.sz.example:25"}
    result = subprocess.run([sys.executable, "-m", "complaints", "worker", "--once"], env=env,
                            capture_output=True, text=True, timeout=60)
    assert "Pa55-w0rd" not in result.stdout + result.stderr


NAMES = {"百分之%折扣": "甲先生", "下划线_号": "乙女士", "反斜杠\\号": "丙先生", "普通的投诉": "丁女士"}


@pytest.mark.parametrize("q, matches", [("%", ["甲先生"]), ("_", ["乙女士"]),
                                         ("\\", ["丙先生"]), ("折扣", ["甲先生"])])
def test_the_queue_search_matches_percent_underscore_and_backslash_literally(
        rt, client, q, matches):
    for text, customer in NAMES.items():
        file(rt, text=text, customer_name=customer, mobile="13912345678")
    sign_in(client, "desk")
    body = page(client.get("/", query_string={"q": q, "scope": "all"}))
    assert [n for n in NAMES.values() if n in body] == matches
