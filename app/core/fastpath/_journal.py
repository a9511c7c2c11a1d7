"""The journal behind `app.core.fastpath.append`/`update`: queued on the session, written by
a `before_commit` hook (see the package's docstring for the rules).

On PostgreSQL everything pending goes in one statement (each column bound as an array,
unnested into UPDATEs and INSERTs chained by a WITH), so a command pays one round trip for
its journal whatever it wrote; elsewhere it is one statement per table and set of columns.
"""

from collections.abc import Callable, Hashable
from functools import cache
from typing import Any

from sqlalchemy import Dialect, Insert, Table, TextClause, Update, bindparam, event, insert, text
from sqlalchemy import update as update_statement
from sqlalchemy.orm import Session, SessionTransaction

_APPENDED = "journal.appended"
_UPDATED = "journal.updated"


def append(session: Any, table: Table, row: dict[str, Any]) -> None:
    """Queue `row` for `table` in the session's current transaction (an AsyncSession or
    its sync Session). Every row of a table has the same keys; rows of one table are
    inserted in the order they were appended, so their ids follow it."""
    appended: dict[Table, list[dict[str, Any]]] = session.info.setdefault(_APPENDED, {})
    appended.setdefault(table, []).append(row)


def update(session: Any, table: Table, row_id: Hashable, values: dict[str, Any]) -> None:
    """Queue new values for columns of one row of `table`, matched by its id. Values are
    plain values, not SQL expressions; later values for the same column win. The caller
    holds the row's lock, or the row is its own."""
    updated: dict[tuple[Table, Hashable], dict[str, Any]] = session.info.setdefault(_UPDATED, {})
    updated.setdefault((table, row_id), {}).update(values)


@event.listens_for(Session, "before_commit")
def _write_pending(session: Session) -> None:
    # Runs inside the commit, in SQLAlchemy's greenlet for async sessions, so a blocking
    # execute here is the awaited one underneath.
    appended: dict[Table, list[dict[str, Any]]] = session.info.pop(_APPENDED, None) or {}
    updated = session.info.pop(_UPDATED, None) or {}
    if not appended and not updated:
        return
    # Rows of one table getting the same columns form one group, one UPDATE.
    update_groups: dict[tuple[Table, tuple[str, ...]], list[dict[str, Any]]] = {}
    for (table, row_id), values in updated.items():
        update_groups.setdefault((table, tuple(values)), []).append({**values, _ROW_ID: row_id})
    dialect = session.get_bind().dialect
    if dialect.name == "postgresql":
        shape = (tuple(update_groups), tuple((table, tuple(rows[0]))
                                            for table, rows in appended.items()))
        statement, columns = _one_statement(shape, dialect)
        rows_of = [*update_groups.values(), *appended.values()]
        session.execute(statement, {
            name: [convert(row[key]) for row in rows_of[group]]
            for name, group, key, convert in columns})
    else:
        for (table, _keys), rows in update_groups.items():
            session.execute(_update_by_id(table), rows)
        for table, rows in appended.items():
            session.execute(_insert(table), rows)


_ROW_ID = "journal_row_id"  # the parameter matching a row; no column is named so


@cache
def _update_by_id(table: Table) -> Update:
    return update_statement(table).where(table.c.id == bindparam(_ROW_ID))


@cache
def _insert(table: Table) -> Insert:
    return insert(table)


# (parameter name, index of its group of rows, key in each row, value converter)
_Column = tuple[str, int, str, Callable[[Any], Any]]
_Shape = tuple[tuple[tuple[Table, tuple[str, ...]], ...], tuple[tuple[Table, tuple[str, ...]], ...]]


@cache
def _one_statement(shape: _Shape, dialect: Dialect) -> tuple[TextClause, list[_Column]]:
    """One statement making the given updates (groups of rows of a table getting the same
    columns) and inserts (rows of a table with the given keys). Each column is bound as an
    array, its values converted as the column's type would convert them, and unnested,
    which keeps the rows' order. Built once per shape; the statement is then prepared once
    per connection."""
    updates, inserts = shape
    quote = dialect.identifier_preparer
    columns: list[_Column] = []

    def arrays(group: int, table: Table, keys: tuple[str, ...]) -> str:
        bound = []
        for key in keys:
            column_type = table.c["id" if key == _ROW_ID else key].type.dialect_impl(dialect)
            name = f"g{group}_{key}"
            bound.append(f"CAST(:{name} AS {column_type.compile(dialect=dialect)}[])")
            columns.append((name, group, key,
                            column_type.bind_processor(dialect) or (lambda value: value)))
        return f"unnest({', '.join(bound)})"

    statements = []
    for group, (table, keys) in enumerate(updates):
        name = quote.format_table(table)
        assignments = ", ".join(f"{quote.quote(key)} = v.{quote.quote(key)}" for key in keys)
        aliases = ", ".join(quote.quote(key) for key in (*keys, _ROW_ID))
        statements.append(
            f"UPDATE {name} SET {assignments} "
            f"FROM {arrays(group, table, (*keys, _ROW_ID))} AS v({aliases}) "
            f"WHERE {name}.id = v.{_ROW_ID}")
    for group, (table, keys) in enumerate(inserts, start=len(updates)):
        statements.append(f"INSERT INTO {quote.format_table(table)} "
                          f"({', '.join(quote.quote(key) for key in keys)}) "
                          f"SELECT * FROM {arrays(group, table, keys)}")
    # Data-modifying statements in a WITH all run, on one snapshot: a row is updated once
    # (the values for it were merged above), and nothing here reads what another writes.
    *chained, last = statements
    prefix = ", ".join(f"j{number} AS ({sql})" for number, sql in enumerate(chained))
    return text(f"WITH {prefix} {last}" if chained else last), columns


@event.listens_for(Session, "after_transaction_end")
def _discard_pending(session: Session, transaction: SessionTransaction) -> None:
    # The outermost transaction ended: after a commit the queue is already written (and
    # empty); after a rollback, or a close without either, it must not reach the next
    # transaction of the same session.
    if transaction.parent is None:
        session.info.pop(_APPENDED, None)
        session.info.pop(_UPDATED, None)
