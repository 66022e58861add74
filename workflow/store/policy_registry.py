"""The policy versions a process acts on: the active one, looked up every few seconds,
and every stored version by number, read once (versions are immutable).

The policy file a process starts with (`bootstrap`) becomes the database's first
version when it has none; after that the active version in the database rules, so
that processes started with different files still act on one policy.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

from states.policy import Policy
from workflow.store import policies
from workflow.store.schema import utcnow

log = logging.getLogger(__name__)

#: How often a process looks which policy version is active (a change reaches every
#: process on every machine within this).
POLICY_REFRESH_SECONDS = 2


class PolicyRegistry:
    """The active policy version and the stored versions by number, cached per process."""

    def __init__(self, engine: Engine, bootstrap: Policy, *,
                 refresh_seconds: float = POLICY_REFRESH_SECONDS,
                 clock: Callable[[], float] = time.monotonic):
        self.engine, self.bootstrap = engine, bootstrap
        self.refresh_seconds, self.clock = refresh_seconds, clock
        self._versions: dict[int, Policy] = {}
        self._active: Policy = bootstrap
        self._checked = float("-inf")
        self._lock = threading.Lock()

    @property
    def active(self) -> Policy:
        """The active version: the one new complaints are pinned to (never the start-up
        file before it is known to be a stored version)."""
        if not self._active.number:
            self.refresh()
        return self._active

    def refresh_if_due(self) -> None:
        """Look which version is active when the last look is `refresh_seconds` old."""
        if self.clock() - self._checked >= self.refresh_seconds:
            self.refresh()

    def refresh(self) -> Policy:
        """Read which version is active now (storing the start-up file as version 1 in a
        database that has none)."""
        asked = self.clock()
        with self._lock:     # threads of one process look once, not each
            if self._active.number and self._checked >= asked:
                return self._active     # another thread looked while this one waited
            return self._look()

    def _look(self) -> Policy:
        self._checked = self.clock()
        try:
            with self.engine.connect() as conn:
                number = policies.active_number(conn)
            if number is None:
                number = policies.ensure_first(self.engine, self.bootstrap, by="system",
                                               now=utcnow())
        except DBAPIError as exc:
            if self._active.number:     # keep acting on the version read last
                log.debug("policy versions not readable now: %s", exc)
                return self._active
            # Never act on a policy that is not a stored version (a complaint pinned to
            # it could not be written): the caller fails as the database does, and the
            # next unit of work looks again.
            self._checked = float("-inf")
            raise
        if number != self._active.number:
            self._active = self.version(number)
            log.info("policy version %s is active (%s)", number, self._active.version)
            if self._active.digest != self.bootstrap.digest:
                log.warning("the policy file %s differs from the active policy version %s "
                            "in the database, which is used; `complaints policy load` "
                            "stores a file as a new version", self.bootstrap.source, number)
        return self._active

    def version(self, number: int, conn: Connection | None = None) -> Policy:
        """Policy version `number` (on `conn` when given; read once per process)."""
        found = self._versions.get(number)
        if found is not None:
            return found
        if conn is None:
            with self.engine.connect() as own:
                row = policies.get(own, number)
        else:
            row = policies.get(conn, number)
        if row is None:
            raise LookupError(f"no policy version {number} in the database")
        found = self._versions[number] = policies.parse_row(row)
        return found
