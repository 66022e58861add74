"""PostgreSQL restarted, and its connections cut, under a running gunicorn and timer worker.

On a private cluster of this test's own (never the machine's shared server): clients file
complaints and act on them through the API and read a page the whole time; the server is
stopped for a second and started again, later every connection to the database is
terminated. Requests in flight then get a 503 with Retry-After (problem+json, or the
Chinese page), never a hang or another error; every request that starts once the server
is back succeeds; nothing answered 2xx is missing, nothing happened twice, and the timer
worker backs off, resumes and fires every deadline exactly once.
"""
from __future__ import annotations

import re
import signal
import threading
import time
import uuid
from collections import Counter
from importlib import resources

import requests
from sqlalchemy import func, select

from states.policy import load_policy
from tests.apisupport import bearer, make_users_and_tokens
from tests.conftest import complaint_values, make_runtime, wait_for
from tests.servers import Call, ops_env, start_worker, stop_process, timed_call
from workflow.admin.directory import create_user
from workflow.store.schema import complaints, deadlines, events, utcnow, workers

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class Client(threading.Thread):
    """Files complaints and contacts each twice; on a 503 it finds out whether the
    request took effect (Idempotency-Key for intake, the history for an action)."""

    def __init__(self, name, base, tokens, log, stop):
        super().__init__(daemon=True)
        self.name_, self.base, self.log, self.stop = name, base, log, stop
        self.operator, self.desk = bearer(tokens["wangli"]), bearer(tokens["chenjg"])
        self.http = requests.Session()
        self.keys: dict[str, int] = {}           # idempotency key -> complaint id
        self.contacts: list[tuple[int, str]] = []  # (complaint id, comment) answered 2xx or found
        self.unexpected: list[Call] = []

    def call(self, method, path, **kwargs) -> requests.Response:
        response, call = timed_call(self.http, self.name_, method, self.base, path,
                                    keep_body=300, **kwargs)
        self.log.append(call)
        if call.status not in (200, 201, 503):
            self.unexpected.append(call)
        if response is None:
            raise AssertionError(f"{method} {path}: the connection was lost")
        return response

    def until_answered(self, method, path, **kwargs) -> requests.Response:
        while True:
            response = self.call(method, path, **kwargs)
            if response.status_code != 503:
                return response
            time.sleep(0.1)

    def run(self):
        n = 0
        while not self.stop.is_set():
            n += 1
            key = f"{self.name_}-{n}-{uuid.uuid4().hex[:6]}"
            made = self.until_answered("POST", "/api/v1/complaints", headers={
                **self.operator, "Idempotency-Key": key}, json=complaint_values(
                    mobile=f"1380{abs(hash(key)) % 10**7:07d}", text=f"重启测试投诉 {key}"))
            if made.status_code not in (200, 201):
                continue
            cid = self.keys[key] = made.json()["id"]
            for k in (1, 2):
                self.contact(cid, f"{key} 第{k}次回访")

    def contact(self, cid: int, comment: str) -> None:
        path = f"/api/v1/complaints/{cid}"
        while True:
            response = self.call("POST", path + "/actions/contact", headers=self.desk,
                                 json={"comment": comment})
            if response.status_code == 200:
                self.contacts.append((cid, comment))
                return
            if response.status_code != 503:
                return
            time.sleep(0.1)
            history = self.until_answered("GET", path + "/history", headers=self.desk)
            if any(e.get("comment") == comment for e in history.json()["items"]):
                self.contacts.append((cid, comment))     # it was applied before the 503
                return


class PageReader(threading.Thread):
    """A signed-in operator reloading the work queue page."""

    def __init__(self, base, log, stop):
        super().__init__(daemon=True)
        self.base, self.log, self.stop = base, log, stop
        self.http = requests.Session()

    def sign_in(self):
        token = CSRF.search(self.http.get(self.base + "/login", timeout=30).text).group(1)
        done = self.http.post(self.base + "/login", timeout=30, allow_redirects=False, data={
            "username": "pageop", "password": "page-pass-2026", "csrf_token": token})
        assert done.status_code == 302, done.text

    def run(self):
        while not self.stop.is_set():
            self.log.append(timed_call(self.http, "page", "GET", self.base, "/", keep_body=None,
                                       allow_redirects=False)[1])
            time.sleep(0.05)


def _policy(tmp_path):
    text = resources.files("states").joinpath("default_policy.toml").read_text("utf-8")
    path = tmp_path / "policy.toml"
    path.write_text(text.replace('reply = "48h"', 'reply = "4s"', 1), encoding="utf-8")
    return path


#: How long after the cut a web process may still hand out a cut connection once.
CUT_NOTICED_WITHIN = 0.5


def test_a_restart_and_cut_connections_cost_only_the_requests_in_flight(
        private_pg, tmp_path, gunicorn_on):
    name = f"restart_{uuid.uuid4().hex[:8]}"
    url = private_pg.migrated_database(name)
    policy = _policy(tmp_path)
    rt = make_runtime(url, load_policy(policy))
    tokens = make_users_and_tokens(rt)
    with rt.uow() as uow:
        create_user(uow.conn, "pageop", "页面", "operator", "customer_service", "page-pass-2026",
                    now=utcnow())
        uow.commit()
    server = gunicorn_on(url, workers=2, threads=2, COMPLAINTS_POLICY=str(policy))
    worker_log = tmp_path / "worker.log"
    worker = start_worker(url, worker_log, "--interval", "0.25",
                          env=ops_env(url, COMPLAINTS_POLICY=str(policy)))
    wait_for(lambda: _scalar(rt, select(func.count()).select_from(workers)), 60,
             "the timer worker's first heartbeat")
    base = f"http://127.0.0.1:{server.port}"
    log: list[Call] = []
    stop = threading.Event()
    clients = [Client(f"c{i}", base, tokens, log, stop) for i in range(4)]
    reader = PageReader(base, log, stop)
    try:
        reader.sign_in()
        for thread in (*clients, reader):
            thread.start()
        time.sleep(2)
        down = time.monotonic()
        private_pg.stop("fast")
        time.sleep(1.0)                          # the server is down for a second
        private_pg.start()
        up = time.monotonic()
        time.sleep(2.5)
        cut_at = time.monotonic()
        cut = private_pg.cut_connections(name)
        # A pooled connection is pinged only after sitting idle (workflow.store.db), so
        # the first request to use each cut one meets its end, also just after the cut
        # returned: until then that process had not seen the disconnect and invalidated
        # its pool. Such a request belongs to the cut.
        cut_done = time.monotonic() + CUT_NOTICED_WITHIN
        time.sleep(2.5)
    finally:
        stop.set()
        for thread in (*clients, reader):
            thread.join(60)
    unavailable = [c for c in log if c.status == 503]
    print(f"\n{len(log)} requests, {len(unavailable)} answered 503 "
          f"({sum(c.who == 'page' for c in unavailable)} pages); {cut} connections cut; "
          f"{sum(c.started > up for c in log)} started after the restart")
    try:
        # --- answers: 503 with Retry-After only around the outage, never anything else ---
        assert not [c for client in clients for c in client.unexpected]
        assert not [c for c in log if c.who == "page" and c.status not in (200, 503)]
        assert any(down <= c.ended and c.started <= up for c in unavailable), "no 503 at all"
        assert cut >= 4              # both web processes' and the worker's connections
        for c in unavailable:
            assert c.retry_after and int(c.retry_after) >= 1
            assert (down <= c.ended and c.started <= up) or (cut_at <= c.ended and c.started <= cut_done), c
            if c.who == "page":
                assert c.content_type.startswith("text/html") and "数据库暂时不可用" in c.body
            else:
                assert c.content_type == "application/problem+json" and "unavailable" in c.body
        assert max(c.ended - c.started for c in log) < 10           # nothing hung
        after = [c for c in log if c.started > up]
        assert len(after) > 50 and {c.status for c in after if not (
            cut_at <= c.ended and c.started <= cut_done)} <= {200, 201}
        # --- nothing lost, nothing twice ---
        keys = {k: cid for client in clients for k, cid in client.keys.items()}
        wanted = Counter(comment for client in clients for _, comment in client.contacts)
        with rt.engine.connect() as conn:
            stored = set(conn.execute(select(complaints.c.id)).scalars())
            intakes = Counter(conn.execute(select(events.c.complaint_id)
                                           .where(events.c.action == "intake")).scalars())
            contacts = Counter(conn.execute(select(events.c.comment)
                                            .where(events.c.action == "contact")).scalars())
        assert set(keys.values()) == stored and set(intakes.values()) == {1}
        assert len(keys) == len(stored) > 20
        assert contacts == wanted and set(wanted.values()) == {1}
        # --- the timer worker backed off, resumed and fired every deadline once ---
        last = max(c.ended for c in log)
        wait_for(lambda: time.monotonic() > last + 5 and _escalated(rt) == len(stored), 30,
                 "every complaint's reply deadline to escalate it")
        time.sleep(0.5)
        with rt.engine.connect() as conn:
            escalations = Counter(conn.execute(select(events.c.complaint_id)
                                               .where(events.c.action == "escalate")).scalars())
            overdue = conn.execute(select(func.count()).select_from(deadlines).where(
                deadlines.c.next_at <= utcnow())).scalar()
        assert set(escalations) == stored and set(escalations.values()) == {1}
        assert overdue == 0
        assert worker.poll() is None                          # it rode the outage out
        text = worker_log.read_text("utf-8", errors="replace")
        assert "数据库不可用 database unavailable for deadlines" in text
        assert "数据库已恢复 database reachable again: deadlines resumed" in text
    finally:
        stop_process(worker)
        rt.engine.dispose()


def _escalated(rt) -> int:
    with rt.engine.connect() as conn:
        return conn.execute(select(func.count(func.distinct(events.c.complaint_id)))
                            .where(events.c.action == "escalate")).scalar()


def _scalar(rt, query):
    with rt.engine.connect() as conn:
        return conn.execute(query).scalar()


def test_a_worker_started_while_the_database_is_down_waits_for_it(private_pg, tmp_path):
    name = f"late_{uuid.uuid4().hex[:8]}"
    url = private_pg.migrated_database(name)
    rt = make_runtime(url)
    log = tmp_path / "worker.log"
    private_pg.stop("fast")
    try:
        worker = start_worker(url, log)
        wait_for(lambda: "database unavailable at start" in log.read_text("utf-8", "replace"),
                 60, "the worker to say it waits for the database")
        assert worker.poll() is None
    finally:
        private_pg.start()
    rt.engine.dispose()          # the test's own pooled connections died with the server
    try:
        wait_for(lambda: _scalar(rt, select(func.count()).select_from(workers)), 60,
                 "the worker's first heartbeat once the database is back")
        assert worker.poll() is None
    finally:
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=30) == 0
        rt.engine.dispose()
