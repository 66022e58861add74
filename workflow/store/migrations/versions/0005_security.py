"""Sign-in hardening and personal-data access: users.session_generation, the sign_ins
log (throttling and lockout), the personal_data_views log (who saw a full mobile number).

Revision ID: 0005_security
Revises: 0004_web
"""
from alembic import op
import sqlalchemy as sa


revision = '0005_security'
down_revision = '0004_web'
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table('users') as batch:
        batch.add_column(sa.Column('session_generation', sa.Integer(), nullable=False,
                                   server_default=sa.text('0')))
    op.create_table(
        'sign_ins',
        sa.Column('id', Id, autoincrement=True, nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('username', sa.String(60), nullable=False),
        sa.Column('address', sa.String(64), nullable=False),
        sa.Column('outcome', sa.String(20), nullable=False),
        sa.Column('by', sa.String(60)),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_sign_ins')),
    )
    op.create_index('ix_sign_ins_username_at', 'sign_ins', ['username', 'at'])
    op.create_index('ix_sign_ins_address_at', 'sign_ins', ['address', 'at'])
    op.create_index('ix_sign_ins_at', 'sign_ins', ['at'])
    op.create_table(
        'personal_data_views',
        sa.Column('id', Id, autoincrement=True, nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('username', sa.String(60), nullable=False),
        sa.Column('role', sa.String(20), nullable=False),
        sa.Column('complaint_id', Id, nullable=False),
        sa.Column('channel', sa.String(10), nullable=False),
        sa.Column('field', sa.String(20), nullable=False, server_default='mobile'),
        sa.ForeignKeyConstraint(['complaint_id'], ['complaints.id'],
                                name=op.f('fk_personal_data_views_complaint_id_complaints')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_personal_data_views')),
    )
    op.create_index('ix_personal_data_views_complaint_at', 'personal_data_views',
                    ['complaint_id', 'at'])
    op.create_index('ix_personal_data_views_username_at', 'personal_data_views',
                    ['username', 'at'])
    op.create_index('ix_personal_data_views_at', 'personal_data_views', ['at'])


def downgrade() -> None:
    op.drop_table('personal_data_views')
    op.drop_table('sign_ins')
    with op.batch_alter_table('users') as batch:
        batch.drop_column('session_generation')
