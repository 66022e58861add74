"""Whether the database answers: the readiness check a load balancer asks, the errors
that mean the database is away (answered 503 with `Retry-After`), and the tracker that
tells whether a failed request began a write (so that it may run once more)."""
from __future__ import annotations

from sqlalchemy.exc import DBAPIError

from workflow.store import migrate
from workflow.store.db import RETRY_AFTER_SECONDS, is_unavailable
from workflow.store.unit_of_work import track_writes

__all__ = ["RETRY_AFTER_SECONDS", "is_unavailable", "readiness_problem", "schema_heads",
           "track_writes"]


def readiness_problem(rt) -> str | None:
    """Why this process should not get traffic now (None: ready): the database does not
    answer, or its schema is not the one this code expects."""
    try:
        with rt.engine.connect() as conn:
            problem = migrate.schema_problem(conn)
            conn.commit()
    except Exception as exc:
        if not is_unavailable(exc) and not isinstance(exc, DBAPIError):
            raise
        return f"数据库不可用 database unavailable: {str(exc).splitlines()[0]}"
    return problem


def schema_heads() -> list[str]:
    """The schema revisions this code expects, sorted."""
    return sorted(migrate.heads())
