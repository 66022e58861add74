"""The system harness: real processes on loopback, driven hard, checked from the database.

`System` starts a private PostgreSQL cluster's database (tests/servers.py's
`PrivatePostgres`, never the machine's shared server), two gunicorn web servers (each
its own master with one worker, so one can be killed alone) and two timer workers
(`complaints worker`), all with a policy whose deadlines are seconds long, so warnings,
escalations and automatic closes happen during the run. `Client` threads file
complaints and act on them through the JSON API, spreading their requests over the web
servers the way a load balancer would; each remembers what the service confirmed
(2xx), and after a 503 or a lost connection finds out whether the request took effect
(the same Idempotency-Key for an intake; the action's unique comment in the history).

`run(seconds)` drives the load and, on a schedule inside the run, kills one timer worker
with SIGKILL and restarts it, kills one web server (master and worker, SIGKILL) and
starts another, terminates every connection to the database (`pg_terminate_backend`)
and restarts PostgreSQL. `check()` then reads the database and returns each invariant
as a line with its verdict and figures.

The test (tests/system/test_system.py) runs it for COMPLAINTS_SYSTEM_SECONDS (45 by
default); a long run is the same command with a larger number.
"""
from __future__ import annotations

import os
import random
import re
import signal
import subprocess
import threading
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import requests
from sqlalchemy import func, select

from states.policy import load_policy, parse_policy_text
from tests.apisupport import bearer, make_users_and_tokens
from tests.conftest import complaint_values, make_runtime, wait_for
from tests.servers import Call, Gunicorn, ops_env, start_worker, timed_call
from workflow.domain.clocks import replay
from workflow.store import counts
from workflow.store.schema import (
    clock_events,
    complaints,
    deadlines,
    events,
    outbox,
    queue_counts,
    utcnow,
    workers,
)

#: The run's clocks, in seconds: short enough that every complaint a client leaves
#: alone warns, escalates or closes by itself within the run.
SECONDS = {
    "normal": dict(assign=4, first_contact=6, reply=9, progress_contact=5, auto_close=6,
                   outer_limit=40),
    "major": dict(assign=3, first_contact=4, reply=7, progress_contact=4, auto_close=6,
                  outer_limit=40),
    "escalated": dict(assign=3, first_contact=4, reply=7, progress_contact=4, auto_close=6,
                      regulator=40),
}
#: A deadline due longer than this before the check must have fired (or been stopped).
GRACE = 5.0
#: How long the workers may take after the end to catch up with what fell due before it.
CATCH_UP = 30.0
#: How long after a database outage ends a 503 may still be answered (a pooled
#: connection that died with the server is found out at its next use).
AFTERMATH = 3.0


def short_policy_text() -> str:
    """The shipped policy with every clock of `SECONDS` in seconds."""
    out, section = [], None
    for line in load_policy().text.splitlines():
        heading = re.match(r"\[deadlines\.(\w+)\]", line)
        if heading:
            section = heading.group(1)
        elif line.startswith("["):
            section = None
        key = re.match(r'(\w+) = "[^"]*"', line)
        if section and key and key.group(1) in SECONDS.get(section, {}):
            line = f'{key.group(1)} = "{SECONDS[section][key.group(1)]}s"'
        out.append(line)
    text = "\n".join(out) + "\n"
    parse_policy_text(text)              # refuse a policy the service would refuse
    return text


@dataclass
class Confirmed:
    """What the service confirmed to the clients (or what they found applied after a
    503 or a lost connection)."""

    intakes: dict = field(default_factory=dict)        # idempotency key -> complaint id
    actions: list = field(default_factory=list)        # (complaint id, action, comment)


class Servers:
    """The web servers' addresses, as a load balancer knows them."""

    def __init__(self):
        self.lock = threading.Lock()
        self.bases: list[str] = []

    def set(self, bases: list[str]) -> None:
        with self.lock:
            self.bases = list(bases)

    def pick(self, n: int) -> str:
        with self.lock:
            return self.bases[n % len(self.bases)]


class Client(threading.Thread):
    """Files complaints and moves them along; leaves some alone for the timers."""

    def __init__(self, number: int, servers: Servers, tokens: dict, log: list, stop,
                 confirmed: Confirmed, seed: int):
        super().__init__(daemon=True, name=f"client-{number}")
        self.who, self.servers, self.log, self.stop = f"c{number}", servers, log, stop
        self.confirmed = confirmed
        self.random = random.Random(seed)
        self.tokens = {name: bearer(tokens[name]) for name in ("wangli", "zhangwei", "chenjg")}
        self.http = requests.Session()
        self.open: list[int] = []
        self.n = 0
        self.turn = number

    # --- one request, on whichever server answers ---
    def call(self, method: str, path: str, once: bool = False,
             **kwargs) -> requests.Response | None:
        """One request; None when the connection was lost (after trying another server,
        unless `once`: an action sent again could apply twice or meet its own change)."""
        for _ in range(1 if once else 2):
            self.turn += 1
            response, call = timed_call(self.http, self.who, method,
                                        self.servers.pick(self.turn), path, **kwargs)
            self.log.append(call)
            if response is None:                  # refused, reset, cut mid-answer, timeout
                time.sleep(0.05)
                continue
            return response
        return None

    def answered(self, method: str, path: str, **kwargs) -> requests.Response:
        """Repeat a request that is safe to repeat until it gets an answer other than 503."""
        for _ in range(600):
            response = self.call(method, path, **kwargs)
            if response is not None and response.status_code != 503:
                return response
            time.sleep(0.1)
        raise AssertionError(f"{method} {path} never answered")

    # --- the work ---
    def run(self) -> None:
        try:
            self.work()
        except BaseException as exc:           # reported by the check, never silent
            self.died = repr(exc)
            raise

    died: str | None = None

    def work(self) -> None:
        while not self.stop.is_set():
            if len(self.open) < 3 or self.random.random() < 0.15:
                self.file()
            elif self.open:
                self.step(self.random.choice(self.open))
            time.sleep(self.random.uniform(0.0, 0.4))

    def file(self) -> None:
        self.n += 1
        key = f"{self.who}-{self.n}-{uuid.uuid4().hex[:8]}"
        body = complaint_values(mobile=f"13{self.random.randrange(10**9):09d}",
                                text=f"系统测试投诉 {key}")
        # The same key makes a repeated intake safe: 201 the first time, 200 replayed after.
        made = self.answered("POST", "/api/v1/complaints",
                             headers={**self.tokens["wangli"], "Idempotency-Key": key}, json=body)
        if made.status_code in (200, 201):
            cid = made.json()["id"]
            self.confirmed.intakes[key] = cid
            self.open.append(cid)

    def step(self, cid: int) -> None:
        """One action on the complaint, by whoever may do it now."""
        path = f"/api/v1/complaints/{cid}"
        state = None
        for who in self._actors():
            seen = self.answered("GET", path, headers=self.tokens[who])
            if seen.status_code != 200:
                continue
            detail = seen.json()
            state = detail["state"]
            action = self._choose(detail)
            if action:
                self.act(cid, who, action, seen.headers.get("ETag"))
                return
        if state == "closed":
            self.open.remove(cid)

    def _actors(self) -> list[str]:
        names = ["wangli", "zhangwei", "chenjg"]
        self.random.shuffle(names)
        return names

    def _choose(self, detail: dict) -> str | None:
        allowed = set(detail["allowed_actions"]) - {"escalate", "transfer", "pause", "resume"}
        if detail["state"] == "replied" and self.random.random() < 0.5:
            return None                  # leave it to the automatic close
        if self.random.random() < 0.3:
            return None                  # late: let the clocks warn and escalate
        preferred = [a for a in ("reply", "close", "accept", "assign", "contact", "reopen")
                     if a in allowed]
        if "contact" in allowed and self.random.random() < 0.4:
            return "contact"
        return preferred[0] if preferred else None

    def act(self, cid: int, who: str, action: str, etag: str | None) -> None:
        self.n += 1
        comment = f"{self.who}-a{self.n}-{uuid.uuid4().hex[:8]} 处理"
        body = {"comment": comment}
        if action == "assign":
            body["department"] = "network"
        elif action == "close":
            body["satisfaction"] = "satisfied"
        elif action == "reopen":
            body["reason"] = "客户不满意"
        headers = {**self.tokens[who], **({"If-Match": etag} if etag else {})}
        response = self.call("POST", f"/api/v1/complaints/{cid}/actions/{action}",
                             headers=headers, json=body, once=True)
        if response is not None and 200 <= response.status_code < 300:
            self.confirmed.actions.append((cid, action, comment))
            return
        if response is not None and response.status_code != 503:
            return                        # refused (412, 409 …): nothing was written
        # No answer, or 503: it may or may not have been applied. The history says.
        history = self.answered("GET", f"/api/v1/complaints/{cid}/history",
                                headers=self.tokens["chenjg"])
        if any(e.get("comment") == comment for e in history.json()["items"]):
            self.confirmed.actions.append((cid, action, comment))


class System:
    """The processes of one run, on a database of a private cluster."""

    def __init__(self, cluster, home: Path, clients: int = 8):
        self.cluster, self.home, self.client_count = cluster, home, clients
        self.name = f"system_{uuid.uuid4().hex[:8]}"
        self.url = cluster.migrated_database(self.name)
        self.policy = home / "seconds.toml"
        self.policy.write_text(short_policy_text(), "utf-8")
        self.rt = make_runtime(self.url, load_policy(self.policy))     # version 1: seconds
        self.tokens = make_users_and_tokens(self.rt)
        self.env = dict(COMPLAINTS_POLICY=str(self.policy))
        self.webs: list[Gunicorn] = []
        self.timer_workers: list[subprocess.Popen] = []
        self.servers = Servers()
        self.log: list[Call] = []
        self.confirmed = Confirmed()
        self.windows: dict[str, tuple[float, float]] = {}
        self.notes: list[str] = []

    # --- processes ---
    def start_web(self) -> Gunicorn:
        web = Gunicorn(self.url, self.home / f"web-{uuid.uuid4().hex[:6]}.log", workers=1,
                       threads=4, **self.env)
        self.webs.append(web)
        return web

    def start_worker(self) -> subprocess.Popen:
        proc = start_worker(self.url, self.home / f"worker-{len(self.timer_workers)}.log",
                            "--interval", "0.25", env=ops_env(self.url, **self.env))
        self.timer_workers.append(proc)
        return proc

    def live_webs(self) -> list[Gunicorn]:
        return [w for w in self.webs if w.proc.poll() is None]

    def live_workers(self) -> list[subprocess.Popen]:
        return [w for w in self.timer_workers if w.poll() is None]

    def start(self) -> None:
        """Both workers and both web servers, started side by side."""
        for _ in range(2):
            self.start_worker()
        starting = [threading.Thread(target=self.start_web) for _ in range(2)]
        for thread in starting:
            thread.start()
        for thread in starting:
            thread.join(120)
        assert len(self.webs) == 2, "a web server did not start"
        self.servers.set([f"http://127.0.0.1:{w.port}" for w in self.webs])
        wait_for(lambda: self._heartbeats() >= 2, 60, "both timer workers' first heartbeat")

    def _heartbeats(self) -> int:
        with self.rt.engine.connect() as conn:
            return len(conn.execute(select(workers.c.name)).all())

    # --- the disturbances ---
    def kill_worker(self) -> None:
        victim = self.live_workers()[0]
        at = time.monotonic()
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait(10)
        time.sleep(1.0)
        self.start_worker()
        self.windows["worker killed"] = (at, time.monotonic())
        self.notes.append(f"timer worker {victim.pid} killed (SIGKILL) and a new one started")

    def kill_web(self) -> None:
        victim = self.live_webs()[0]
        children = _children(victim.proc.pid)
        at = time.monotonic()
        os.kill(victim.proc.pid, signal.SIGKILL)      # the master first: no worker is re-forked
        for pid in children:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        victim.proc.wait(10)
        # The load balancer notices at once; the new server joins once it answers.
        self.servers.set([f"http://127.0.0.1:{w.port}" for w in self.live_webs()])
        fresh = self.start_web()
        self.servers.set([f"http://127.0.0.1:{w.port}" for w in self.live_webs()])
        self.windows["web killed"] = (at, time.monotonic())
        self.notes.append(f"web server :{victim.port} (master {victim.proc.pid}, workers "
                          f"{children}) killed (SIGKILL); :{fresh.port} started")

    def cut(self) -> None:
        at = time.monotonic()
        count = self.cluster.cut_connections(self.name)
        self.windows["connections cut"] = (at, time.monotonic())
        self.notes.append(f"{count} database connections terminated (pg_terminate_backend)")

    def restart_database(self) -> None:
        at = time.monotonic()
        self.cluster.stop("fast")
        time.sleep(1.0)
        self.cluster.start()
        self.windows["database restarted"] = (at, time.monotonic())
        self.rt.engine.dispose()
        self.notes.append("PostgreSQL stopped (fast), down for 1 s, started")

    # --- the run ---
    def run(self, seconds: float) -> None:
        """Drive the clients for `seconds` with the disturbances inside the run."""
        stop = threading.Event()
        clients = [Client(i, self.servers, self.tokens, self.log, stop, self.confirmed, seed=i)
                   for i in range(self.client_count)]
        plan = [(0.15, self.kill_worker), (0.30, self.kill_web), (0.50, self.cut),
                (0.70, self.restart_database)]
        began = time.monotonic()
        for client in clients:
            client.start()
        try:
            for fraction, disturb in plan:
                time.sleep(max(0.0, began + fraction * seconds - time.monotonic()))
                disturb()
            time.sleep(max(0.0, began + seconds - time.monotonic()))
        finally:
            stop.set()
            for client in clients:
                client.join(120)
        self.ended = time.monotonic()
        self.died = [(c.who, c.died) for c in clients if c.died]
        self.elapsed = self.ended - began
        assert not any(c.is_alive() for c in clients), "a client never finished"

    def settle(self) -> None:
        """Let the workers catch up with what fell due before the end (at most
        CATCH_UP seconds), then stop every process."""
        self.end_at = utcnow()
        limit = self.end_at - timedelta(seconds=GRACE)
        began = time.monotonic()
        while time.monotonic() - began < CATCH_UP and self._overdue(limit):
            time.sleep(0.25)
        self.caught_up = time.monotonic() - began
        self.alive_at_end = (len(self.live_webs()), len(self.live_workers()))
        self.stop()

    def _overdue(self, limit) -> int:
        with self.rt.engine.connect() as conn:
            return len(conn.execute(select(deadlines.c.id).where(
                deadlines.c.next_at <= limit)).all())

    def stop(self) -> None:
        """SIGTERM to every process at once, then wait for each."""
        for proc in [w.proc for w in self.webs] + self.timer_workers:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for web in self.webs:
            web.stop()
        for proc in self.timer_workers:
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(30)

    def close(self) -> None:
        self.stop()
        self.rt.engine.dispose()

    # --- the invariants ---
    def check(self) -> list[tuple[str, bool, str]]:
        """Every invariant: (name, held, figures)."""
        with self.rt.engine.connect() as conn:
            rows = {r.id: r for r in conn.execute(select(complaints))}
            history = defaultdict(list)
            for e in conn.execute(select(events).order_by(events.c.id)):
                history[e.complaint_id].append(e)
            clocks = list(conn.execute(select(deadlines)).mappings())
            entries = defaultdict(list)
            for e in conn.execute(select(clock_events).order_by(clock_events.c.id)).mappings():
                entries[(e["complaint_id"], e["kind"])].append(e)
            notes = list(conn.execute(select(outbox)))
            kept = counts.kept(conn)
            drift = counts.drift(conn)
            kept_rows = conn.execute(select(func.count()).select_from(queue_counts)).scalar()
        out = []

        # 1. history replays to the stored state and version; clocks to their due times
        bad = []
        for cid, row in rows.items():
            state = None
            for e in history[cid]:
                if e.from_state != state:
                    bad.append((cid, "chain", e.id))
                state = e.to_state
            if state != row.state or row.version != len(history[cid]):
                bad.append((cid, row.state, row.version, state, len(history[cid])))
        clock_bad = [(c["complaint_id"], c["kind"]) for c in clocks
                     if replay(entries[(c["complaint_id"], c["kind"])], self.rt.policy_version,
                               self.rt.calendar) != c["due_at"]]
        out.append(("history replays to every complaint's state and version", not bad,
                    f"{len(rows)} complaints, {sum(map(len, history.values()))} events; "
                    f"bad {bad[:5]}"))
        out.append(("every clock's history replays to its due time", not clock_bad,
                    f"{len(clocks)} clocks; bad {clock_bad[:5]}"))

        # 2. no deadline fired twice
        timer = [e for es in entries.values() for e in es if e["reason"] == "timer"]
        warned = Counter((e["complaint_id"], e["kind"], e["run"]) for e in timer
                         if e["event"] == "warned")
        breached = Counter((e["complaint_id"], e["kind"], e["run"]) for e in timer
                           if e["event"] in ("missed", "elapsed"))
        twice = [k for counts in (warned, breached) for k, n in counts.items() if n > 1]
        by_timer = Counter(e["data"].get("effect", {}).get("outcome") for e in timer
                           if e["event"] in ("missed", "elapsed"))
        system_escalations = sum(1 for es in history.values() for e in es
                                 if e.action == "escalate" and e.actor_role == "system")
        system_closes = sum(1 for es in history.values() for e in es
                            if e.action == "close" and e.actor_role == "system")
        out.append(("no deadline warned or fired twice", not twice and
                    system_escalations == by_timer["escalated"] and
                    system_closes == by_timer["closed"],
                    f"{sum(warned.values())} warnings, {sum(breached.values())} breaches "
                    f"({dict(by_timer)}); {system_escalations} timer escalations and "
                    f"{system_closes} automatic closes in the histories; twice {twice[:5]}"))

        # 3. every deadline due more than GRACE seconds before the check was handled
        limit = self.end_at - timedelta(seconds=GRACE)
        late = [(c["complaint_id"], c["kind"], c["next_at"]) for c in clocks
                if c["next_at"] is not None and c["next_at"] <= limit]
        out.append((f"every deadline due over {GRACE:.0f} s before the end fired or was stopped",
                    not late, f"{sum(c['status'] == 'fired' for c in clocks)} fired, "
                    f"{sum(c['status'] == 'stopped' for c in clocks)} stopped, "
                    f"{sum(c['next_at'] is not None for c in clocks)} still running; the workers "
                    f"caught up {self.caught_up:.1f} s after the end; late {late[:5]}"))

        # 4. every request answered 2xx (or found applied) is in the database, once
        keys = {r.idempotency_key: cid for cid, r in rows.items()}
        missing = {k: v for k, v in self.confirmed.intakes.items() if keys.get(k) != v}
        phantom = set(rows) - set(self.confirmed.intakes.values())
        done = Counter((e.complaint_id, e.action, e.comment) for es in history.values()
                       for e in es if e.actor_role != "system" and e.action != "intake")
        wanted = Counter(self.confirmed.actions)
        out.append(("every intake and action answered 2xx is stored, once, and nothing else",
                    not missing and not phantom and done == wanted and not self.died,
                    f"{len(self.confirmed.intakes)} intakes, {len(wanted)} actions confirmed; "
                    f"missing intakes {list(missing)[:3]}, unconfirmed complaints "
                    f"{sorted(phantom)[:3]}, actions missing {list(wanted - done)[:3]}, "
                    f"extra {list(done - wanted)[:3]}; clients that died {self.died}"))

        # 5. no 5xx but 503 inside the outages; no lost connection but at the web kill
        outages = [w for k, w in self.windows.items() if k in ("connections cut",
                                                               "database restarted")]
        killed = self.windows.get("web killed")

        def inside(call, window, after=AFTERMATH):
            return window[0] - 0.5 <= call.ended and call.started <= window[1] + after

        wrong = [c for c in self.log if c.status >= 500 and not (
            c.status == 503 and c.retry_after and any(inside(c, w) for w in outages))]
        lost = [c for c in self.log if c.status == 0 and not (killed and inside(c, killed, 1.0))]
        statuses = Counter(c.status for c in self.log)
        in_restart = [c for c in self.log if c.status == 503
                      and inside(c, self.windows["database restarted"])]
        out.append(("no 5xx other than 503 with Retry-After during the cut and the restart",
                    not wrong and bool(in_restart),
                    f"{len(self.log)} requests: {dict(sorted(statuses.items()))} "
                    f"(0 = connection lost); {len(in_restart)} 503 in the restart; "
                    f"wrong {wrong[:3]}"))
        out.append(("connections lost only when the web server was killed", not lost,
                    f"{statuses[0]} lost; outside the kill {lost[:3]}"))

        # 6. the outbox holds each notification once
        kinds = Counter((n.complaint_id, n.kind == "deadline_warning") for n in notes)
        expect = Counter()
        for e in timer:
            if e["event"] == "warned":
                expect[(e["complaint_id"], True)] += 1
            elif e["event"] in ("missed", "elapsed") and e["data"].get("effect", {}).get("notified"):
                expect[(e["complaint_id"], False)] += 1
        out.append(("the outbox holds each notification once", kinds == expect,
                    f"{len(notes)} rows ({sum(n.sent_at is not None for n in notes)} sent); "
                    f"extra {list((kinds - expect).items())[:3]}, "
                    f"missing {list((expect - kinds).items())[:3]}"))

        # 7. the queue's kept counts are the complaints' counts: kept by the triggers under
        #    load and folded by both workers, one of them killed on the way
        out.append(("the queue's kept counts per state equal a count of the complaints",
                    not drift and sum(kept.values()) == len(rows),
                    f"{sum(kept.values())} complaints in {len(kept)} combinations, kept in "
                    f"{kept_rows} rows; drift "
                    f"{list(drift.items())[:3]}"))

        # the run did what it is for
        out.append(("the timers warned, escalated and closed during the run, the processes "
                    "survived", sum(warned.values()) > 0 and system_escalations > 0 and
                    self.alive_at_end == (2, 2),
                    f"live web servers {self.alive_at_end[0]}, timer workers "
                    f"{self.alive_at_end[1]}; " + "; ".join(self.notes)))
        return out


def _children(pid: int) -> list[int]:
    """The direct child processes of `pid` (Linux /proc)."""
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        found += [int(p) for p in text]
    return found
