"""Logging: plain text by default, or one JSON object per line (COMPLAINTS_LOG_FORMAT=json).

Every record carries the id of the HTTP request it was logged in (`request_id`, set by
`web.ops` and returned to the client as `X-Request-Id`); gunicorn's access log lines
become JSON objects with the request line, status, duration and that id.
"""
from __future__ import annotations

import json
import logging
from contextvars import ContextVar
from datetime import datetime, timezone

#: The current HTTP request's id ("-" outside a request).
request_id: ContextVar[str] = ContextVar("request_id", default="-")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"
#: gunicorn access-log atoms kept in a JSON line, under these keys.
ACCESS_FIELDS = {"h": "remote", "m": "method", "U": "path", "q": "query", "s": "status",
                 "B": "bytes", "M": "duration_ms", "{x-request-id}o": "request_id",
                 "a": "user_agent"}


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every record that passes the handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time (UTC), level, logger, message, request_id."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {"time": datetime.fromtimestamp(record.created, timezone.utc)
                 .isoformat(timespec="milliseconds"),
                 "level": record.levelname, "logger": record.name,
                 "request_id": getattr(record, "request_id", None) or request_id.get()}
        if record.name == "gunicorn.access" and isinstance(record.args, dict):
            atoms = record.args
            entry["message"] = "request"
            for atom, key in ACCESS_FIELDS.items():
                value = atoms.get(atom)
                if value not in (None, "-", ""):
                    entry[key] = int(value) if key in ("status", "duration_ms") and \
                        str(value).isdigit() else value
            if entry.get("request_id") in (None, "-"):
                entry.pop("request_id", None)
                if atoms.get("{x-request-id}o") not in (None, "-"):
                    entry["request_id"] = atoms["{x-request-id}o"]
        else:
            entry["message"] = record.getMessage()
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def handler_config(log_format: str) -> dict:
    """A `logging.config.dictConfig` fragment: formatters, filters and a stderr handler."""
    return {
        "formatters": {"json": {"()": JsonFormatter},
                       "text": {"format": TEXT_FORMAT}},
        "filters": {"request_id": {"()": RequestIdFilter}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "stream": "ext://sys.stderr",
                                "formatter": "json" if log_format == "json" else "text",
                                "filters": ["request_id"]}},
    }


def configure(log_format: str = "text", level: int = logging.INFO) -> None:
    """Log to stderr as text or JSON lines (for the CLI and the timer worker); calling it
    again replaces the handler it added. Like `logging.basicConfig`, it does nothing when
    someone else (a test runner, an embedding program) already set up the root logger."""
    import sys
    root = logging.getLogger()
    if any(not getattr(h, "_complaints", False) for h in root.handlers):
        return
    for old in [h for h in root.handlers if getattr(h, "_complaints", False)]:
        root.removeHandler(old)
    handler = logging.StreamHandler(sys.stderr)
    handler._complaints = True
    handler.setFormatter(JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT))
    handler.addFilter(RequestIdFilter())
    root.addHandler(handler)
    root.setLevel(level)
    logging.getLogger("transitions").setLevel(logging.WARNING)


def gunicorn_config(log_format: str, access_log: bool, level: str = "INFO") -> dict:
    """gunicorn's `logconfig_dict`: the app's, gunicorn's and (with `access_log`) the
    access log's records through one handler, as text or JSON lines."""
    return {"version": 1, "disable_existing_loggers": False, **handler_config(log_format),
            "root": {"level": level, "handlers": ["stderr"]},
            "loggers": {"gunicorn.error": {"level": level, "handlers": ["stderr"],
                                           "propagate": False},
                        "gunicorn.access": {"level": "INFO" if access_log else "WARNING",
                                            "handlers": ["stderr"], "propagate": False},
                        "transitions": {"level": "WARNING"},
                        # Alembic logs its plugins and context at INFO on every readiness check.
                        "alembic": {"level": "WARNING"}}}
