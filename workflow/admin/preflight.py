"""`complaints check`: configuration, the database connection and the schema version,
verified before a process starts, each with a message that says what is wrong.

Nothing here writes, creates a file or prints a password: URLs are shown with `***`
for the password, and a password that appears in a driver's message is masked too.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import pool, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from states.policy import PolicyError, load_policy
from workflow.settings import Settings
from workflow.store import migrate
from workflow.store.db import make_engine

SUPPORTED = ("sqlite", "postgresql")


@dataclass(frozen=True)
class Check:
    """One verified thing: what, whether it is fine, and the sentence to show."""

    what: str
    ok: bool
    message: str


def safe_url(url: str) -> str:
    """The URL for display: the password replaced by ***."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "（不是有效的数据库 URL / not a database URL）"


def mask(message: str, url: str) -> str:
    """`message` with the URL's password (if any, and in any spelling) replaced by ***."""
    try:
        password = make_url(url).password
    except ArgumentError:
        return message
    if password:
        from urllib.parse import quote, quote_plus
        for spelling in {password, quote(password, safe=""), quote_plus(password)}:
            message = message.replace(spelling, "***")
    return message


def configuration(settings: Settings, web: bool = True) -> list[Check]:
    """The settings and the policy file."""
    out = [Check("configuration", False, p) for p in settings.problems(web=web)]
    try:
        policy = load_policy(settings.policy_path)
        out.append(Check("policy", True, f"处理规范 policy {policy.source}, version {policy.version}"))
    except PolicyError as exc:
        out.append(Check("policy", False, f"处理规范有误 policy file: {exc}"))
    if not out or all(c.what == "policy" for c in out):
        out.insert(0, Check("configuration", True, "配置有效 settings are valid"))
    return out


def database(settings: Settings) -> list[Check]:
    """The database: a URL we support, a connection, and the schema this code expects."""
    url = settings.database_url
    shown = safe_url(url)
    try:
        parsed = make_url(url)
    except ArgumentError:
        return [Check("database", False, "数据库 URL 无效 COMPLAINTS_DATABASE_URL is not a "
                                         "database URL (e.g. postgresql+psycopg://user@host/db)")]
    backend = parsed.get_backend_name()
    if backend not in SUPPORTED:
        return [Check("database", False, f"不支持的数据库 {backend!r} in {shown}: use sqlite or "
                                         "postgresql+psycopg")]
    if backend == "sqlite":
        from pathlib import Path
        if not parsed.database or parsed.database == ":memory:":
            return [Check("database", False, "数据库文件未指定 a SQLite URL needs a file path")]
        if not Path(parsed.database).is_file():
            return [Check("database", False, f"数据库文件不存在 {parsed.database} does not exist: "
                                             "run `complaints db upgrade` to create it")]
    engine = make_engine(url, poolclass=pool.NullPool, **settings.engine_options())
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            problem = migrate.schema_problem(conn)
    except Exception as exc:
        first = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        return [Check("database", False, f"无法连接数据库 cannot connect to {shown}: "
                                         f"{mask(first[0] if first else type(exc).__name__, url)}")]
    finally:
        engine.dispose()
    out = [Check("database", True, f"数据库连接正常 connected to {shown}")]
    if problem:
        out.append(Check("schema", False, problem))
    else:
        out.append(Check("schema", True, f"表结构为最新 schema at {', '.join(sorted(migrate.heads()))}"))
    return out
