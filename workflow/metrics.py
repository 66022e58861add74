"""Prometheus metrics: what the processes count, and what the database shows at a scrape.

Counters and histograms live in the process that does the work (web processes, the
timer worker). Under gunicorn, `PROMETHEUS_MULTIPROC_DIR` (set by `gunicorn.conf.py`
before anything imports prometheus_client) puts them in memory-mapped files that any
process sums at a scrape (prometheus_client's multiprocess mode); gauges about a live
process (its pool) are `livesum`/`livemax`, dropped when gunicorn reports the process
dead (`child_exit` → `mark_process_dead`).

Backlogs (due deadlines, the outbox) and the workers' heartbeats are one truth for
every process, so they are read from the database at the scrape (`DatabaseCollector`),
never counted per process. The hot path only increments a cached child counter.
"""
from __future__ import annotations

import logging
import time
from datetime import datetime

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy import and_, func, select

from workflow.store.schema import deadlines, outbox, utcnow, workers

log = logging.getLogger(__name__)
CONTENT_TYPE = CONTENT_TYPE_LATEST
#: Counting a backlog stops here: a scrape stays cheap however far behind things are.
BACKLOG_CAP = 100_000

ACTIONS = Counter("complaints_actions_total",
                  "Actions fired by people and systems (intake included), by outcome",
                  ["action", "outcome"])
ESCALATIONS = Counter("complaints_escalations_total",
                      "Escalations: by a missed deadline (the timer) or by hand", ["by"])
WARNINGS = Counter("complaints_deadline_warnings_total",
                   "Warnings sent at the policy's warning fraction of a clock")
FIRED = Counter("complaints_deadlines_fired_total",
                "Due deadline rows the timer worker handled, by what happened", ["outcome"])
TIMER_LAG = Gauge("complaints_timer_lag_seconds",
                  "now minus the oldest due deadline at the worker's last wake-up",
                  multiprocess_mode="livemax")
TIMER_DB_ERRORS = Counter("complaints_timer_database_errors_total",
                          "Timer worker jobs that failed because the database was unavailable",
                          ["job"])
OUTBOX_SENT = Counter("complaints_outbox_sent_total", "Notifications delivered")
OUTBOX_FAILURES = Counter("complaints_outbox_failures_total",
                          "Notification deliveries that failed (each is retried later)")
REQUEST_SECONDS = Histogram("complaints_http_request_duration_seconds",
                            "Time to answer an HTTP request, by Flask endpoint", ["endpoint"],
                            buckets=(.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10))
REQUESTS = Counter("complaints_http_requests_total", "HTTP requests answered",
                   ["endpoint", "method", "status"])
POOL_CHECKED_OUT = Gauge("complaints_db_pool_checked_out",
                         "Database connections checked out of the pools now",
                         multiprocess_mode="livesum")
POOL_SIZE = Gauge("complaints_db_pool_size",
                  "Connections the pools keep (pool_size, without overflow)",
                  multiprocess_mode="livesum")

_action_children: dict[tuple[str, str], object] = {}


def count_action(action: str, outcome: str) -> None:
    """One action with its outcome (`ok` or a domain error code); cheap on the hot path."""
    child = _action_children.get((action, outcome))
    if child is None:
        child = _action_children[(action, outcome)] = ACTIONS.labels(action, outcome)
    child.inc()


def outcome_of(exc: BaseException) -> str:
    """The outcome label of a failed action: the domain error's code, else the kind."""
    code = getattr(exc, "code", None)
    if isinstance(code, str):
        return code
    from workflow.store.db import is_unavailable
    return "unavailable" if is_unavailable(exc) else "error"


class DatabaseCollector:
    """Gauges read from the database at each scrape: backlogs and worker heartbeats."""

    def __init__(self, engine, now=utcnow):
        self.engine, self.now = engine, now

    def collect(self):
        """Yield the gauges; `complaints_database_up` is 0 (and nothing else) when the
        database cannot be read."""
        up = GaugeMetricFamily("complaints_database_up", "1 if the database answered this scrape")
        started = time.perf_counter()
        try:
            families = self._read(self.now())
        except Exception as exc:      # a scrape must answer even with the database down
            log.warning("metrics: database not readable: %s", str(exc).splitlines()[0])
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from families
        took = GaugeMetricFamily("complaints_metrics_database_seconds",
                                 "Time this scrape spent reading the database")
        took.add_metric([], time.perf_counter() - started)
        yield took

    def _read(self, now: datetime) -> list:
        live = deadlines.c.next_at.is_not(None)
        pending = and_(outbox.c.sent_at.is_(None), outbox.c.next_attempt_at.is_not(None))
        with self.engine.connect() as conn:
            due = _capped(conn, select(deadlines.c.id).where(live, deadlines.c.next_at <= now))
            oldest = conn.execute(select(func.min(deadlines.c.next_at)).where(live)).scalar()
            waiting = _capped(conn, select(outbox.c.id).where(pending))
            failing = _capped(conn, select(outbox.c.id).where(pending, outbox.c.attempts > 0))
            dead = conn.execute(select(func.count()).select_from(outbox).where(
                outbox.c.sent_at.is_(None), outbox.c.next_attempt_at.is_(None))).scalar()
            beats = conn.execute(select(workers.c.name, workers.c.heartbeat_at,
                                        workers.c.lag_seconds)).all()
            conn.commit()      # end the read (a rollback would drop psycopg's prepared statements)
        out = [
            _gauge("complaints_deadlines_due", "Deadline rows due now and not yet handled "
                   f"(counted up to {BACKLOG_CAP})", due),
            _gauge("complaints_deadlines_overdue_seconds", "now minus the oldest due deadline "
                   "not yet handled (0 when none is due): the timer lag as the database sees it",
                   max(0.0, (now - oldest).total_seconds()) if oldest else 0.0),
            _gauge("complaints_outbox_pending", "Notifications waiting to be sent", waiting),
            _gauge("complaints_outbox_failing", "Waiting notifications whose last attempt failed",
                   failing),
            _gauge("complaints_outbox_dead", "Notifications given up after the last attempt", dead),
        ]
        age = GaugeMetricFamily("complaints_worker_heartbeat_age_seconds",
                                "Seconds since each timer worker's last heartbeat", labels=["worker"])
        lag = GaugeMetricFamily("complaints_worker_reported_lag_seconds",
                                "The lag each timer worker reported at its last heartbeat",
                                labels=["worker"])
        for name, heartbeat, lag_seconds in beats:
            age.add_metric([name], (now - heartbeat).total_seconds())
            lag.add_metric([name], lag_seconds or 0)
        return [*out, age, lag]


def _capped(conn, query) -> int:
    return conn.execute(select(func.count()).select_from(query.limit(BACKLOG_CAP).subquery())).scalar()


def _gauge(name: str, doc: str, value) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, doc)
    family.add_metric([], value or 0)
    return family


def exposition(engine, metrics_dir: str | None) -> bytes:
    """Every metric in the text format: this process's (or, with `metrics_dir`, every
    process's of that directory) and the database's."""
    if metrics_dir:
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=metrics_dir)
        processes = generate_latest(registry)
    else:
        processes = generate_latest(REGISTRY)
    database = CollectorRegistry(auto_describe=False)
    database.register(DatabaseCollector(engine))
    return processes + generate_latest(database)


def watch_pool(engine) -> None:
    """Keep the pool gauges of this process: its size, and at every checkout and check-in
    the pool's own count of connections in use (set, not counted, so it cannot drift)."""
    from sqlalchemy import event
    pool = engine.pool
    size = getattr(pool, "size", None)
    if callable(size):
        POOL_SIZE.inc(size())
    checkedout = getattr(pool, "checkedout", None)
    if not callable(checkedout):
        return

    def _sample(*_args) -> None:
        POOL_CHECKED_OUT.set(checkedout())

    event.listen(engine, "checkout", _sample)
    event.listen(engine, "checkin", _sample)


def serve_metrics(engine, metrics_dir: str | None, port: int, host: str = "127.0.0.1"):
    """Serve `exposition` at http://HOST:PORT/metrics in a daemon thread (the timer
    worker's own endpoint; loopback by default, as the web's)."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path.split("?")[0] != "/metrics":
                self.send_error(404)
                return
            body = exposition(engine, metrics_dir)
            self.send_response(200)
            self.send_header("Content-Type", CONTENT_TYPE)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args):
            pass

    server = ThreadingHTTPServer((host, port), Handler)
    threading.Thread(target=server.serve_forever, name="metrics", daemon=True).start()
    return server
