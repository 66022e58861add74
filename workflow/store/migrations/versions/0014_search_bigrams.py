"""The search's bigrams stored, not computed in SQL: the column `complaints.search_bigrams`
(`text[]` on PostgreSQL, filled here in Python for the complaints already stored) and a
GIN index on it take the place of 0012's SQL function `complaint_bigrams` and its
expression index. From here the application writes the bigrams with the row
(`workflow.store.search`). On SQLite the column is added and stays NULL: FTS5 serves.

The bigram rule below is this revision's own copy, as it was when written (frozen
history: no revision imports the application).

Revision ID: 0014_search_bigrams
Revises: 0013_queue_counts
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0014_search_bigrams'
down_revision = '0013_queue_counts'
branch_labels = None
depends_on = None

#: Complaints read and written per round trip while filling the column.
_BATCH = 5000

_READ = sa.text("SELECT id, text, customer_name FROM complaints WHERE id > :after "
                "ORDER BY id LIMIT :n")
_WRITE = sa.text("UPDATE complaints SET search_bigrams = :grams WHERE id = :cid").bindparams(
    sa.bindparam("grams", type_=postgresql.ARRAY(sa.Text())))

#: 0012's function and expression index, as the downgrade puts them back.
_OLD_FUNCTION = (
    "CREATE FUNCTION complaint_bigrams(body text, name text) RETURNS text[] "
    "LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ "
    "SELECT coalesce(array_agg(DISTINCT substr(s, i, 2)), '{}') "
    "FROM unnest(ARRAY[lower(body), lower(name)]) AS s, "
    "generate_series(1, length(s) - 1) AS i $$")
_OLD_INDEX = ("CREATE INDEX ix_complaints_search_bigrams ON complaints "
              "USING gin (complaint_bigrams(text, customer_name))")


def _bigrams(*values) -> list:
    """The distinct pairs of adjacent characters of the lower-cased values, sorted."""
    lows = [(v or "").lower() for v in values]
    return sorted({low[i:i + 2] for low in lows for i in range(len(low) - 1)})


def _fill(conn) -> None:
    """Every complaint's bigrams, batch by batch (about 30 s per 100,000 complaints on a
    busy two-core machine: the rewrite of each row dominates; one UPDATE from a COPY'd
    scratch table was no faster)."""
    after = 0
    while rows := conn.execute(_READ, {"after": after, "n": _BATCH}).all():
        conn.execute(_WRITE, [{"cid": r.id, "grams": _bigrams(r.text, r.customer_name)}
                              for r in rows])
        after = rows[-1].id


def upgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        op.add_column('complaints', sa.Column('search_bigrams', sa.JSON(), nullable=True))
        return
    op.execute("DROP INDEX ix_complaints_search_bigrams")
    op.execute("DROP FUNCTION complaint_bigrams(text, text)")
    op.add_column('complaints', sa.Column('search_bigrams', postgresql.ARRAY(sa.Text()),
                                          nullable=True))
    _fill(op.get_bind())
    op.execute("CREATE INDEX ix_complaints_search_bigrams ON complaints "
               "USING gin (search_bigrams)")


def downgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        op.drop_column('complaints', 'search_bigrams')
        return
    op.execute("DROP INDEX ix_complaints_search_bigrams")
    op.drop_column('complaints', 'search_bigrams')
    op.execute(_OLD_FUNCTION)
    op.execute(_OLD_INDEX)
