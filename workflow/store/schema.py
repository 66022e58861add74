"""The database tables (SQLAlchemy Core), one MetaData for SQLite and PostgreSQL alike.

Alembic migrations in `workflow/migrations` create and evolve exactly these tables;
a test compares the migrated database with this module.
"""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import (
    ARRAY,
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)

metadata = MetaData(naming_convention={
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
})

# SQLite has no big-integer autoincrement; an INTEGER primary key is its rowid.
Id = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator):
    """A timestamp stored in UTC and always returned timezone-aware (UTC).

    On SQLite the text form is SQLAlchemy's own ("YYYY-MM-DD HH:MM:SS.ffffff", always six
    digits of microseconds, so text order is time order), written and read with the C
    `isoformat` / `fromisoformat` instead of SQLAlchemy's Python formatting and regular
    expression: every action converts some 40 timestamps.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: times must be timezone-aware")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)

    def bind_processor(self, dialect):
        if dialect.name != "sqlite":
            return super().bind_processor(dialect)

        def process(value):
            if value is None:
                return None
            if value.tzinfo is None:
                raise ValueError(f"naive datetime {value!r}: times must be timezone-aware")
            return value.astimezone(timezone.utc).replace(tzinfo=None).isoformat(" ", "microseconds")
        return process

    def result_processor(self, dialect, coltype):
        if dialect.name != "sqlite":
            return super().result_processor(dialect, coltype)

        def process(value):
            if value is None:
                return None
            return datetime.fromisoformat(value).replace(tzinfo=timezone.utc)
        return process


def utcnow() -> datetime:
    """The wall clock in UTC; only entry points call this, never the domain."""
    return datetime.now(timezone.utc)


departments = Table(
    "departments", metadata,
    Column("code", String(40), primary_key=True),
    Column("name_zh", String(100), nullable=False),
    Column("name_en", String(100), nullable=False),
    Column("active", Boolean, nullable=False, server_default=text("true")),
)

users = Table(
    "users", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("username", String(60), nullable=False, unique=True),
    Column("display_name", String(100), nullable=False),
    Column("role", String(20), nullable=False),
    Column("department", String(40), ForeignKey("departments.code"), nullable=False),
    Column("password_hash", String(255)),
    Column("active", Boolean, nullable=False, server_default=text("true")),
    Column("created_at", UTCDateTime, nullable=False),
    # Raised by sign-out, a password change, deactivation and "sign out everywhere":
    # a page session signed in under an older generation is refused.
    Column("session_generation", Integer, nullable=False, server_default=text("0")),
    # A department's lead (负责人): may reassign the department's complaints among its
    # users (the `reassign` action); set by an administrator.
    Column("lead", Boolean, nullable=False, server_default=text("false")),
)

#: Every sign-in attempt and what came of it (who, when, from which address); the
#: failures in a window lock the account or the address (`workflow.admin.signin`).
#: `outcome`: ok, bad_password, unknown_user, locked, address_locked, unlocked.
sign_ins = Table(
    "sign_ins", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime, nullable=False),
    Column("username", String(60), nullable=False),
    Column("address", String(64), nullable=False),
    Column("outcome", String(20), nullable=False),
    Column("by", String(60)),                       # the administrator, for "unlocked"
    Index("ix_sign_ins_username_at", "username", "at"),
    Index("ix_sign_ins_address_at", "address", "at"),
    Index("ix_sign_ins_at", "at"),
)

#: Each time a full mobile number was shown (PIPL): who, when, which complaint, where.
personal_data_views = Table(
    "personal_data_views", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime, nullable=False),
    Column("username", String(60), nullable=False),
    Column("role", String(20), nullable=False),
    Column("complaint_id", Id, ForeignKey("complaints.id"), nullable=False),
    Column("channel", String(10), nullable=False),   # page, api
    Column("field", String(20), nullable=False, server_default="mobile"),
    Index("ix_personal_data_views_complaint_at", "complaint_id", "at"),
    Index("ix_personal_data_views_username_at", "username", "at"),
    Index("ix_personal_data_views_at", "at"),
)

complaints = Table(
    "complaints", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("state", String(20), nullable=False),
    Column("version", Integer, nullable=False),
    Column("mobile", String(11), nullable=False),
    Column("customer_name", String(100), nullable=False, server_default=""),
    Column("channel", String(20), nullable=False),
    Column("source", String(30), nullable=False),
    Column("cause", String(40), nullable=False),
    Column("text", Text, nullable=False),
    Column("complainant_count", Integer, nullable=False, server_default=text("1")),
    Column("district", String(20), nullable=False, server_default=""),     # "" when not known
    Column("location", String(200), nullable=False, server_default=""),
    Column("media", Boolean, nullable=False, server_default=text("false")),
    Column("leadership", Boolean, nullable=False, server_default=text("false")),
    Column("serious_deficiency", Boolean, nullable=False, server_default=text("false")),
    Column("routed_department", String(40), ForeignKey("departments.code"), nullable=False),
    Column("department", String(40), ForeignKey("departments.code"), nullable=False),
    Column("originating_department", String(40), ForeignKey("departments.code"), nullable=False),
    Column("escalation_level", Integer, nullable=False, server_default=text("0")),
    Column("major_reasons", JSON, nullable=False),
    Column("repeat_of_id", Id, ForeignKey("complaints.id")),
    Column("repeat_count", Integer, nullable=False, server_default=text("0")),
    Column("reopen_count", Integer, nullable=False, server_default=text("0")),
    Column("cycle", Integer, nullable=False, server_default=text("1")),
    Column("satisfaction", String(20)),
    Column("paused_at", UTCDateTime),
    Column("pause_count", Integer, nullable=False, server_default=text("0")),
    Column("paused_seconds", Integer, nullable=False, server_default=text("0")),
    # The policy version (`policy_versions.id`) every clock of this complaint is set by.
    Column("policy_version", Integer, ForeignKey("policy_versions.id"), nullable=False),
    Column("idempotency_key", String(200), unique=True),
    Column("request_hash", String(64)),
    Column("created_by", String(60), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    # The nearest due time of the complaint's running clocks (NULL when none runs),
    # kept by workflow.store.deadlines so the work queue sorts and filters on an index.
    Column("next_due_at", UTCDateTime),
    # The handler of record (接单人): the user who accepted it or was given it by the
    # department's lead or the major desk; NULL again after a transfer or escalation.
    Column("handler_user", String(60)),
    # PostgreSQL: the distinct bigrams of `text` and `customer_name`, decided in Python
    # (`workflow.store.search.bigrams`) and written with them; its GIN index serves the
    # text search. NULL on SQLite, where the FTS5 table `complaint_search` serves.
    Column("search_bigrams", ARRAY(Text).with_variant(JSON(), "sqlite")),
    Index("ix_complaints_repeat_lookup", "mobile", "cause", "created_at"),
    Index("ix_complaints_department_state", "department", "state"),
    Index("ix_complaints_originating_state", "originating_department", "state"),
    Index("ix_complaints_state_updated", "state", "updated_at"),
    Index("ix_complaints_updated_at", "updated_at"),
    Index("ix_complaints_next_due", "next_due_at", "id"),
    Index("ix_complaints_department_next_due", "department", "next_due_at"),
    Index("ix_complaints_routed_state", "routed_department", "state"),
    Index("ix_complaints_created_at", "created_at"),     # the queue's received-date filter
    Index("ix_complaints_handler_state", "handler_user", "state"),   # "我接的单"
    Index("ix_complaints_mobile_created", "mobile", "created_at"),   # the customer's history
    # The hot issues read a period through this index alone (workflow.store.hot): no
    # column an action changes, so actions never touch it.
    Index("ix_complaints_hot", "created_at", "cause", "district", "mobile", "location"),
)
#: The complaint's own columns, as a load reads them: all but the search's bigrams.
complaint_columns = tuple(c for c in complaints.c if c.name != "search_bigrams")
#: The work queue's counts per state, kept beside the complaints (`workflow.store.counts`):
#: one row per combination of the columns the queue's scopes and chips narrow on, with
#: how many complaints have it. Triggers of migration 0013 append a -1 row for a
#: complaint's old combination and a +1 row for its new one on every insert, delete and
#: change of these columns (appends only: concurrent writers never wait on a shared row);
#: the timer worker folds them (`counts.compact`). A count is the sum of `n` over the
#: matching rows. `handler_user` is "" where the complaint's is NULL.
queue_counts = Table(
    "queue_counts", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("state", String(20), nullable=False),
    Column("escalation_level", Integer, nullable=False),
    Column("source", String(30), nullable=False),
    Column("department", String(40), nullable=False),
    Column("originating_department", String(40), nullable=False),
    Column("routed_department", String(40), nullable=False),
    Column("handler_user", String(60), nullable=False),
    Column("cause", String(40), nullable=False),
    Column("channel", String(20), nullable=False),
    Column("n", BigInteger, nullable=False),
)
#: Objects of migrations 0012 and 0014 that this module does not describe (SQLAlchemy
#: cannot reflect an expression index on SQLite, and a GIN index is PostgreSQL's alone):
#: the SQLite FTS5 search table and its shadow tables, PostgreSQL's GIN index on
#: `search_bigrams`, and the expression index on a mobile
#: number's last four digits (`workflow.store.search`), and PostgreSQL's covering index
#: for the queue's counts (`INCLUDE`). Comparisons leave them out.
SEARCH_OBJECTS = ("complaint_search", "ix_complaints_search_bigrams",
                  "ix_complaints_mobile_last4", "ix_complaints_counts")


def include_name(name, type_, parent_names) -> bool:
    """Whether Alembic's comparison looks at a database object (not the search's own)."""
    return not (name or "").startswith(SEARCH_OBJECTS)

events = Table(
    "events", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("complaint_id", Id, ForeignKey("complaints.id"), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("actor", String(60), nullable=False),
    Column("actor_role", String(20), nullable=False),
    Column("action", String(20), nullable=False),
    Column("from_state", String(20)),
    Column("to_state", String(20), nullable=False),
    Column("comment", Text, nullable=False, server_default=""),
    Column("data", JSON, nullable=False),
    Index("ix_events_complaint", "complaint_id", "id"),
    # The reports' period figures: the month's closes, replies... without reading the rows.
    Index("ix_events_action_at", "action", "at", "complaint_id"),
)

#: Evidence files kept with a complaint. The content is a file outside the database,
#: named by its SHA-256 (`workflow.store.attachments`); a row is written only after its
#: file is in place, in the transaction of the complaint's `attach` event, and only
#: files with a row are ever served.
attachments = Table(
    "attachments", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("complaint_id", Id, ForeignKey("complaints.id"), nullable=False),
    Column("original_name", String(255), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("content_type", String(100), nullable=False),   # the format's, from the content
    Column("format", String(10), nullable=False),          # workflow.domain.evidence.FORMATS
    Column("sha256", String(64), nullable=False),
    Column("uploaded_by", String(60), nullable=False),
    Column("uploaded_at", UTCDateTime, nullable=False),
    Column("comment", Text, nullable=False, server_default=""),
    Index("ix_attachments_complaint", "complaint_id", "id"),
    Index("ix_attachments_sha256", "sha256"),
)

#: Every policy file ever loaded, numbered; immutable once stored. Exactly one is
#: active: the one new complaints are pinned to (`workflow.store.policies`).
policy_versions = Table(
    "policy_versions", metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),    # the version number
    Column("digest", String(64), nullable=False, unique=True),        # SHA-256 of the content
    Column("text", Text, nullable=False),                              # the file as loaded
    Column("source", String(200), nullable=False),
    Column("note", String(500), nullable=False, server_default=""),
    Column("loaded_by", String(60), nullable=False),
    Column("loaded_at", UTCDateTime, nullable=False),
    Column("active", Boolean, nullable=False, server_default=text("false")),
    Column("activated_by", String(60)),
    Column("activated_at", UTCDateTime),
    Index("ux_policy_versions_active", "active", unique=True,
          sqlite_where=text("active"), postgresql_where=text("active")),
)

#: One row per clock per complaint. `next_at` is the next moment the timer worker must
#: look at the row (the warning time until warned, then the due time); it is NULL once
#: the clock is stopped, paused or fired, so the partial index holds only live rows.
deadlines = Table(
    "deadlines", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("complaint_id", Id, ForeignKey("complaints.id"), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("track", String(20), nullable=False),
    Column("cycle", Integer, nullable=False),
    Column("duration", String(40), nullable=False),
    Column("status", String(10), nullable=False),       # active, paused, stopped, fired
    Column("started_at", UTCDateTime, nullable=False),
    Column("warn_at", UTCDateTime, nullable=False),
    Column("due_at", UTCDateTime, nullable=False),
    Column("next_at", UTCDateTime),
    Column("warned_at", UTCDateTime),
    Column("breached_at", UTCDateTime),
    Column("stopped_at", UTCDateTime),
    Column("paused_at", UTCDateTime),
    Column("paused_seconds", Integer, nullable=False, server_default=text("0")),
    Column("confirmed", Boolean, nullable=False, server_default=text("true")),
    # How many times this clock has been started for the complaint: the run that the
    # row holds now; its earlier runs live on in `clock_events`.
    Column("run", Integer, nullable=False, server_default=text("1")),
    UniqueConstraint("complaint_id", "kind", name="uq_deadlines_complaint_kind"),
    Index("ix_deadlines_next_at", "next_at",
          sqlite_where=text("next_at IS NOT NULL"), postgresql_where=text("next_at IS NOT NULL")),
)

#: The life of every clock, append-only, kept forever: one row per thing that happened
#: to one run of one clock (`workflow.store.deadlines` writes them with the clock's own
#: change, in the same transaction). `event` is one of `CLOCK_EVENTS`; `due_at` is the
#: due time after the event; `seconds` is the margin (met), how late (missed, ended),
#: how long paused (resumed) or how far moved (moved, signed). Met and missed are
#: stored facts: reports count them, nothing recomputes them from today's policy.
clock_events = Table(
    "clock_events", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("complaint_id", Id, ForeignKey("complaints.id"), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("run", Integer, nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("event", String(12), nullable=False),
    Column("policy_version", Integer, nullable=False),
    Column("track", String(20), nullable=False),
    Column("duration", String(40), nullable=False),
    Column("warn_at", UTCDateTime, nullable=False),
    Column("due_at", UTCDateTime, nullable=False),
    Column("confirmed", Boolean, nullable=False),
    Column("seconds", Integer),
    Column("reason", String(40), nullable=False, server_default=""),
    Column("actor", String(60), nullable=False, server_default=""),
    Column("data", JSON, nullable=False),
    Index("ix_clock_events_complaint", "complaint_id", "id"),
    # Covering for the reports' met / missed counts (and the `event, at` look-ups before).
    Index("ix_clock_events_event_at", "event", "at", "kind", "complaint_id"),
)

#: Notifications written in the same transaction as the warning or escalation.
outbox = Table(
    "outbox", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("complaint_id", Id, ForeignKey("complaints.id")),
    Column("kind", String(30), nullable=False),
    Column("recipients", JSON, nullable=False),     # department codes
    Column("subject", String(200), nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("next_attempt_at", UTCDateTime),
    Column("sent_at", UTCDateTime),
    Column("last_error", Text),
    # A notification that must go out once whatever the number of workers (the monthly
    # scorecard: "monthly_scorecard:2026-11"); NULL for the others.
    Column("dedupe_key", String(100), unique=True),
    Column("attachment_name", String(200)),
    Column("attachment", LargeBinary),
    Index("ix_outbox_pending", "next_attempt_at",
          sqlite_where=text("sent_at IS NULL"), postgresql_where=text("sent_at IS NULL")),
)

#: Notifications inside the app: one entry per person an outbox row concerns (the
#: handler of record, else the department's users), written in the outbox row's
#: transaction; `read_at` is the person's own read mark.
inbox = Table(
    "inbox", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("username", String(60), nullable=False),
    Column("complaint_id", Id, ForeignKey("complaints.id")),
    Column("kind", String(30), nullable=False),
    Column("subject", String(200), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("read_at", UTCDateTime),
    Index("ix_inbox_username_id", "username", "id"),
    Index("ix_inbox_unread", "username",
          sqlite_where=text("read_at IS NULL"), postgresql_where=text("read_at IS NULL")),
)

#: Days an administrator loaded from the State Council notice; they override the package.
calendar_days = Table(
    "calendar_days", metadata,
    Column("day", String(10), primary_key=True),       # ISO date, Asia/Shanghai
    Column("workday", Boolean, nullable=False),
    Column("note", String(100), nullable=False, server_default=""),
)

calendar_years = Table(
    "calendar_years", metadata,
    Column("year", Integer, primary_key=True),
    Column("loaded_at", UTCDateTime, nullable=False),
    Column("loaded_by", String(60), nullable=False),
)

workers = Table(
    "workers", metadata,
    Column("name", String(100), primary_key=True),
    Column("started_at", UTCDateTime, nullable=False),
    Column("heartbeat_at", UTCDateTime, nullable=False),
    Column("lag_seconds", Integer),
    Column("fired_total", BigInteger, nullable=False, server_default=text("0")),
)

#: The escalated-complaint liaisons (越级投诉接口人) the CSC keeps for each authority.
liaisons = Table(
    "liaisons", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("authority", String(30), nullable=False),
    Column("name", String(100), nullable=False),
    Column("phone", String(30), nullable=False),
    Column("email", String(200), nullable=False, server_default=""),
    Column("note", String(200), nullable=False, server_default=""),
    Column("updated_at", UTCDateTime, nullable=False),
)

api_tokens = Table(
    "api_tokens", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("user_id", Id, ForeignKey("users.id"), nullable=False),
    Column("name", String(100), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime),
    Column("last_used_at", UTCDateTime),
)

#: A cluster of complaints (one cause, one district or location, one period) that the
#: major-complaint desk escalated as a joint complaint (`workflow.services.hot`).
hot_clusters = Table(
    "hot_clusters", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("kind", String(10), nullable=False),          # district, location
    Column("cause", String(40), nullable=False),
    Column("place", String(200), nullable=False),        # the district code or the location
    Column("period_start", UTCDateTime, nullable=False),
    Column("period_end", UTCDateTime, nullable=False),
    Column("criterion", String(30), nullable=False),     # the major criterion recorded: joint
    Column("customers", Integer, nullable=False),
    Column("escalated_by", String(60), nullable=False),
    Column("escalated_at", UTCDateTime, nullable=False),
    Column("comment", Text, nullable=False, server_default=""),
    UniqueConstraint("kind", "cause", "place", "period_start", "period_end",
                     name="uq_hot_clusters_key"),
)

#: Each complaint of an escalated cluster and what the escalation did to it:
#: escalated, already_major (left as it was), not_open (replied or closed: left).
hot_cluster_members = Table(
    "hot_cluster_members", metadata,
    Column("cluster_id", Id, ForeignKey("hot_clusters.id"), primary_key=True),
    Column("complaint_id", Id, ForeignKey("complaints.id"), primary_key=True),
    Column("outcome", String(20), nullable=False),
    Index("ix_hot_cluster_members_complaint", "complaint_id"),
)
