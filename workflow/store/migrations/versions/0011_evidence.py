"""Evidence files on complaints (`attachments`), and an index for the customer's history.

Revision ID: 0011_evidence
Revises: 0007_pages
"""
import sqlalchemy as sa
from alembic import op

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

revision = '0011_evidence'
down_revision = '0010_owner'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'attachments',
        sa.Column('id', Id, autoincrement=True, nullable=False),
        sa.Column('complaint_id', Id, sa.ForeignKey('complaints.id',
                                                    name='fk_attachments_complaint_id_complaints'),
                  nullable=False),
        sa.Column('original_name', sa.String(255), nullable=False),
        sa.Column('size', sa.BigInteger(), nullable=False),
        sa.Column('content_type', sa.String(100), nullable=False),
        sa.Column('format', sa.String(10), nullable=False),
        sa.Column('sha256', sa.String(64), nullable=False),
        sa.Column('uploaded_by', sa.String(60), nullable=False),
        sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('comment', sa.Text(), nullable=False, server_default=''),
        sa.PrimaryKeyConstraint('id', name='pk_attachments'),
    )
    op.create_index('ix_attachments_complaint', 'attachments', ['complaint_id', 'id'])
    op.create_index('ix_attachments_sha256', 'attachments', ['sha256'])
    op.create_index('ix_complaints_mobile_created', 'complaints', ['mobile', 'created_at'])


def downgrade() -> None:
    op.drop_index('ix_complaints_mobile_created', table_name='complaints')
    op.drop_table('attachments')
