"""gunicorn configuration for the web processes: `gunicorn -c gunicorn.conf.py`
(docs/operations.md, gunicorn). Every value comes from the environment through `workflow.settings`:

COMPLAINTS_BIND (127.0.0.1:8000), COMPLAINTS_WEB_WORKERS (2), COMPLAINTS_WEB_THREADS (1),
COMPLAINTS_LOG_FORMAT (text | json), COMPLAINTS_ACCESS_LOG (off), PROMETHEUS_MULTIPROC_DIR
(a fresh temporary directory when unset), and the application's own COMPLAINTS_* settings.

Metrics in several processes (prometheus_client's multiprocess mode): the directory must
be set before any process imports prometheus_client, so it is set here, in the master,
before the workers fork and load the app; it is emptied when the master starts (old
files would add a previous run's counts), and each worker that exits is marked dead so
that its live gauges (pool in use, lag) stop counting. Command-line options (-w, -b …)
still override these values.
"""
import os
import shutil
import tempfile
from pathlib import Path

from workflow.logs import gunicorn_config
from workflow.settings import Settings

_settings = Settings.from_env()
_problems = [p for p in _settings.problems(web=False)
             if "PROMETHEUS_MULTIPROC_DIR" not in p]
if _problems:
    raise SystemExit("gunicorn.conf.py: " + "; ".join(_problems))

wsgi_app = "web.wsgi:app"
bind = [_settings.bind]
workers = _settings.web_workers
threads = _settings.web_threads
worker_class = "gthread"
# A request never waits on the database for long (connect timeout, TCP keepalives;
# docs/operations.md, Surviving the database), so a worker silent this long is stuck: replace it.
timeout = 60
graceful_timeout = 30
keepalive = 5
# gunicorn 27's control socket defaults to one path per user ($HOME/.gunicorn/gunicorn.ctl):
# several servers on one machine would take it from each other. Signals do the same job.
control_socket_disable = True
logconfig_dict = gunicorn_config(_settings.log_format, _settings.access_log)
access_log_format = '%(h)s "%(r)s" %(s)s %(B)s %(M)sms %({x-request-id}o)s'

_made_dir = None
if not _settings.metrics_dir:
    _made_dir = tempfile.mkdtemp(prefix="complaints-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = _made_dir   # inherited by the workers
_metrics_dir = _settings.metrics_dir or _made_dir
Path(_metrics_dir).mkdir(parents=True, exist_ok=True)


def on_starting(server):
    """Empty the metrics directory: counts of an earlier run must not add up with ours."""
    for leftover in Path(_metrics_dir).glob("*.db"):
        leftover.unlink()
    server.log.info("metrics directory %s", _metrics_dir)


def child_exit(server, worker):
    """A worker ended: drop its live gauges (its counters keep counting in the sums)."""
    from prometheus_client import multiprocess
    multiprocess.mark_process_dead(worker.pid, _metrics_dir)


def on_exit(server):
    """Remove the metrics directory if this configuration made it."""
    if _made_dir:
        shutil.rmtree(_made_dir, ignore_errors=True)
