"""Configuration from environment variables: the one place that reads them.

Every `COMPLAINTS_*` variable the service knows is a field of `Settings` (the README's
Configuration table lists the same ones); the web app, the timer worker and the CLI
take their values from here.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

from workflow.store.db import DEFAULT_URL

#: The API's default rate limit per token: REQUESTS/SECONDS.
DEFAULT_API_RATE_LIMIT = "600/60"


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

    @classmethod
    def from_env(cls, environ=os.environ) -> "Settings":
        """Read COMPLAINTS_DATABASE_URL, COMPLAINTS_POLICY, COMPLAINTS_SECRET_KEY,
        COMPLAINTS_DEMO, COMPLAINTS_SECURE_COOKIES, COMPLAINTS_SMTP_URL and
        COMPLAINTS_API_RATE_LIMIT."""
        return cls(
            database_url=environ.get("COMPLAINTS_DATABASE_URL") or DEFAULT_URL,
            policy_path=environ.get("COMPLAINTS_POLICY") or None,
            secret_key=environ.get("COMPLAINTS_SECRET_KEY") or None,
            demo=_flag(environ.get("COMPLAINTS_DEMO")),
            secure_cookies=_flag(environ.get("COMPLAINTS_SECURE_COOKIES")),
            smtp_url=environ.get("COMPLAINTS_SMTP_URL") or None,
            api_rate_limit=environ.get("COMPLAINTS_API_RATE_LIMIT") or DEFAULT_API_RATE_LIMIT,
        )
