"""Rows a command appends to the append-only tables (the audit log and the event outbox).

They are kept on the session and written when it commits, without ORM objects: nothing
reads them back inside the command, and every state change writes two, so the unit of
work's bookkeeping would be pure cost on the hot paths. They are part of the command's
transaction all the same: a rollback discards them, and a failed INSERT fails the commit.

On PostgreSQL every table's rows go in one statement (column arrays unnested into INSERTs
chained by a WITH), so a command pays one round trip for its journal whatever it wrote;
elsewhere it is one INSERT per table.
"""

from collections.abc import Callable
from functools import cache
from typing import Any

from sqlalchemy import Dialect, Insert, Table, TextClause, event, insert, text
from sqlalchemy.orm import Session, SessionTransaction

_PENDING = "journal.pending"


def append(session: Any, table: Table, row: dict[str, Any]) -> None:
    """Queue `row` for `table` in the session's current transaction (an AsyncSession or
    its sync Session). Every row of a table has the same keys; rows of one table are
    inserted in the order they were appended, so their ids follow it."""
    pending: dict[Table, list[dict[str, Any]]] = session.info.setdefault(_PENDING, {})
    pending.setdefault(table, []).append(row)


@event.listens_for(Session, "before_commit")
def _write_pending(session: Session) -> None:
    # Runs inside the commit, in SQLAlchemy's greenlet for async sessions, so a blocking
    # execute here is the awaited one underneath.
    pending: dict[Table, list[dict[str, Any]]] | None = session.info.pop(_PENDING, None)
    if not pending:
        return
    dialect = session.get_bind().dialect
    if dialect.name == "postgresql":
        shape = tuple((table, tuple(rows[0])) for table, rows in pending.items())
        statement, columns = _unnested_inserts(shape, dialect)
        session.execute(statement, {
            name: [convert(row[key]) for row in pending[table]]
            for name, table, key, convert in columns})
    else:
        for table, rows in pending.items():
            session.execute(_insert(table), rows)


@cache
def _insert(table: Table) -> Insert:
    return insert(table)


_Column = tuple[str, Table, str, Callable[[Any], Any]]


@cache
def _unnested_inserts(shape: tuple[tuple[Table, tuple[str, ...]], ...], dialect: Dialect
                      ) -> tuple[TextClause, list[_Column]]:
    """One statement inserting rows of the given tables and keys: each column is bound as
    an array (its values converted as the column's type would convert them) and unnested,
    which keeps the rows' order. Built once per shape; the statement is then prepared once
    per connection."""
    inserts, columns = [], []
    quote = dialect.identifier_preparer
    for number, (table, keys) in enumerate(shape):
        arrays = []
        for key in keys:
            column_type = table.c[key].type.dialect_impl(dialect)
            name = f"t{number}_{key}"
            arrays.append(f"CAST(:{name} AS {column_type.compile(dialect=dialect)}[])")
            columns.append((name, table, key,
                            column_type.bind_processor(dialect) or (lambda value: value)))
        inserts.append(f"INSERT INTO {quote.format_table(table)} "
                       f"({', '.join(quote.quote(key) for key in keys)}) "
                       f"SELECT * FROM unnest({', '.join(arrays)})")
    *chained, last = inserts
    prefix = ", ".join(f"j{number} AS ({sql})" for number, sql in enumerate(chained))
    return text(f"WITH {prefix} {last}" if chained else last), columns


@event.listens_for(Session, "after_soft_rollback")
def _discard_pending(session: Session, previous_transaction: SessionTransaction) -> None:
    if previous_transaction.parent is None:
        session.info.pop(_PENDING, None)
