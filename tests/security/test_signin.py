"""Sign-in: lockout counted in the database, unlock, the same cost for unknown users, and
the log of every attempt shown to administrators."""
from __future__ import annotations

import statistics
import time
from datetime import timedelta

from sqlalchemy import select, update
from werkzeug.security import generate_password_hash

from tests.web.conftest import PASSWORD, page, post, sign_in, token
from workflow.admin import signin
from workflow.store.schema import sign_ins, users, utcnow


def _try(client, username, password, address="10.0.0.1"):
    return client.post("/login", data={"username": username, "password": password,
                                        "csrf_token": token(client)},
                       environ_base={"REMOTE_ADDR": address})


def test_six_wrong_passwords_lock_the_account_even_against_the_right_one(rt, client):
    for _ in range(6):
        assert _try(client, "op", "wrong-password").status_code in (401, 429)
    seventh = _try(client, "op", PASSWORD)
    assert seventh.status_code == 429
    assert "账号已暂时锁定" in page(seventh) and "分钟后再试" in page(seventh)
    assert client.get("/").status_code == 302                 # not signed in
    with rt.uow(write=False) as uow:
        outcomes = uow.conn.execute(select(sign_ins.c.outcome).order_by(sign_ins.c.id)).scalars()
        assert list(outcomes) == ["bad_password"] * 5 + ["locked", "locked"]


def test_an_administrator_sees_the_lock_and_unlocks_the_account(rt, client, app):
    for _ in range(5):
        _try(client, "op", "wrong-password")
    admin = app.test_client()
    sign_in(admin, "root")
    users_page = page(admin.get("/admin/users"))
    assert 'data-locked="op"' in users_page and "已锁定" in users_page
    assert post(admin, "/admin/users/op/unlock").status_code == 302
    assert 'data-locked="op"' not in page(admin.get("/admin/users"))
    assert _try(client, "op", PASSWORD).status_code == 302


def test_the_wait_grows_with_every_failure_after_the_limit(rt):
    now = utcnow()
    with rt.uow() as uow:
        for i in range(5):
            signin.record(uow.conn, "op", "a", "bad_password", now=now + timedelta(seconds=i))
        uow.commit()
    with rt.uow(write=False) as uow:
        first = signin.account_wait(uow.conn, "op", now + timedelta(seconds=4))
        assert first == timedelta(minutes=1)
        assert signin.account_wait(uow.conn, "op", now + timedelta(seconds=65)) is None
    with rt.uow() as uow:
        signin.record(uow.conn, "op", "a", "bad_password", now=now + timedelta(seconds=70))
        uow.commit()
    with rt.uow(write=False) as uow:
        assert signin.account_wait(uow.conn, "op", now + timedelta(seconds=70)) == \
            timedelta(minutes=2)
        # Failures older than the window no longer count.
        assert signin.account_wait(uow.conn, "op", now + timedelta(minutes=16)) is None


def test_refused_attempts_while_locked_do_not_wash_the_failures_out(rt):
    now = utcnow()
    with rt.uow() as uow:
        for _ in range(5):
            signin.record(uow.conn, "op", "a", "bad_password", now=now)
        for _ in range(200):
            signin.record(uow.conn, "op", "a", "locked", now=now)
        uow.commit()
    with rt.uow(write=False) as uow:
        assert signin.account_wait(uow.conn, "op", now) is not None


def test_unknown_user_names_lock_too_so_locking_tells_nothing(rt, client):
    for _ in range(5):
        assert _try(client, "no-such-user", "x").status_code == 401
    assert _try(client, "no-such-user", "x").status_code == 429


def test_one_address_trying_many_accounts_is_made_to_wait(rt, client):
    for i in range(signin.ADDRESS_LOCK_AFTER):
        assert _try(client, f"guess{i}", "x", address="10.9.9.9").status_code == 401
    assert _try(client, "op", PASSWORD, address="10.9.9.9").status_code == 429
    assert _try(client, "op", PASSWORD, address="10.1.1.1").status_code == 302


def test_every_attempt_is_recorded_and_shown_to_administrators_only(rt, client, app):
    _try(client, "op", "wrong-password", address="10.2.3.4")
    _try(client, "ghost", "x", address="10.2.3.5")
    _try(client, "op", PASSWORD, address="10.2.3.4")
    admin = app.test_client()
    sign_in(admin, "root")
    body = page(admin.get("/admin/sign-ins"))
    for text in ("10.2.3.4", "10.2.3.5", "ghost", "密码错误", "用户名不存在", "登录成功"):
        assert text in body
    only_op = page(admin.get("/admin/sign-ins?username=op"))
    assert "ghost" not in only_op and "10.2.3.4" in only_op
    other = app.test_client()
    sign_in(other, "audit")
    assert other.get("/admin/sign-ins").status_code == 403


def test_an_unknown_user_costs_the_same_hash_time_as_a_real_one(rt):
    """Median of 20 alternating attempts each: within 20 % (the hash runs for both)."""
    with rt.uow() as uow:   # the product's own hash, not the tests' fast one
        uow.conn.execute(update(users).where(users.c.username == "op")
                         .values(password_hash=generate_password_hash(PASSWORD)))
        uow.commit()
    real, unknown = [], []
    for i in range(20):
        now = utcnow()
        tries = [(real, "op", f"10.3.0.{i}"), (unknown, f"nobody{i}", f"10.4.0.{i}")]
        for times, username, address in (tries if i % 2 else tries[::-1]):   # ABBA: noise
            started = time.perf_counter()                                    # hits both
            signin.attempt(rt, username, "wrong-password", address, now=now)
            times.append(time.perf_counter() - started)
        with rt.uow() as uow:
            signin.unlock(uow.conn, "op", by="test", now=now)
            uow.commit()
    a, b = statistics.median(real), statistics.median(unknown)
    assert abs(a - b) / max(a, b) < 0.20, (a, b)
    assert min(a, b) > 0.005          # the hash really ran for both
