"""Configuration from environment variables: the one place that reads them.

Every `COMPLAINTS_*` variable the service knows is a field of `Settings` (the README's
Configuration table lists the same ones); the web app, the timer worker and the CLI
take their values from here.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

from states.durations import parse_duration
from workflow.store.db import DEFAULT_URL

#: The API's default rate limit per token: REQUESTS/SECONDS.
DEFAULT_API_RATE_LIMIT = "600/60"
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


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes")


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
    session_idle: str = DEFAULT_SESSION_IDLE
    session_lifetime: str = DEFAULT_SESSION_LIFETIME

    @classmethod
    def from_env(cls, environ=os.environ) -> "Settings":
        """Read COMPLAINTS_DATABASE_URL, COMPLAINTS_POLICY, COMPLAINTS_SECRET_KEY,
        COMPLAINTS_DEMO, COMPLAINTS_SECURE_COOKIES, COMPLAINTS_SMTP_URL,
        COMPLAINTS_API_RATE_LIMIT, COMPLAINTS_SESSION_IDLE and COMPLAINTS_SESSION_LIFETIME."""
        return cls(
            database_url=environ.get("COMPLAINTS_DATABASE_URL") or DEFAULT_URL,
            policy_path=environ.get("COMPLAINTS_POLICY") or None,
            secret_key=environ.get("COMPLAINTS_SECRET_KEY") or None,
            demo=_flag(environ.get("COMPLAINTS_DEMO")),
            secure_cookies=_flag(environ.get("COMPLAINTS_SECURE_COOKIES")),
            smtp_url=environ.get("COMPLAINTS_SMTP_URL") or None,
            api_rate_limit=environ.get("COMPLAINTS_API_RATE_LIMIT") or DEFAULT_API_RATE_LIMIT,
            session_idle=environ.get("COMPLAINTS_SESSION_IDLE") or DEFAULT_SESSION_IDLE,
            session_lifetime=(environ.get("COMPLAINTS_SESSION_LIFETIME")
                              or DEFAULT_SESSION_LIFETIME),
        )
