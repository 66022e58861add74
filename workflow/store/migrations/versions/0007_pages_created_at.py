"""An index on complaints.created_at for the work queue's received-date filter.

Revision ID: 0007_pages
Revises: 0006_policy
"""
from alembic import op

revision = '0007_pages'
down_revision = '0006_policy'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_complaints_created_at', 'complaints', ['created_at'])


def downgrade() -> None:
    op.drop_index('ix_complaints_created_at', table_name='complaints')
