"""complaints.next_due_at (the nearest running due time) and indexes for the work queue.

Revision ID: 0004_web
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa


revision = '0004_web'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('complaints') as batch:
        batch.add_column(sa.Column('next_due_at', sa.DateTime(timezone=True),
                                   nullable=True))
    op.execute("UPDATE complaints SET next_due_at = (SELECT min(d.due_at) FROM deadlines d "
               "WHERE d.complaint_id = complaints.id AND d.status = 'active')")
    op.create_index('ix_complaints_next_due', 'complaints', ['next_due_at', 'id'])
    op.create_index('ix_complaints_department_next_due', 'complaints',
                    ['department', 'next_due_at'])
    op.create_index('ix_complaints_routed_state', 'complaints', ['routed_department', 'state'])


def downgrade() -> None:
    op.drop_index('ix_complaints_routed_state', table_name='complaints')
    op.drop_index('ix_complaints_department_next_due', table_name='complaints')
    op.drop_index('ix_complaints_next_due', table_name='complaints')
    with op.batch_alter_table('complaints') as batch:
        batch.drop_column('next_due_at')
