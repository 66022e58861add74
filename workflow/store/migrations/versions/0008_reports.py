"""Where a complaint comes from (district, location); indexes for the reports.

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


def downgrade() -> None:
    with op.batch_alter_table('complaints') as batch:
        batch.drop_column('location')
        batch.drop_column('district')
