"""/metrics of real gunicorn with two worker processes: the counts of both add up, and a
worker that exits leaves its counters in the sums but not its live gauges."""
from __future__ import annotations

import signal
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from prometheus_client.multiprocess import MultiProcessCollector

from tests.apisupport import make_users_and_tokens
from tests.conftest import make_runtime, wait_for
from tests.ops.test_endpoints import samples, value
from tests.servers import http_request


def ping_counts_per_process(metrics_dir: Path) -> dict[str, float]:
    """pid -> the ping requests that process counted, read from its own file."""
    out = {}
    for path in metrics_dir.glob("counter_*.db"):
        for family in MultiProcessCollector.merge([str(path)]):
            for s in family.samples:
                if s.name == "complaints_http_requests_total" and s.labels["endpoint"] == "api.ping":
                    out[path.stem.split("_")[1]] = out.get(path.stem.split("_")[1], 0) + s.value
    return out


def ping(port: int) -> int:
    return http_request(port, "GET", "/api/v1/ping")[0]


def test_counters_add_up_across_two_gunicorn_processes(sqlite_url, tmp_path, gunicorn_on):
    rt = make_runtime(sqlite_url)
    make_users_and_tokens(rt)
    rt.engine.dispose()
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    server = gunicorn_on(sqlite_url, workers=2, threads=1,
                         PROMETHEUS_MULTIPROC_DIR=str(metrics_dir))
    sent = 0
    with ThreadPoolExecutor(8) as pool:
        while True:                       # until both processes have answered some
            statuses = list(pool.map(lambda _: ping(server.port), range(100)))
            assert set(statuses) == {200}
            sent += len(statuses)
            per_process = ping_counts_per_process(metrics_dir)
            if len([n for n in per_process.values() if n]) == 2 or sent >= 1000:
                break
    assert len([n for n in per_process.values() if n]) == 2, per_process
    status, headers, body = server.get("/metrics")
    assert status == 200 and headers["Content-Type"].startswith("text/plain")
    found = samples(body)
    total = value(found, "complaints_http_requests_total", endpoint="api.ping", method="GET",
                  status="200")
    assert total == sent == sum(per_process.values())
    assert value(found, "complaints_http_request_duration_seconds_count", endpoint="api.ping") == sent
    pool_size = value(found, "complaints_db_pool_size")
    assert pool_size > 0 and pool_size % 2 == 0            # two live processes' pools

    server.proc.send_signal(signal.SIGTTOU)                # one worker fewer
    wait_for(lambda: value(samples(server.get("/metrics")[2]), "complaints_db_pool_size")
             == pool_size / 2, 30, "the exited worker's live gauges to be dropped")
    after = samples(server.get("/metrics")[2])
    assert value(after, "complaints_http_requests_total", endpoint="api.ping", method="GET",
                 status="200") == sent                     # its counts stay in the sum
