"""Hot issues: a covering index for reading a period's complaints; the clusters the major-complaint desk escalated as joint complaints, and
each complaint's link to its cluster.

Revision ID: 0009_hot
Revises: 0008_reports
"""
from alembic import op
import sqlalchemy as sa


revision = '0009_hot'
down_revision = '0008_reports'
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
UTC = sa.DateTime


def upgrade() -> None:
    op.create_table(
        'hot_clusters',
        sa.Column('id', Id, autoincrement=True, nullable=False),
        sa.Column('kind', sa.String(10), nullable=False),
        sa.Column('cause', sa.String(40), nullable=False),
        sa.Column('place', sa.String(200), nullable=False),
        sa.Column('period_start', UTC(timezone=True), nullable=False),
        sa.Column('period_end', UTC(timezone=True), nullable=False),
        sa.Column('criterion', sa.String(30), nullable=False),
        sa.Column('customers', sa.Integer(), nullable=False),
        sa.Column('escalated_by', sa.String(60), nullable=False),
        sa.Column('escalated_at', UTC(timezone=True), nullable=False),
        sa.Column('comment', sa.Text(), nullable=False, server_default=''),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_hot_clusters')),
        sa.UniqueConstraint('kind', 'cause', 'place', 'period_start', 'period_end',
                            name='uq_hot_clusters_key'),
    )
    op.create_table(
        'hot_cluster_members',
        sa.Column('cluster_id', Id, nullable=False),
        sa.Column('complaint_id', Id, nullable=False),
        sa.Column('outcome', sa.String(20), nullable=False),
        sa.ForeignKeyConstraint(['cluster_id'], ['hot_clusters.id'],
                                name=op.f('fk_hot_cluster_members_cluster_id_hot_clusters')),
        sa.ForeignKeyConstraint(['complaint_id'], ['complaints.id'],
                                name=op.f('fk_hot_cluster_members_complaint_id_complaints')),
        sa.PrimaryKeyConstraint('cluster_id', 'complaint_id', name=op.f('pk_hot_cluster_members')),
    )
    op.create_index('ix_hot_cluster_members_complaint', 'hot_cluster_members', ['complaint_id'])
    op.create_index('ix_complaints_hot', 'complaints',
                    ['created_at', 'cause', 'district', 'mobile', 'location'])


def downgrade() -> None:
    op.drop_index('ix_complaints_hot', table_name='complaints')
    op.drop_index('ix_hot_cluster_members_complaint', table_name='hot_cluster_members')
    op.drop_table('hot_cluster_members')
    op.drop_table('hot_clusters')
