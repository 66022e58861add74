"""Where a complaint comes from (district, location); an index for the reports' period
figures; outbox rows sent once (dedupe_key) with an attachment (the monthly scorecard).

Revision ID: 0008_reports
Revises: 0007_pages
"""
import sqlalchemy as sa
from alembic import op

revision = '0008_reports'
down_revision = '0007_pages'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('complaints') as batch:
        batch.add_column(sa.Column('district', sa.String(length=20), server_default='',
                                   nullable=False))
        batch.add_column(sa.Column('location', sa.String(length=200), server_default='',
                                   nullable=False))
    op.create_index('ix_events_action_at', 'events', ['action', 'at'])
    with op.batch_alter_table('outbox') as batch:
        batch.add_column(sa.Column('dedupe_key', sa.String(length=100), nullable=True))
        batch.add_column(sa.Column('attachment_name', sa.String(length=200), nullable=True))
        batch.add_column(sa.Column('attachment', sa.LargeBinary(), nullable=True))
        batch.create_unique_constraint('uq_outbox_dedupe_key', ['dedupe_key'])


def downgrade() -> None:
    with op.batch_alter_table('outbox') as batch:
        batch.drop_constraint('uq_outbox_dedupe_key', type_='unique')
        batch.drop_column('attachment')
        batch.drop_column('attachment_name')
        batch.drop_column('dedupe_key')
    op.drop_index('ix_events_action_at', table_name='events')
    with op.batch_alter_table('complaints') as batch:
        batch.drop_column('location')
        batch.drop_column('district')
