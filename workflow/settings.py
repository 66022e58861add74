"""Configuration from environment variables (and nothing else in the domain reads them)."""
from __future__ import annotations

import os
from dataclasses import dataclass

from workflow.store.db import DEFAULT_URL


@dataclass(frozen=True)
class Settings:
    """Where the database and the policy are, and the web secrets."""

    database_url: str = DEFAULT_URL
    policy_path: str | None = None
    secret_key: str | None = None
    demo: bool = False

    @classmethod
    def from_env(cls, environ=os.environ) -> "Settings":
        """Read COMPLAINTS_DATABASE_URL, COMPLAINTS_POLICY, COMPLAINTS_SECRET_KEY, COMPLAINTS_DEMO."""
        return cls(
            database_url=environ.get("COMPLAINTS_DATABASE_URL") or DEFAULT_URL,
            policy_path=environ.get("COMPLAINTS_POLICY") or None,
            secret_key=environ.get("COMPLAINTS_SECRET_KEY") or None,
            demo=environ.get("COMPLAINTS_DEMO", "").lower() in ("1", "true", "yes"),
        )
