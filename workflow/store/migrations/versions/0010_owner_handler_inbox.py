"""A person owns the work: the handler of record on complaints, a department lead flag
on users, and the in-app inbox of notifications.

Revision ID: 0010_owner
Revises: 0007_pages
"""
import sqlalchemy as sa
from alembic import op

revision = '0010_owner'
down_revision = '0009_hot'
branch_labels = None
depends_on = None

UTC = sa.DateTime(timezone=True)
ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    with op.batch_alter_table('complaints') as batch_op:
        batch_op.add_column(sa.Column('handler_user', sa.String(length=60), nullable=True))
        batch_op.create_index('ix_complaints_handler_state', ['handler_user', 'state'])
    with op.batch_alter_table('users') as batch_op:
        batch_op.add_column(sa.Column('lead', sa.Boolean(), server_default=sa.text('false'),
                                      nullable=False))
    op.create_table(
        'inbox',
        sa.Column('id', ID, autoincrement=True, nullable=False),
        sa.Column('username', sa.String(length=60), nullable=False),
        sa.Column('complaint_id', ID, nullable=True),
        sa.Column('kind', sa.String(length=30), nullable=False),
        sa.Column('subject', sa.String(length=200), nullable=False),
        sa.Column('created_at', UTC, nullable=False),
        sa.Column('read_at', UTC, nullable=True),
        sa.ForeignKeyConstraint(['complaint_id'], ['complaints.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_inbox_username_id', 'inbox', ['username', 'id'])
    op.create_index('ix_inbox_unread', 'inbox', ['username'],
                    sqlite_where=sa.text('read_at IS NULL'),
                    postgresql_where=sa.text('read_at IS NULL'))


def downgrade() -> None:
    op.drop_index('ix_inbox_unread', table_name='inbox')
    op.drop_index('ix_inbox_username_id', table_name='inbox')
    op.drop_table('inbox')
    with op.batch_alter_table('users') as batch_op:
        batch_op.drop_column('lead')
    with op.batch_alter_table('complaints') as batch_op:
        batch_op.drop_index('ix_complaints_handler_state')
        batch_op.drop_column('handler_user')
