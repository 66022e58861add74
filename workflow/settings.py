"""Configuration from environment variables: the one place that reads them.

Every `COMPLAINTS_*` variable the service knows is a field of `Settings` (the README's
Configuration table lists the same ones). `Settings.from_env()` is called once per
process, where it starts: `create_app` (when not handed settings), the command line's
`main` (which keeps them for every command, the timer worker's included) and
`gunicorn.conf.py`; everything else is passed the `Settings` or the values it needs
(tests/unit/test_settings_read_once.py holds this).
"""
from __future__ import annotations

import os
from dataclasses import dataclass

from states.durations import parse_duration
from workflow.store.db import DEFAULT_URL

#: The API's default rate limit per token: REQUESTS/SECONDS.
DEFAULT_API_RATE_LIMIT = "600/60"
#: Where gunicorn listens by default (`gunicorn.conf.py`).
DEFAULT_BIND = "127.0.0.1:8000"
LOG_FORMATS = ("text", "json")
#: A page session ends after this long without a request, and this long after sign-in.
DEFAULT_SESSION_IDLE = "8h"
DEFAULT_SESSION_LIFETIME = "12h"
#: The shortest secret key accepted outside demo mode, in bytes.
MIN_SECRET_KEY_BYTES = 32


def session_seconds(text: str, name: str) -> int:
    """A session span ("8h", "30m", "1 day") in seconds; ValueError naming the variable."""
    try:
        duration = parse_duration(text)
    except ValueError as exc:
        raise ValueError(f"{name}: {exc}") from None
    if duration.is_workdays or duration.seconds < 60:
        raise ValueError(f"{name}: {text!r} must be clock time of at least a minute, e.g. 8h")
    return int(duration.seconds)


#: What COMPLAINTS_DB_PREPARE_THRESHOLD accepts for "never prepare" (psycopg's None).
NEVER = ("none", "off", "never")


def prepare_threshold(raw: str | None):
    """COMPLAINTS_DB_PREPARE_THRESHOLD as psycopg takes it: unset gives `DEFAULT` (its own
    5), `none`/`off` gives None (no server-side prepared statements, for PgBouncer
    before 1.21 in transaction mode), a number of uses gives that number."""
    text = (raw or "").strip().lower()
    if not text:
        return DEFAULT
    if text in NEVER:
        return None
    value = int(text)
    if value < 0:
        raise ValueError(text)
    return value


#: The driver's own default: nothing is passed.
DEFAULT = "default"


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes")


def _number(environ, name: str, default, kind=int):
    """A numeric variable; a bad value is kept as text for `problems()` to report."""
    raw = (environ.get(name) or "").strip()
    if not raw:
        return default
    try:
        return kind(raw)
    except ValueError:
        return raw


@dataclass(frozen=True)
class BadValue:
    """A setting's text that did not parse (kept for `Settings.problems`)."""

    text: str


def _threshold(raw: str | None):
    try:
        return prepare_threshold(raw)
    except ValueError:
        return BadValue(raw or "")


@dataclass(frozen=True)
class Settings:
    """Where the database and the policy are, the web secrets, the mail relay."""

    database_url: str = DEFAULT_URL
    policy_path: str | None = None
    secret_key: str | None = None
    demo: bool = False
    secure_cookies: bool = False
    smtp_url: str | None = None
    api_rate_limit: str = DEFAULT_API_RATE_LIMIT
    # --- production (gunicorn.conf.py, logs, metrics; docs/operations.md) ---
    bind: str = DEFAULT_BIND
    web_workers: int = 2
    web_threads: int = 1
    log_format: str = "text"
    access_log: bool = False
    metrics_dir: str | None = None
    metrics_token: str | None = None
    worker_metrics_port: int | None = None
    db_connect_timeout: float = 5.0
    #: psycopg's prepare_threshold (`prepare_threshold()`), or the text that failed to parse.
    db_prepare_threshold: object = DEFAULT
    session_idle: str = DEFAULT_SESSION_IDLE
    session_lifetime: str = DEFAULT_SESSION_LIFETIME
    # --- evidence files (workflow.store.attachments): None is beside a SQLite database
    # file (instance/attachments by default), else instance/attachments ---
    attachments_dir: str | None = None

    @classmethod
    def from_env(cls, environ=os.environ) -> "Settings":
        """Read COMPLAINTS_DATABASE_URL, COMPLAINTS_POLICY, COMPLAINTS_SECRET_KEY,
        COMPLAINTS_DEMO, COMPLAINTS_SECURE_COOKIES, COMPLAINTS_SMTP_URL,
        COMPLAINTS_API_RATE_LIMIT, COMPLAINTS_SESSION_IDLE, COMPLAINTS_SESSION_LIFETIME and
        COMPLAINTS_ATTACHMENTS_DIR;
        for production COMPLAINTS_BIND, COMPLAINTS_WEB_WORKERS, COMPLAINTS_WEB_THREADS,
        COMPLAINTS_LOG_FORMAT, COMPLAINTS_ACCESS_LOG, COMPLAINTS_METRICS_TOKEN,
        COMPLAINTS_WORKER_METRICS_PORT, COMPLAINTS_DB_CONNECT_TIMEOUT,
        COMPLAINTS_DB_PREPARE_THRESHOLD and prometheus_client's PROMETHEUS_MULTIPROC_DIR.

        A malformed number is kept as given, so that `problems()` (and `complaints
        check`) can name it instead of failing here."""
        return cls(
            database_url=environ.get("COMPLAINTS_DATABASE_URL") or DEFAULT_URL,
            policy_path=environ.get("COMPLAINTS_POLICY") or None,
            secret_key=environ.get("COMPLAINTS_SECRET_KEY") or None,
            demo=_flag(environ.get("COMPLAINTS_DEMO")),
            secure_cookies=_flag(environ.get("COMPLAINTS_SECURE_COOKIES")),
            smtp_url=environ.get("COMPLAINTS_SMTP_URL") or None,
            api_rate_limit=environ.get("COMPLAINTS_API_RATE_LIMIT") or DEFAULT_API_RATE_LIMIT,
            bind=environ.get("COMPLAINTS_BIND") or DEFAULT_BIND,
            web_workers=_number(environ, "COMPLAINTS_WEB_WORKERS", 2),
            web_threads=_number(environ, "COMPLAINTS_WEB_THREADS", 1),
            log_format=(environ.get("COMPLAINTS_LOG_FORMAT") or "text").strip().lower(),
            access_log=_flag(environ.get("COMPLAINTS_ACCESS_LOG")),
            metrics_dir=environ.get("PROMETHEUS_MULTIPROC_DIR") or None,
            metrics_token=environ.get("COMPLAINTS_METRICS_TOKEN") or None,
            worker_metrics_port=_number(environ, "COMPLAINTS_WORKER_METRICS_PORT", None),
            db_connect_timeout=_number(environ, "COMPLAINTS_DB_CONNECT_TIMEOUT", 5.0, float),
            db_prepare_threshold=_threshold(environ.get("COMPLAINTS_DB_PREPARE_THRESHOLD")),
            session_idle=environ.get("COMPLAINTS_SESSION_IDLE") or DEFAULT_SESSION_IDLE,
            session_lifetime=(environ.get("COMPLAINTS_SESSION_LIFETIME")
                              or DEFAULT_SESSION_LIFETIME),
            attachments_dir=environ.get("COMPLAINTS_ATTACHMENTS_DIR") or None,
        )

    def engine_options(self) -> dict:
        """`make_engine` keywords from these settings (bad values fall back to defaults;
        `problems()` names them)."""
        timeout = self.db_connect_timeout
        options = {"connect_timeout": timeout if isinstance(timeout, (int, float)) else 5.0}
        threshold = self.db_prepare_threshold
        if threshold != DEFAULT and not isinstance(threshold, BadValue):
            options["prepare_threshold"] = threshold
        return options

    def problems(self, web: bool = True) -> list[str]:
        """What is wrong with these settings, one bilingual sentence each (empty: all
        good); `web=False` leaves out what only the web processes need."""
        out = []
        if web and not self.secret_key and not self.demo:
            out.append("未设置会话密钥 COMPLAINTS_SECRET_KEY is not set (required outside demo mode)")
        elif web and not self.demo and len(self.secret_key.encode()) < MIN_SECRET_KEY_BYTES:
            out.append(f"会话密钥过短 COMPLAINTS_SECRET_KEY is shorter than {MIN_SECRET_KEY_BYTES} "
                       "bytes (required outside demo mode)")
        for name, text in (("COMPLAINTS_SESSION_IDLE", self.session_idle),
                           ("COMPLAINTS_SESSION_LIFETIME", self.session_lifetime)):
            try:
                session_seconds(text, name)
            except ValueError as exc:
                out.append(f"取值无效 {exc}")
        for name, value, low in (("COMPLAINTS_WEB_WORKERS", self.web_workers, 1),
                                 ("COMPLAINTS_WEB_THREADS", self.web_threads, 1),
                                 ("COMPLAINTS_DB_CONNECT_TIMEOUT", self.db_connect_timeout, 0.1)):
            if not isinstance(value, (int, float)) or value < low:
                out.append(f"取值无效 {name}={value!r}: a number of at least {low} is expected")
        if isinstance(self.db_prepare_threshold, BadValue):
            out.append(f"取值无效 COMPLAINTS_DB_PREPARE_THRESHOLD={self.db_prepare_threshold.text!r}: "
                       "a number of uses (0 or more) or none")
        port = self.worker_metrics_port
        if port is not None and (not isinstance(port, int) or not 0 < port < 65536):
            out.append(f"取值无效 COMPLAINTS_WORKER_METRICS_PORT={port!r}: a TCP port is expected")
        if self.log_format not in LOG_FORMATS:
            out.append(f"取值无效 COMPLAINTS_LOG_FORMAT={self.log_format!r}: text or json")
        host, sep, bind_port = self.bind.rpartition(":")
        if not self.bind.startswith("unix:") and (not sep or not bind_port.isdigit()):
            out.append(f"取值无效 COMPLAINTS_BIND={self.bind!r}: HOST:PORT or unix:PATH")
        if self.attachments_dir and os.path.exists(self.attachments_dir) and not (
                os.path.isdir(self.attachments_dir) and os.access(self.attachments_dir, os.W_OK)):
            out.append(f"目录不可写 COMPLAINTS_ATTACHMENTS_DIR={self.attachments_dir!r} is not a "
                       "writable directory")
        if self.metrics_dir and not os.path.isdir(self.metrics_dir):
            out.append(f"目录不存在 PROMETHEUS_MULTIPROC_DIR={self.metrics_dir!r} is not a directory")
        elif self.metrics_dir and not os.access(self.metrics_dir, os.W_OK):
            out.append(f"目录不可写 PROMETHEUS_MULTIPROC_DIR={self.metrics_dir!r} is not writable")
        return out
