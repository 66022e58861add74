"""Page sessions the server can end: a copied cookie is refused after sign-out, a password
change, deactivation and "sign out everywhere"; idle time and lifetime end sessions."""
from __future__ import annotations

import time

import pytest

from tests.web.conftest import page, post, sign_in
from web.pages.auth import SEEN_AT, SIGNED_IN_AT


def _copy(app, client):
    """A second client holding a copy of the first one's session cookie."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def _signed_in(client) -> bool:
    return client.get("/").status_code == 200


def test_a_copied_cookie_is_refused_after_sign_out(app, client):
    sign_in(client, "op")
    thief = _copy(app, client)
    assert _signed_in(thief)
    assert post(client, "/logout").status_code == 302
    assert not _signed_in(thief) and not _signed_in(client)


def test_signing_out_ends_the_users_sessions_on_other_devices_too(app, client):
    sign_in(client, "op")
    other_device = sign_in(app.test_client(), "op")
    post(client, "/logout")
    assert not _signed_in(other_device)


def test_a_copied_cookie_is_refused_after_an_administrator_changes_the_password(app, client):
    sign_in(client, "net")
    thief = _copy(app, client)
    admin = sign_in(app.test_client(), "root")
    response = post(admin, "/admin/users/net", {"display_name": "net", "role": "handler",
                                                 "department": "network", "active": "on",
                                                 "password": "a-new-password-1"})
    assert response.status_code == 302
    assert not _signed_in(thief) and not _signed_in(client)
    assert _signed_in(admin)


def test_saving_a_user_without_a_new_password_keeps_their_sessions(app, client):
    sign_in(client, "net")
    admin = sign_in(app.test_client(), "root")
    post(admin, "/admin/users/net", {"display_name": "网络", "role": "handler",
                                      "department": "network", "active": "on"})
    assert _signed_in(client)


def test_sign_out_everywhere_ends_every_session_of_that_user_only(app, client):
    sign_in(client, "mkt")
    thief = _copy(app, client)
    bystander = sign_in(app.test_client(), "op")
    admin = sign_in(app.test_client(), "root")
    assert "在所有设备上退出" in page(admin.get("/admin/users"))
    assert post(admin, "/admin/users/mkt/sign-out").status_code == 302
    assert not _signed_in(thief) and not _signed_in(client)
    assert _signed_in(bystander)
    assert _signed_in(sign_in(client, "mkt"))         # signing in again works


def test_deactivation_ends_the_session(app, client):
    sign_in(client, "net")
    thief = _copy(app, client)
    admin = sign_in(app.test_client(), "root")
    post(admin, "/admin/users/net", {"display_name": "net", "role": "handler",
                                      "department": "network"})
    assert not _signed_in(thief)


@pytest.mark.parametrize("key, config", [(SEEN_AT, "SESSION_IDLE_SECONDS"),
                                         (SIGNED_IN_AT, "SESSION_LIFETIME_SECONDS")])
def test_a_session_idle_or_older_than_its_lifetime_ends(app, client, key, config):
    sign_in(client, "op")
    limit = app.config[config]
    with client.session_transaction() as session:
        session[key] = int(time.time()) - limit + 120
    assert _signed_in(client)
    with client.session_transaction() as session:
        session[key] = int(time.time()) - limit - 5
    response = client.get("/")
    assert response.status_code == 302
    assert "登录已超时" in page(client.get("/login"))


def test_the_idle_time_and_lifetime_come_from_settings(rt, monkeypatch):
    from web import create_app
    monkeypatch.setenv("COMPLAINTS_SESSION_IDLE", "30m")
    monkeypatch.setenv("COMPLAINTS_SESSION_LIFETIME", "2 days")
    app = create_app({"TESTING": True}, runtime=rt)
    assert (app.config["SESSION_IDLE_SECONDS"], app.config["SESSION_LIFETIME_SECONDS"]) == \
        (1800, 172800)
    monkeypatch.setenv("COMPLAINTS_SESSION_IDLE", "5 workdays")
    with pytest.raises(ValueError, match="COMPLAINTS_SESSION_IDLE"):
        create_app({"TESTING": True}, runtime=rt)


def test_the_default_idle_time_is_eight_hours(app):
    assert app.config["SESSION_IDLE_SECONDS"] == 8 * 3600
