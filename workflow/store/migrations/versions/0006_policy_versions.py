"""Policy versions in the database, each complaint pinned to one, and the clock history.

A database that already holds complaints gets its first policy version here, from the
policy `complaints db upgrade` runs with (`COMPLAINTS_POLICY`), or else the default
policy as it was shipped when this revision was written (frozen below), and every
complaint is pinned to it: the content hashes they recorded before cannot be turned back
into policies.

The downgrade keeps what the earlier schema can hold (each complaint's policy as the
content hash it recorded before) and refuses, changing nothing, when the database holds
what it cannot: more than one policy version, a version other than the frozen default
(its text), clock history or restarted clocks.

Revision ID: 0006_policy
Revises: 0005_security
"""
import hashlib
import json
import tomllib
from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import context, op

revision = '0006_policy'
down_revision = '0005_security'
branch_labels = None
depends_on = None

UTC = sa.DateTime(timezone=True)

#: `states/default_policy.toml` as it was when this revision was written.
DEFAULT_POLICY = """# Complaint-handling policy. Every number here is the administrator's to change;
# nothing in the code repeats it. Durations: "90s", "30m", "48h", "7 days" (clock time)
# or "5 workdays" (Chinese statutory working days, 调休 included).

[general]
warning_fraction = 0.75        # a warning goes out at 75 % of each clock
repeat_window = "30 days"      # a new complaint on the same number and cause within this is a repeat
max_pauses = 2                 # how often the reply clock may wait on the customer
max_pause_total = "7 days"     # and for how long in all

[major]
joint_complainants = 3         # a joint complaint by this many customers is major
repeat_count = 2               # reopened or repeated this many times: major
media = true                   # media exposure makes a complaint major
leadership = true              # so does the attention of company leadership
serious_deficiency = true      # and a serious service or management failure

[escalation]
# A missed deadline of these kinds escalates: normal -> major desk, major -> leadership.
on_breach = ["reply"]
max_level = 2                  # 1 = major-complaint desk, 2 = leadership

[attachments]
# Evidence files on a complaint (call recordings, bill screenshots, the regulator's letter).
max_size = "20 MB"             # the largest file accepted ("512 KB", "20 MB" or bytes)
kinds = ["audio", "image", "pdf", "office"]   # checked by the file's content, not its name

[deadlines.normal]
assign = "2h"
first_contact = "24h"
reply = "48h"
progress_contact = "48h"
auto_close = "7 days"
outer_limit = "15 days"

[deadlines.major]
assign = "1h"
first_contact = "4h"
reply = "24h"
progress_contact = "24h"
auto_close = "7 days"
outer_limit = "15 days"

[deadlines.escalated]
assign = "1h"
first_contact = "4h"
reply = "24h"
progress_contact = "24h"
auto_close = "7 days"
regulator = "30 days"

[routing]
media = "general_office"
legal = "general_office"
public_relations = "general_office"
advertising = "marketing"
service_explanation = "marketing"
tariff = "marketing"
sales_channel = "marketing"
bank_collection = "finance"
monternet = "billing_centre"
data_service = "billing_centre"
distribution_channel = "billing_centre"
network_quality = "network"
interconnection = "network"
coverage = "network"
roaming = "network"
vas_usage = "network"
billing_error = "it_centre"
boss_system = "it_centre"
delivery = "logistics"

[intake]
# The districts (区) intake offers; a complaint may leave it empty. Codes: futian 福田,
# luohu 罗湖, nanshan 南山, baoan 宝安, longgang 龙岗, yantian 盐田, longhua 龙华,
# pingshan 坪山, guangming 光明, dapeng 大鹏.
districts = ["futian", "luohu", "nanshan", "baoan", "longgang", "yantian", "longhua",
             "pingshan", "guangming", "dapeng"]
"""
DEFAULT_SOURCE = "default_policy.toml"

_versions = sa.table(
    'policy_versions', sa.column('id', sa.Integer()), sa.column('digest', sa.String()),
    sa.column('text', sa.Text()), sa.column('source', sa.String()),
    sa.column('note', sa.String()), sa.column('loaded_by', sa.String()),
    sa.column('loaded_at', UTC), sa.column('active', sa.Boolean()),
    sa.column('activated_by', sa.String()), sa.column('activated_at', UTC))


def digest(text: str) -> str:
    """A policy file's content hash as `states.policy` computed it then (comments aside)."""
    canonical = json.dumps(tomllib.loads(text), sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _first_version() -> tuple[str, str, str]:
    """(digest, text, source) of the policy the upgrade was given, or the frozen default."""
    policy = context.config.attributes.get("policy")
    if policy is None:
        return digest(DEFAULT_POLICY), DEFAULT_POLICY, DEFAULT_SOURCE
    text = policy.text or json.dumps(policy.raw, ensure_ascii=False, sort_keys=True, indent=1)
    return policy.digest, text, policy.source


def upgrade() -> None:
    op.create_table(
        'policy_versions',
        sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('digest', sa.String(length=64), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('source', sa.String(length=200), nullable=False),
        sa.Column('note', sa.String(length=500), server_default='', nullable=False),
        sa.Column('loaded_by', sa.String(length=60), nullable=False),
        sa.Column('loaded_at', UTC, nullable=False),
        sa.Column('active', sa.Boolean(), server_default=sa.text('false'), nullable=False),
        sa.Column('activated_by', sa.String(length=60), nullable=True),
        sa.Column('activated_at', UTC, nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_policy_versions')),
        sa.UniqueConstraint('digest', name=op.f('uq_policy_versions_digest')),
    )
    op.create_index('ux_policy_versions_active', 'policy_versions', ['active'], unique=True,
                    sqlite_where=sa.text('active'), postgresql_where=sa.text('active'))
    op.create_table(
        'clock_events',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'),
                  autoincrement=True, nullable=False),
        sa.Column('complaint_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'),
                  nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('run', sa.Integer(), nullable=False),
        sa.Column('at', UTC, nullable=False),
        sa.Column('event', sa.String(length=12), nullable=False),
        sa.Column('policy_version', sa.Integer(), nullable=False),
        sa.Column('track', sa.String(length=20), nullable=False),
        sa.Column('duration', sa.String(length=40), nullable=False),
        sa.Column('warn_at', UTC, nullable=False),
        sa.Column('due_at', UTC, nullable=False),
        sa.Column('confirmed', sa.Boolean(), nullable=False),
        sa.Column('seconds', sa.Integer(), nullable=True),
        sa.Column('reason', sa.String(length=40), server_default='', nullable=False),
        sa.Column('actor', sa.String(length=60), server_default='', nullable=False),
        sa.Column('data', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(['complaint_id'], ['complaints.id'],
                                name=op.f('fk_clock_events_complaint_id_complaints')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_clock_events')),
    )
    op.create_index('ix_clock_events_complaint', 'clock_events', ['complaint_id', 'id'])
    op.create_index('ix_clock_events_event_at', 'clock_events', ['event', 'at'])
    with op.batch_alter_table('deadlines') as batch:
        batch.add_column(sa.Column('run', sa.Integer(), server_default=sa.text('1'),
                                   nullable=False))

    conn = op.get_bind()
    if conn.execute(sa.text("SELECT count(*) FROM complaints")).scalar():
        first, text, source = _first_version()
        now = datetime.now(timezone.utc)
        if conn.dialect.name == "sqlite":      # stored as naive UTC text there
            now = now.replace(tzinfo=None)
        conn.execute(_versions.insert().values(
            id=1, digest=first, text=text, source=source[:200],
            note="the policy in force when versions were introduced", loaded_by="migration",
            loaded_at=now, active=True, activated_by="migration", activated_at=now))
    op.execute("UPDATE complaints SET policy_version = '1'")
    with op.batch_alter_table('complaints') as batch:
        batch.alter_column('policy_version', existing_type=sa.String(length=20),
                           type_=sa.Integer(), existing_nullable=False,
                           postgresql_using='policy_version::integer')
        batch.create_foreign_key(op.f('fk_complaints_policy_version_policy_versions'),
                                 'policy_versions', ['policy_version'], ['id'])


def _refusals(conn) -> list[str]:
    """What the schema before versions cannot keep, one line each (none: go ahead)."""
    versions = conn.execute(sa.text("SELECT digest FROM policy_versions")).scalars().all()
    clocks = conn.execute(sa.text("SELECT count(*) FROM clock_events")).scalar()
    restarted = conn.execute(sa.text("SELECT count(*) FROM deadlines WHERE run <> 1")).scalar()
    found = []
    if len(versions) > 1:
        found.append(f"数据库中有 {len(versions)} 个策略版本，降级后只能保留一个 "
                     f"{len(versions)} policy versions are stored; the earlier schema keeps none")
    elif versions and versions[0] != digest(DEFAULT_POLICY):
        found.append("策略版本 1 不是默认策略，降级后其文本将丢失 policy version 1 is not the "
                     "default policy: its text would be lost")
    if clocks:
        found.append(f"时限历史有 {clocks} 条记录 {clocks} clock history entries would be lost")
    if restarted:
        found.append(f"{restarted} 个时限已重新计时 {restarted} restarted clocks would lose "
                     "their run number")
    return found


def downgrade() -> None:
    conn = op.get_bind()
    refusals = _refusals(conn)
    if refusals:
        raise RuntimeError("拒绝降级到 0005_security，数据库未改变 refusing to downgrade below "
                           "0006_policy, nothing was changed:\n  - " + "\n  - ".join(refusals))
    with op.batch_alter_table('complaints') as batch:
        batch.drop_constraint(op.f('fk_complaints_policy_version_policy_versions'),
                              type_='foreignkey')
        batch.alter_column('policy_version', existing_type=sa.Integer(),
                           type_=sa.String(length=20), existing_nullable=False)
    # Each complaint's policy as it was recorded before versions: its content hash.
    op.execute("UPDATE complaints SET policy_version = (SELECT substr(digest, 1, 12) "
               "FROM policy_versions WHERE policy_versions.id = 1) WHERE policy_version = '1'")
    with op.batch_alter_table('deadlines') as batch:
        batch.drop_column('run')
    op.drop_index('ix_clock_events_event_at', table_name='clock_events')
    op.drop_index('ix_clock_events_complaint', table_name='clock_events')
    op.drop_table('clock_events')
    op.drop_index('ux_policy_versions_active', table_name='policy_versions')
    op.drop_table('policy_versions')
