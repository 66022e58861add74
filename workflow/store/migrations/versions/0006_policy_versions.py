"""Policy versions in the database, each complaint pinned to one, and the clock history.

A database that already holds complaints gets its first policy version here, from the
policy `complaints db upgrade` runs with (`COMPLAINTS_POLICY`, or the shipped default),
and every complaint is pinned to it: the content hashes they recorded before cannot be
turned back into policies.

Revision ID: 0006_policy
Revises: 0005_security
"""
from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import context, op

import workflow.store.schema
from states.policy import load_policy
from workflow.store.policies import stored_text

revision = '0006_policy'
down_revision = '0005_security'
branch_labels = None
depends_on = None

UTC = workflow.store.schema.UTCDateTime(timezone=True)


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
        policy = context.config.attributes.get("policy") or load_policy()
        now = datetime.now(timezone.utc)
        conn.execute(workflow.store.schema.policy_versions.insert().values(
            id=1, digest=policy.digest, text=stored_text(policy), source=policy.source[:200],
            note="the policy in force when versions were introduced", loaded_by="migration",
            loaded_at=now, active=True, activated_by="migration", activated_at=now))
    op.execute("UPDATE complaints SET policy_version = '1'")
    with op.batch_alter_table('complaints') as batch:
        batch.alter_column('policy_version', existing_type=sa.String(length=20),
                           type_=sa.Integer(), existing_nullable=False,
                           postgresql_using='policy_version::integer')
        batch.create_foreign_key(op.f('fk_complaints_policy_version_policy_versions'),
                                 'policy_versions', ['policy_version'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('complaints') as batch:
        batch.drop_constraint(op.f('fk_complaints_policy_version_policy_versions'),
                              type_='foreignkey')
        batch.alter_column('policy_version', existing_type=sa.Integer(),
                           type_=sa.String(length=20), existing_nullable=False)
    with op.batch_alter_table('deadlines') as batch:
        batch.drop_column('run')
    op.drop_index('ix_clock_events_event_at', table_name='clock_events')
    op.drop_index('ix_clock_events_complaint', table_name='clock_events')
    op.drop_table('clock_events')
    op.drop_index('ux_policy_versions_active', table_name='policy_versions')
    op.drop_table('policy_versions')
