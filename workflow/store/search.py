"""Substring search in complaint text and customer names through an index, on both databases.

A search for any run of two or more characters (Chinese or not, case-insensitive) is
answered from the *bigrams* (every pair of adjacent characters) of the lower-cased text
and name, never by reading every row:

- SQLite: the FTS5 table `complaint_search` (contentless), one row per complaint, whose
  two columns hold the bigrams of `text` and of `customer_name` in order, each written
  as one ASCII token (the hexadecimal code points of its two characters), and after
  them the last character alone. The triggers of migration 0012 keep it in step with
  `complaints` (insert, an edit of text or name, delete) through the function
  `complaint_grams`, which `register` installs on every connection
  (`workflow.store.db.make_engine`). A search is the FTS5 *phrase* of the query's
  bigrams: consecutive bigrams at consecutive positions are exactly the query as a
  substring, so no row needs reading again. One character is a prefix query on the
  same tokens (its bigrams and the final character).
- PostgreSQL: the column `complaints.search_bigrams` (`text[]`, migration 0014) holds
  the distinct bigrams of the text and the name, written with the row by whoever writes
  `text` or `customer_name` (`stored`: intake, the demo data, the loaders), and a GIN
  index on it; a search is `@>` the query's bigrams, bound as a value, then `strpos` on
  the rows found (the array loses the order). Core PostgreSQL only: no extension to
  install, and it works whatever the database's ctype (pg_trgm drops CJK characters
  under `C`). One character has no bigram: that search reads the table. The column stays
  NULL on SQLite.

The rule is `pairs` alone, in Python: SQLite's tokens, PostgreSQL's stored arrays and
every query's bigrams come from it; no SQL function decides a bigram.

FTS5's own trigram tokenizer was not taken: it matches nothing shorter than three
characters, and a Chinese search is often two (车库, 宽带).
"""
from __future__ import annotations

from sqlalchemy import bindparam, column, false, func, literal, literal_column, or_, select, table
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement
from sqlalchemy.types import Boolean

from workflow.store.schema import complaints as t

#: The SQLite FTS5 table (and the prefix of its shadow tables).
FTS_TABLE = "complaint_search"
_fts = table(FTS_TABLE, column("rowid"))


def _hex(chars: str) -> str:
    return "".join(f"{ord(c):06x}" for c in chars)


def pairs(value: str | None) -> list[str]:
    """The bigram rule: every two adjacent characters of the lower-cased text, in order."""
    low = (value or "").lower()
    return [low[i:i + 2] for i in range(len(low) - 1)]


def grams(value: str | None) -> str:
    """The FTS5 tokens of a text: its bigrams in order, then its last character."""
    if not value:
        return ""
    return " ".join([_hex(p) for p in pairs(value)] + [_hex(value.lower()[-1])])


def bigrams(*values: str | None) -> list[str]:
    """The distinct bigrams of the values, sorted: what `search_bigrams` holds."""
    return sorted({p for value in values for p in pairs(value)})


def stored(dialect_name: str, text: str | None, customer_name: str | None) -> dict:
    """The search columns to write with a complaint's `text` and `customer_name` on this
    database: `search_bigrams` on PostgreSQL, nothing on SQLite (its triggers fill FTS5)."""
    if dialect_name != "postgresql":
        return {}
    return {"search_bigrams": bigrams(text, customer_name)}


def register(dbapi_connection) -> None:
    """Install `complaint_grams(text)` on a SQLite connection (the triggers call it)."""
    dbapi_connection.create_function("complaint_grams", 1, grams, deterministic=True)


def fts_query(text: str) -> str:
    """The FTS5 MATCH expression finding `text` (lower-cased) as a substring."""
    if len(text.lower()) == 1:
        return f'"{_hex(text.lower())}" *'
    return '"' + " ".join(_hex(p) for p in pairs(text)) + '"'


class TextSearch(ColumnElement):
    """The condition: the complaint's text or customer name contains `query`
    (case-insensitive), written per database (see the module)."""

    type = Boolean()
    inherit_cache = False
    _is_implicitly_boolean = True     # a condition as it stands (no "= 1" on SQLite)

    def __init__(self, query: str):
        self.query = query


@compiles(TextSearch, "sqlite")
def _sqlite(element, compiler, **kw):
    match = select(_fts.c.rowid).where(
        literal_column(FTS_TABLE).op("MATCH")(literal(fts_query(element.query))))
    return compiler.process(t.c.id.in_(match), **kw)


@compiles(TextSearch)
def _postgresql(element, compiler, **kw):
    query = element.query
    found = or_(func.strpos(func.lower(t.c.text), func.lower(literal(query))) > 0,
                func.strpos(func.lower(t.c.customer_name), func.lower(literal(query))) > 0)
    if len(query) >= 2:
        found = t.c.search_bigrams.op("@>")(
            bindparam("bigrams", bigrams(query), type_=t.c.search_bigrams.type)) & found
    return compiler.process(found, **kw)


def text_clause(query: str):
    """The condition selecting complaints whose text or name contains `query`."""
    return TextSearch(query) if query else false()


def mobile_ends(digits: str):
    """The condition: the mobile number ends in these four digits. The expression index
    `ix_complaints_mobile_last4` serves it (the same expression, its numbers written
    out, not bound); every stored number has 11 digits (intake checks them)."""
    return func.substr(t.c.mobile, literal_column("8"), literal_column("4")) == digits
