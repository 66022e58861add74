"""The work queue's counts per state kept beside the complaints (`queue_counts`,
`workflow.store.counts`), filled from the complaints already stored, and the triggers that
keep it in step: each insert, delete and change of a counted column appends a -1 row for
the complaint's old combination and a +1 row for its new one.

Revision ID: 0013_queue_counts
Revises: 0012_search
"""
import sqlalchemy as sa
from alembic import op

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

revision = '0013_queue_counts'
down_revision = '0012_search'
branch_labels = None
depends_on = None

#: The counted columns, in the table's order (`workflow.store.counts.KEYS`).
_KEYS = ("state", "escalation_level", "source", "department", "originating_department",
         "routed_department", "handler_user", "cause", "channel")
_COLUMNS = ", ".join(_KEYS)


def _values(row: str) -> str:
    """The counted columns of `row` (old or new) as stored: a NULL handler is ""."""
    return ", ".join(f"coalesce({row}.{k}, '')" if k == "handler_user" else f"{row}.{k}"
                     for k in _KEYS)


def _changed(old: str, new: str, differ: str) -> str:
    return " OR ".join(f"{old}.{k} {differ} {new}.{k}" for k in _KEYS)


_FILL = (f"INSERT INTO queue_counts ({_COLUMNS}, n) SELECT "
         + ", ".join("coalesce(handler_user, '')" if k == "handler_user" else k for k in _KEYS)
         + f", count(*) FROM complaints GROUP BY {', '.join(str(i + 1) for i in range(len(_KEYS)))}")

_SQLITE = (
    f"CREATE TRIGGER queue_counts_insert AFTER INSERT ON complaints BEGIN "
    f"INSERT INTO queue_counts ({_COLUMNS}, n) VALUES ({_values('new')}, 1); END",
    f"CREATE TRIGGER queue_counts_update AFTER UPDATE OF {_COLUMNS} ON complaints "
    f"WHEN {_changed('old', 'new', 'IS NOT')} BEGIN "
    f"INSERT INTO queue_counts ({_COLUMNS}, n) VALUES ({_values('old')}, -1), "
    f"({_values('new')}, 1); END",
    f"CREATE TRIGGER queue_counts_delete AFTER DELETE ON complaints BEGIN "
    f"INSERT INTO queue_counts ({_COLUMNS}, n) VALUES ({_values('old')}, -1); END",
)

_POSTGRESQL = (
    "CREATE FUNCTION queue_counts_delta() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "IF TG_OP = 'INSERT' THEN "
    f"INSERT INTO queue_counts ({_COLUMNS}, n) VALUES ({_values('NEW')}, 1); "
    "ELSIF TG_OP = 'DELETE' THEN "
    f"INSERT INTO queue_counts ({_COLUMNS}, n) VALUES ({_values('OLD')}, -1); "
    "ELSE "
    f"INSERT INTO queue_counts ({_COLUMNS}, n) VALUES ({_values('OLD')}, -1), "
    f"({_values('NEW')}, 1); "
    "END IF; RETURN NULL; END $$",
    "CREATE TRIGGER queue_counts_insert_delete AFTER INSERT OR DELETE ON complaints "
    "FOR EACH ROW EXECUTE FUNCTION queue_counts_delta()",
    # The WHEN is checked without calling the function: an action that changes none of
    # the counted columns (a note, a clock moving) costs nothing here.
    f"CREATE TRIGGER queue_counts_update AFTER UPDATE OF {_COLUMNS} ON complaints "
    f"FOR EACH ROW WHEN ({_changed('OLD', 'NEW', 'IS DISTINCT FROM')}) "
    "EXECUTE FUNCTION queue_counts_delta()",
)


def upgrade() -> None:
    op.create_table(
        'queue_counts',
        sa.Column('id', Id, autoincrement=True, nullable=False),
        sa.Column('state', sa.String(20), nullable=False),
        sa.Column('escalation_level', sa.Integer(), nullable=False),
        sa.Column('source', sa.String(30), nullable=False),
        sa.Column('department', sa.String(40), nullable=False),
        sa.Column('originating_department', sa.String(40), nullable=False),
        sa.Column('routed_department', sa.String(40), nullable=False),
        sa.Column('handler_user', sa.String(60), nullable=False),
        sa.Column('cause', sa.String(40), nullable=False),
        sa.Column('channel', sa.String(20), nullable=False),
        sa.Column('n', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('id', name='pk_queue_counts'),
    )
    for statement in _SQLITE if op.get_bind().dialect.name == 'sqlite' else _POSTGRESQL:
        op.execute(statement)
    op.execute(_FILL)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        for name in ('insert', 'update', 'delete'):
            op.execute(f"DROP TRIGGER queue_counts_{name}")
    else:
        op.execute("DROP TRIGGER queue_counts_insert_delete ON complaints")
        op.execute("DROP TRIGGER queue_counts_update ON complaints")
        op.execute("DROP FUNCTION queue_counts_delta()")
    op.drop_table('queue_counts')
