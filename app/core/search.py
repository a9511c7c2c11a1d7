"""`?q=` text search: "the text contains the term, ignoring case", one interface for every list.

The meaning is plain `lower(column) LIKE '%term%'` with the term's own `%` and `_` taken
literally, on every database; that test is always the final word. On PostgreSQL two GIN
indexes per searched column make it fast at a million rows (declared with
`search_indexes()`, created by the migration `search_trigram_and_gram_indexes`):

- `gin_trgm_ops` on `lower(column)` (pg_trgm) serves the LIKE itself for an ASCII term of
  3 or more characters: the planner reads the term's trigrams from the index.
- pg_trgm cannot serve a term of 1-2 characters (it has no trigram), and it only indexes
  characters the database's LC_CTYPE calls letters: under `C` a Chinese character is none,
  so even `华为技术` would find no trigram. So each searched column has a stored generated
  column of its *grams*, `<column>_grams = search_grams(lower(column))`: every
  two-character substring, plus every non-ASCII character alone (a one-character Chinese
  term such as a surname), with a GIN index on it. A term's grams are all among the value's
  grams whenever the value contains the term, in any locale, so the containment `@>`
  narrows the rows through the index and the LIKE's test rechecks them (written as
  `strpos(lower(column), term) > 0`, so that the planner cannot also AND in the trigram
  index, which has nothing to narrow such a term by). A Chinese or other non-ASCII term,
  and any term of two characters, go this way. The grams are stored rather
  than an expression index on `search_grams(...)`: PostgreSQL re-runs an indexed
  expression wherever it re-checks a row (a bitmap's recheck, the filter of a newest-first
  read for a common term), and the PL/pgSQL function at ~30 µs a row made `华为` over a
  million leads 452 ms; the stored array costs a comparison (bench/README.md).
- A single ASCII character (matches most rows anyway) is a plain LIKE.

SQLite has neither index type nor the gram columns: there it stays the plain LIKE (a
scan, which is fine at SQLite's sizes). The gram columns are PostgreSQL's alone, so they
are not in the models: the migration creates them and `outside_the_models()` keeps
Alembic's comparison of models and database from asking to drop them."""

from typing import Any

from sqlalchemy import (
    ARRAY,
    Boolean,
    ColumnClause,
    ColumnElement,
    Index,
    Text,
    func,
    literal,
    or_,
)
from sqlalchemy import column as sql_column
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.visitors import InternalTraversal

# The SQL function behind the gram columns (created by the migration, PostgreSQL only). It
# must compute exactly `grams_of()` for a value, or the containment would miss rows.
GRAMS_FUNCTION = "search_grams"
# `<column>_grams`: the stored `search_grams(lower(<column>))` of a searched column, and
# `ix_<table>_<column>_grams` its GIN index.
GRAMS_SUFFIX = "_grams"


def grams_column_name(column_name: str) -> str:
    return f"{column_name}{GRAMS_SUFFIX}"


def outside_the_models(_object: Any, name: str | None, type_: str, reflected: bool,
                       compare_to: Any) -> bool:
    """Alembic's `include_object`: False for the gram columns and their indexes, which
    exist on PostgreSQL only (created by the migration) and so are not in the models (a
    model's own column or index of such a name is compared as usual)."""
    return not (reflected and compare_to is None and type_ in ("column", "index")
                and (name or "").endswith(GRAMS_SUFFIX))


def contains_pattern(text: str) -> str:
    """A LIKE pattern matching `text` anywhere, with its own % and _ taken literally
    (use with escape="\\")."""
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def grams_of(text: str) -> list[str]:
    """The value's grams as `search_grams()` builds them: each two-character substring and
    each non-ASCII character alone (duplicates kept: GIN keeps each key once anyway)."""
    grams = [text[i:i + 2] for i in range(len(text) - 1)]
    return grams + [char for char in text if ord(char) > 127]


def term_grams(term: str) -> list[str] | None:
    """The grams every value containing `term` (lowered) must have, or None when the term
    goes without them: an ASCII term of 3+ characters (pg_trgm serves it) or a single
    ASCII character (too common to be worth an index)."""
    if term.isascii() and len(term) != 2:
        return None
    if len(term) == 1:
        return [term]
    # Its two-character substrings say it all: a value holding them holds their characters
    # too, and each more key is one more list of rows for the index to read.
    return sorted({term[i:i + 2] for i in range(len(term) - 1)})


def text_contains(q: str, *columns: Any) -> ColumnElement[bool]:
    """`q` appears in any of `columns`, ignoring case (the lists' `?q=`)."""
    return or_(*(_column_contains(column, q) for column in columns))


def _term(value: Any, type_: Any) -> Any:
    # Written into the SQL rather than sent as a parameter: with a parameter PostgreSQL
    # soon plans once for every term, and a plan that cannot know whether the term is rare
    # or common read every row (a rare two-character term over a million leads took 600 ms
    # behind the API, 0.3 ms as its own statement).
    return literal(value, type_=type_, literal_execute=True)


def _column_contains(column: Any, q: str) -> ColumnElement[bool]:
    like = func.lower(column).like(_term(contains_pattern(q), Text), escape="\\")
    grams = term_grams(q.lower())
    if grams is None:
        return like
    narrowed = _grams_column(column).op("@>", is_comparison=True)(_term(grams, ARRAY(Text)))
    # The same test as the LIKE, in a form no index serves: the gram index alone narrows.
    # Written as the LIKE, it also matched the trigram index's expression, and the planner
    # ANDed in that index, which for a term without trigrams returns every row (`华为` over
    # a million leads: 406 ms instead of 7).
    found = func.strpos(func.lower(column), _term(q.lower(), Text)) > 0
    return _NarrowedLike(narrowed, like, found)


def _grams_column(column: Any) -> ColumnClause[Any]:
    """The stored gram column beside `column` (a model's attribute or a table's column),
    in the same table (or alias of it), so the statement needs no other FROM."""
    searched = column.__clause_element__() if hasattr(column, "__clause_element__") else column
    stored: ColumnClause[Any] = sql_column(grams_column_name(searched.name), ARRAY(Text))
    stored.table = searched.table
    return stored


class _NarrowedLike(ColumnElement[bool]):
    """`narrowing AND found` on PostgreSQL, where `narrowing` reads the gram index and
    `found` is the LIKE's test as `strpos()`; only `matching`, the LIKE, elsewhere (SQLite
    has no gram columns)."""

    __visit_name__ = "narrowed_like"
    inherit_cache = True
    type = Boolean()
    _is_implicitly_boolean = True  # a condition as it is, not `... = 1` on SQLite
    # The cache key: both parts (their bound values stay parameters of a cached statement).
    _traverse_internals = [("narrowing", InternalTraversal.dp_clauseelement),  # noqa: RUF012
                           ("matching", InternalTraversal.dp_clauseelement),
                           ("found", InternalTraversal.dp_clauseelement)]

    def __init__(self, narrowing: ColumnElement[bool], matching: ColumnElement[bool],
                 found: ColumnElement[bool]) -> None:
        self.narrowing = narrowing
        self.matching = matching
        self.found = found


@compiles(_NarrowedLike)
def _compile_like_only(element: _NarrowedLike, compiler: Any, **kw: Any) -> str:
    return str(compiler.process(element.matching, **kw))


@compiles(_NarrowedLike, "postgresql")
def _compile_narrowed(element: _NarrowedLike, compiler: Any, **kw: Any) -> str:
    narrowing = compiler.process(element.narrowing, **kw)
    return f"({narrowing} AND {compiler.process(element.found, **kw)})"


def search_indexes(table: Any, *names: str) -> None:
    """Declare, on PostgreSQL only, the trigram GIN index `text_contains()` reads for each
    of the table's searched columns. The gram column and its index beside each are the
    migration's alone (see the module's docstring)."""
    for name in names:
        lowered = func.lower(table.c[name])
        Index(f"ix_{table.name}_{name}_trgm", lowered.label(f"{name}_lower"),
              postgresql_using="gin",
              postgresql_ops={f"{name}_lower": "gin_trgm_ops"}).ddl_if(dialect="postgresql")
